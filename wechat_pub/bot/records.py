"""What the webhook keeps in the state database: each delivery's answer (so WeChat's retries get it
again, from any worker) and the followers' queries (hashed followers only). Tables: store.py."""

from __future__ import annotations

import atexit
import threading
import time

from sqlalchemy import insert, select, text

from wechat_pub.store import Store, queries


class WaitingForReplies:
    """What every reply store shares: waiting for the first delivery's answer."""

    def get(self, key: str) -> str | None:  # pragma: no cover - each store has its own
        raise NotImplementedError

    def wait(self, key: str, seconds: float) -> str | None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.get(key)
            if found is not None:
                return found
            time.sleep(0.05)
        return None


class StoreReplies(WaitingForReplies):
    """Webhook answers by delivery key in the state database (shared by every worker and host).

    On the webhook's hot path: one plain SQL statement per step on a connection kept per thread."""

    _CLAIM = "INSERT INTO webhook_replies (key, reply, created_at) VALUES (:key, NULL, :now) ON CONFLICT DO NOTHING"
    _GET = "SELECT reply FROM webhook_replies WHERE key = :key"
    _SAVE = "UPDATE webhook_replies SET reply = :reply WHERE key = :key"
    _PURGE = "DELETE FROM webhook_replies WHERE created_at < :before"

    def __init__(self, store: Store, ttl: float = 120):
        self.engine = store.engine
        self.ttl = ttl
        self._purged = 0.0
        self._local = threading.local()
        self._sql = {name: text(getattr(self, name)) for name in ("_CLAIM", "_GET", "_SAVE", "_PURGE")}

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.engine.connect()
        return conn

    def _write(self, name: str, **params) -> int:
        conn = self._conn()
        try:
            changed = conn.execute(self._sql[name], params).rowcount
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return changed

    def claim(self, key: str) -> tuple[bool, str | None]:
        """(True, None) for the first delivery; (False, answer or None) for a retry."""
        now = time.time()
        if now - self._purged > 60:
            self._purged = now
            self._write("_PURGE", before=now - self.ttl)
        if self._write("_CLAIM", key=key, now=now) == 1:
            return True, None
        return False, self.get(key)

    def get(self, key: str) -> str | None:
        conn = self._conn()
        value = conn.execute(self._sql["_GET"], {"key": key}).scalar()
        conn.commit()  # end the read transaction: later reads see other workers' writes
        return value

    def save(self, key: str, reply: str) -> None:
        self._write("_SAVE", key=key, reply=reply)


class QueryLog:
    """The followers' queries. Written in batches (every ``delay`` seconds at most): one write per many
    requests keeps the webhook fast; a crash loses at most that many seconds of statistics."""

    def __init__(self, store: Store, delay: float = 0.0):
        self.engine = store.engine
        self.delay = delay
        self._pending: list[dict] = []
        self._flushed = time.monotonic()
        self._lock = threading.Lock()
        if delay:
            atexit.register(self.flush)

    def add(self, query: str, matches: int, follower: str) -> None:
        with self._lock:
            self._pending.append({"at": time.time(), "query": query[:500], "matches": matches, "follower": follower})
            due = time.monotonic() - self._flushed >= self.delay or len(self._pending) >= 500
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            rows, self._pending = self._pending, []
            self._flushed = time.monotonic()
        if rows:
            with self.engine.begin() as conn:
                conn.execute(insert(queries), rows)

    def top(self, limit: int = 20, since: float = 0, unanswered: bool = False) -> list[tuple[str, int, int]]:
        """(query, times asked, distinct followers), most asked first."""
        from sqlalchemy import func

        statement = (select(queries.c.query, func.count(), func.count(func.distinct(queries.c.follower)))
                     .where(queries.c.at >= since))
        if unanswered:
            statement = statement.where(queries.c.matches == 0)
        statement = statement.group_by(queries.c.query).order_by(func.count().desc(), queries.c.query).limit(limit)
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(statement)]
