"""Webhook answers by delivery key, so WeChat's retries of one message get the first answer again, from any
worker and any host, and no message is answered twice.

A delivery *claims* its key before it works. The claim carries a short lease (:data:`CLAIM_LEASE`, under
WeChat's 5 s): a retry that finds a claim without an answer waits for it, and when the lease runs out (the
first worker died, or failed) the retry takes the claim over and answers the message itself. An answer is
kept for as long as a request's timestamp is accepted, so a replay inside that window gets the stored answer,
never a second run. Keys are hashes that include the account's app id; a stored answer has its addressee
blanked (no OpenID at rest).

Stores: the state database (:class:`StoredReplies`), Redis (:class:`RedisReplies`), and a SQLite file on the
host (also :class:`StoredReplies`) that :class:`TieredReplies` falls back to while the shared store is away:
the answer is then still sent, and retries reaching any worker of the host still get it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import text

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.outage import Breaker, is_outage

log = logging.getLogger(__name__)

CLAIM_LEASE = 3.0  # seconds a claim holds without an answer; WeChat retries after 5
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Claim:
    first: bool  # this delivery answers the message
    answer: str | None = None  # a retry: the stored answer, if there is one yet
    tier: str = "shared"  # where the claim lives: "shared" or "local"


class StoredReplies:
    """In a SQL database (the shared state database, or the host's local file). One plain statement per step,
    on a connection kept per thread."""

    _SQL = {
        "claim": "INSERT INTO webhook_replies (key, reply, created_at, claimed_at) VALUES (:key, NULL, :now, :now) "
                 "ON CONFLICT DO NOTHING",
        "get": "SELECT reply, claimed_at FROM webhook_replies WHERE key = :key",
        "take_over": "UPDATE webhook_replies SET claimed_at = :now WHERE key = :key AND reply IS NULL "
                     "AND claimed_at < :expired",
        "save": "INSERT INTO webhook_replies (key, reply, created_at, claimed_at) VALUES (:key, :reply, :now, :now) "
                "ON CONFLICT (key) DO UPDATE SET reply = :reply",
        "release": "DELETE FROM webhook_replies WHERE key = :key AND reply IS NULL",
        "purge": "DELETE FROM webhook_replies WHERE created_at < :before",
    }

    def __init__(self, db: StateDatabase, ttl: float = 360, clock: Clock = SYSTEM_CLOCK):
        self.engine = db.engine
        self.ttl = ttl
        self.clock = clock
        self._purged = 0.0
        self._local = threading.local()
        self._statements = {name: text(sql) for name, sql in self._SQL.items()}

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.engine.connect()
        return conn

    def _run(self, name: str, **params):
        conn = self._conn()
        try:
            result = conn.execute(self._statements[name], params)
            found = result.first() if result.returns_rows else result.rowcount
            conn.commit()  # also ends a read: later reads see other workers' writes
        except BaseException:
            self._discard()
            raise
        return found

    def _discard(self) -> None:
        """Forget this thread's connection after an error: the next call gets a fresh one."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # the server is gone: nothing to close
                pass

    def claim(self, key: str) -> Claim:
        now = self.clock.time()
        if now - self._purged > 60:
            self._purged = now
            self._run("purge", before=now - self.ttl)
        if self._run("claim", key=key, now=now) == 1:
            return Claim(True)
        row = self._run("get", key=key)
        if row is not None and row.reply is not None:
            return Claim(False, row.reply)
        return Claim(self.take_over(key))

    def take_over(self, key: str) -> bool:
        """Take a claim whose lease ran out without an answer (its worker died, or failed)."""
        now = self.clock.time()
        return self._run("take_over", key=key, now=now, expired=now - CLAIM_LEASE) == 1

    def get(self, key: str) -> str | None:
        row = self._run("get", key=key)
        return row.reply if row is not None else None

    def save(self, key: str, reply: str) -> None:
        self._run("save", key=key, reply=reply, now=self.clock.time())

    def release(self, key: str) -> None:
        """Give up a claim without an answer (the work failed): a retry does it again at once."""
        self._run("release", key=key)


class RedisReplies:
    """In Redis: the claim is ``claim:<time>`` set with NX; the answer replaces it; both expire with the TTL."""

    _TAKE_OVER = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                  "redis.call('set', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1 else return 0 end")

    def __init__(self, client, ttl: int = 360, prefix: str = "wechat_pub:reply", clock: Clock = SYSTEM_CLOCK):
        self.client = client
        self.ttl = int(ttl)
        self.prefix = prefix
        self.clock = clock

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def _claim_value(self) -> str:
        return f"claim:{self.clock.time():.3f}"

    def claim(self, key: str) -> Claim:
        if self.client.set(self.key(key), self._claim_value(), nx=True, ex=self.ttl):
            return Claim(True)
        raw = self.client.get(self.key(key))
        value = raw.decode() if raw is not None else None
        if value is not None and not value.startswith("claim:"):
            return Claim(False, value)
        return Claim(self._take_over(key, value))

    def _take_over(self, key: str, seen: str | None) -> bool:
        if seen is None:  # expired meanwhile: claim it afresh
            return bool(self.client.set(self.key(key), self._claim_value(), nx=True, ex=self.ttl))
        if float(seen.split(":", 1)[1]) >= self.clock.time() - CLAIM_LEASE:
            return False
        return bool(self.client.eval(self._TAKE_OVER, 1, self.key(key), seen, self._claim_value(), self.ttl))

    def take_over(self, key: str) -> bool:
        raw = self.client.get(self.key(key))
        value = raw.decode() if raw is not None else None
        if value is not None and not value.startswith("claim:"):
            return False
        return self._take_over(key, value)

    def get(self, key: str) -> str | None:
        raw = self.client.get(self.key(key))
        value = raw.decode() if raw is not None else None
        return None if value is None or value.startswith("claim:") else value

    def save(self, key: str, reply: str) -> None:
        self.client.set(self.key(key), reply, ex=self.ttl)

    def release(self, key: str) -> None:
        raw = self.client.get(self.key(key))
        if raw is not None and raw.decode().startswith("claim:"):
            self.client.delete(self.key(key))


class TieredReplies:
    """The shared store first, the host's local store when the shared one is away; what the webhook uses.

    Every call on the shared store is bounded (its client's timeouts); a failure opens the breaker for a few
    seconds, during which the local store serves alone. Answers given from the local store are found there
    first, so a retry reaching any worker of this host gets them, even after the shared store is back."""

    def __init__(self, shared, local: StoredReplies, breaker: Breaker, clock: Clock = SYSTEM_CLOCK):
        self.shared = shared
        self.local = local
        self.breaker = breaker
        self.clock = clock

    def _tier(self, name: str):
        return self.shared if name == "shared" else self.local

    def _shared(self, call, *args) -> tuple[bool, object]:
        """(reached, result) of ``call(*args)`` on the shared store; not reached while it is away (the breaker
        then stays open for a few seconds)."""
        if self.shared is None or self.breaker.open:
            return False, None
        try:
            result = call(*args)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("%s unavailable (%s): answering from this host", self.breaker.name, type(exc).__name__)
            self.breaker.failed(exc)
            return False, None
        self.breaker.succeeded()
        return True, result

    def claim(self, key: str) -> Claim:
        answered_here = self.local.get(key)
        if answered_here is not None:
            return Claim(False, answered_here, "local")
        reached, claim = self._shared(self.shared.claim, key) if self.shared is not None else (False, None)
        if reached:
            return claim
        local = self.local.claim(key)
        return Claim(local.first, local.answer, "local")

    def settle(self, key: str, claim: Claim, seconds: float) -> str | None:
        """A retry's wait for the first delivery's answer: the answer, or None once this delivery holds the
        claim (the first one's lease ran out, or its store went away) and must answer itself."""
        deadline = self.clock.monotonic() + seconds
        while self.clock.monotonic() < deadline:
            if claim.tier == "shared":
                reached, found = self._shared(self.shared.get, key)
                if reached and found is None:
                    reached, taken = self._shared(self.shared.take_over, key)
                    if reached and taken:
                        return None
                if not reached:  # the shared store went away while we waited
                    claim = Claim(False, None, "local")
                    if self.local.claim(key).first:
                        return None
                    continue
            else:
                found = self.local.get(key)
                if found is None and self.local.take_over(key):
                    return None
            if found is not None:
                return found
            self.clock.sleep(POLL_SECONDS)
        return None  # nobody answered in time: answering twice beats leaving the follower without an answer

    def save(self, key: str, reply: str, claim: Claim) -> None:
        if claim.tier == "shared":
            reached, _ = self._shared(self.shared.save, key, reply)
            if reached:
                return
        self.local.save(key, reply)

    def release(self, key: str, claim: Claim) -> None:
        if claim.tier == "shared":
            self._shared(self.shared.release, key)
        else:
            self.local.release(key)
