"""Webhook answers by delivery key, so WeChat's retries of one message get the first answer again, from any
worker and any host, and no message is answered (or logged) twice.

A delivery works out its answer, then *keeps* it under its key in one write: the first to keep an answer is
the one every delivery of that message sends (a retry that raced the first one, or came after it, sends the
stored answer, not its own), and only the delivery whose answer was kept logs the query. A worker that dies
before keeping its answer leaves nothing behind: the retry simply answers. An answer is kept for as long as
a request's timestamp is accepted, so a replay inside that window gets it again. Keys are hashes that
include the account's app id; a kept answer has its addressee blanked (no OpenID at rest).

Stores: the state database (:class:`StoredReplies`, raw SQL on a DB-API connection per thread), Redis
(:class:`RedisReplies`, one SET NX), and a SQLite file on the host (also :class:`StoredReplies`) that
:class:`TieredReplies` falls back to while the shared store is away: the answer is then still sent, and
retries reaching any worker of the host still get it.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from typing import NamedTuple

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase, lock_wait
from wechat_pub.state.outage import Breaker, is_outage

log = logging.getLogger(__name__)

PURGE_EVERY = 60.0  # seconds between deletions of answers older than the time to live
LOCK_RETRY = 0.0001  # seconds a SQLite store waits before it tries the write lock again


class Kept(NamedTuple):  # (made once per message: a tuple is the cheapest)
    answer: str  # the answer every delivery of this message sends
    first: bool  # this delivery's answer is the one kept (it logs the query, runs the event's effects)


class StoredReplies:
    """In a SQL database (the shared state database, or the host's local file): one statement per message on a
    DB-API connection kept per thread, in autocommit."""

    _SQL = {
        # Inserts the answer, or fills a row an older version left without one; one row changed only then.
        "keep": "INSERT INTO webhook_replies (key, reply, created_at, claimed_at) VALUES (?, ?, ?, 0) "
                "ON CONFLICT (key) DO UPDATE SET reply = excluded.reply WHERE webhook_replies.reply IS NULL",
        "get": "SELECT reply FROM webhook_replies WHERE key = ?",
        "purge": "DELETE FROM webhook_replies WHERE created_at < ?",
    }
    # On SQLite (the host's file, which has no index on created_at): rows go in in rowid order, so every row
    # before the first one young enough to stay has expired, and reading up to that one finds exactly them.
    _SQLITE_PURGE = ("DELETE FROM webhook_replies WHERE rowid < coalesce((SELECT rowid FROM webhook_replies "
                     "WHERE created_at >= ? ORDER BY rowid LIMIT 1), 9223372036854775807)")

    def __init__(self, db: StateDatabase, ttl: float = 360, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.ttl = ttl
        self.clock = clock
        self._purged = 0.0
        self._local = threading.local()
        self._lock_wait = lock_wait(db.bounded)
        # A host's own answer file (an engine only this store uses) waits for the write lock itself: see _execute
        self._waits_itself = db.dialect == "sqlite" and db.disposable
        self._sql = {name: db.driver_sql(text) for name, text in self._SQL.items()}
        if db.dialect == "sqlite":
            self._sql["purge"] = self._SQLITE_PURGE
        # A file beside a SQLite store, touched when it keeps answers: lets other processes know to look here.
        self.marker = f"{db.path}.kept" if db.path else None
        self._marked = 0.0

    def _run(self, name: str, *params):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        try:
            return self._execute(conn, self._sql[name], params)
        except BaseException:
            self._local.conn = None  # a fresh connection next time
            conn.close()
            raise

    def _connect(self):
        conn = self.db.raw_connection()
        if self._waits_itself:
            cursor = conn.cursor()
            cursor.execute("PRAGMA busy_timeout = 0")
            cursor.close()
        return conn

    def _execute(self, conn, sql: str, params: tuple):
        """One statement. On the host's file, its workers take turns at the file's write lock, each holding it for
        the few microseconds of one write; SQLite's own busy handler would sleep a millisecond, then 2, 5, 10,
        before trying again, and under load a few messages in a hundred find the lock held: those sleeps were
        the workers' idle time (measured: 50–75 µs a message, a twentieth of the webhook's throughput). This
        tries again after a tenth of a millisecond (sleeping, not spinning: the holder may need this very
        processor), within the same bound as before."""
        waited_since = None
        while True:
            cursor = conn.cursor()
            try:
                cursor.execute(sql, params)
                return cursor.fetchone() if cursor.description else cursor.rowcount
            except sqlite3.OperationalError as exc:
                if not self._waits_itself or "locked" not in str(exc):
                    raise
                now = self.clock.monotonic()
                waited_since = now if waited_since is None else waited_since
                if now - waited_since >= self._lock_wait:  # as long as the engine's busy timeout
                    raise
                self.clock.sleep(LOCK_RETRY)
            finally:
                cursor.close()

    def keep(self, key: str, answer: str) -> Kept:
        now = self.clock.time()
        if now - self._purged > PURGE_EVERY:
            self._purged = now
            self._run("purge", now - self.ttl)
        if self._run("keep", key, answer, now) == 1:
            self._mark(now)
            return Kept(answer, True)
        stored = self.get(key)
        return Kept(stored if stored is not None else answer, False)

    def get(self, key: str) -> str | None:
        row = self._run("get", key)
        return row[0] if row is not None else None

    def _mark(self, now: float) -> None:
        if self.marker and now - self._marked > 1.0:
            self._marked = now
            with open(self.marker, "a"):
                os.utime(self.marker, (now, now))

    def recently_kept(self) -> bool:
        """Whether any process kept an answer here within the time to live (its marker file's age says so)."""
        try:
            return self.clock.time() - os.stat(self.marker).st_mtime < self.ttl
        except (OSError, TypeError):
            return False


class RedisReplies:
    """In Redis: one SET NX with the time to live; a delivery that finds the key set sends what it holds."""

    def __init__(self, client, ttl: int = 360, prefix: str = "wechat_pub:reply", clock: Clock = SYSTEM_CLOCK):
        self.client = client
        self.ttl = int(ttl)
        self.prefix = prefix
        self.clock = clock

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def keep(self, key: str, answer: str) -> Kept:
        if self.client.set(self.key(key), answer, nx=True, ex=self.ttl):
            return Kept(answer, True)
        stored = self.get(key)
        return Kept(stored if stored is not None else answer, stored is None)

    def get(self, key: str) -> str | None:
        raw = self.client.get(self.key(key))
        return raw.decode() if raw is not None else None


class TieredReplies:
    """The shared store first, the host's local store when the shared one is away; what the webhook uses.

    Every call on the shared store is bounded (its client's timeouts); a failure opens the breaker for a few
    seconds, during which the local store serves alone. While the local store holds recent answers (the shared
    one was away), they are looked for there first, so a retry reaching any worker of this host gets them."""

    def __init__(self, shared, local: StoredReplies, breaker: Breaker, clock: Clock = SYSTEM_CLOCK):
        self.shared = shared
        self.local = local
        self.breaker = breaker
        self.clock = clock

    def keep(self, key: str, answer: str) -> Kept:
        if self.shared is not None and self.local.recently_kept():
            answered_here = self.local.get(key)
            if answered_here is not None:
                return Kept(answered_here, False)
        if self.shared is not None and not self.breaker.open:
            try:
                kept = self.shared.keep(key, answer)
            except Exception as exc:
                if not is_outage(exc):
                    raise
                log.warning("%s unavailable (%s): answering from this host", self.breaker.name, type(exc).__name__)
                self.breaker.failed(exc)
            else:
                self.breaker.succeeded()
                return kept
        try:
            return self.local.keep(key, answer)
        except Exception:  # this host's file is broken too: the follower still gets the answer, unkept
            log.exception("the webhook's answers could not be kept on this host (%s)", self.local.db.path)
            return Kept(answer, True)

    def get(self, key: str) -> str | None:
        return self.local.get(key) or (self.shared.get(key) if self.shared is not None else None)
