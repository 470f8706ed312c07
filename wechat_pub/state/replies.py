"""Webhook answers by delivery key, so WeChat's retries of one message get the first answer again, from any
worker and any host: in the state database, or in Redis (SET NX EX) for several hosts. Keys are hashes that
include the account's app id; a stored answer has its addressee blanked (no OpenID at rest)."""

from __future__ import annotations

import threading

from sqlalchemy import text

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase

POLL_SECONDS = 0.05


class WaitingForReplies:
    """What every reply store shares: waiting for the first delivery's answer."""

    clock: Clock = SYSTEM_CLOCK

    def get(self, key: str) -> str | None:  # pragma: no cover - each store has its own
        raise NotImplementedError

    def wait(self, key: str, seconds: float) -> str | None:
        deadline = self.clock.monotonic() + seconds
        while self.clock.monotonic() < deadline:
            found = self.get(key)
            if found is not None:
                return found
            self.clock.sleep(POLL_SECONDS)
        return None


class StoredReplies(WaitingForReplies):
    """In the state database. On the webhook's hot path: one plain SQL statement per step, on a connection
    kept per thread."""

    _CLAIM = "INSERT INTO webhook_replies (key, reply, created_at) VALUES (:key, NULL, :now) ON CONFLICT DO NOTHING"
    _GET = "SELECT reply FROM webhook_replies WHERE key = :key"
    _SAVE = "UPDATE webhook_replies SET reply = :reply WHERE key = :key"
    _PURGE = "DELETE FROM webhook_replies WHERE created_at < :before"

    def __init__(self, db: StateDatabase, ttl: float = 120, clock: Clock = SYSTEM_CLOCK):
        self.engine = db.engine
        self.ttl = ttl
        self.clock = clock
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
        now = self.clock.time()
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


class RedisReplies(WaitingForReplies):
    """In Redis, for webhooks on several hosts."""

    def __init__(self, client, ttl: int = 120, prefix: str = "wechat_pub:reply", clock: Clock = SYSTEM_CLOCK):
        self.client = client
        self.ttl = ttl
        self.prefix = prefix
        self.clock = clock

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def claim(self, key: str) -> tuple[bool, str | None]:
        if self.client.set(self.key(key), "", nx=True, ex=self.ttl):
            return True, None
        return False, self.get(key)

    def get(self, key: str) -> str | None:
        raw = self.client.get(self.key(key))
        return raw.decode() if raw else None

    def save(self, key: str, reply: str) -> None:
        self.client.set(self.key(key), reply, ex=self.ttl)
