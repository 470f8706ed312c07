"""What followers asked, per account: the query, how many matches it found, and the follower only as a salted
hash. Written in batches (every ``delay`` seconds at most): one write per many requests keeps the webhook fast."""

from __future__ import annotations

import atexit
import threading

from sqlalchemy import func, insert, select

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import queries

BATCH = 500


class QueryLog:
    def __init__(self, db: StateDatabase, appid: str, delay: float = 0.0, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.delay = delay
        self.clock = clock
        self._pending: list[dict] = []
        self._flushed = clock.monotonic()
        self._lock = threading.Lock()
        if delay:
            atexit.register(self.flush)

    def add(self, query: str, matches: int, follower: str) -> None:
        with self._lock:
            self._pending.append({"appid": self.appid, "at": self.clock.time(), "query": query[:500],
                                  "matches": matches, "follower": follower})
            due = self.clock.monotonic() - self._flushed >= self.delay or len(self._pending) >= BATCH
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
            self._flushed = self.clock.monotonic()
        if rows:
            with self.db.begin() as conn:
                conn.execute(insert(queries), rows)

    def top(self, limit: int = 20, since: float = 0, unanswered: bool = False) -> list[tuple[str, int, int]]:
        """(query, times asked, distinct followers), most asked first."""
        statement = (select(queries.c.query, func.count(), func.count(func.distinct(queries.c.follower)))
                     .where(queries.c.appid == self.appid, queries.c.at >= since))
        if unanswered:
            statement = statement.where(queries.c.matches == 0)
        statement = statement.group_by(queries.c.query).order_by(func.count().desc(), queries.c.query).limit(limit)
        with self.db.connect() as conn:
            return [tuple(row) for row in conn.execute(statement)]
