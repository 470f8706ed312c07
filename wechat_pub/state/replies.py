"""Webhook answers by delivery key, so WeChat's retries of one message get the first answer again, from any
worker and any host, and no message is answered (or logged) twice.

A delivery works out its answer, then *keeps* it under its key in one write: the first to keep an answer is
the one every delivery of that message sends (a retry that raced the first one, or came after it, sends the
stored answer, not its own), and only the delivery whose answer was kept logs the query. A worker that dies
before keeping its answer leaves nothing behind: the retry simply answers. An answer is kept for as long as
a request's timestamp is accepted, so a replay inside that window gets it again. Keys are hashes that
include the account's app id; a kept answer has its addressee blanked (no OpenID at rest).

Stores: this host's own (:class:`HostReplies`, an LMDB file its workers share), the state database
(:class:`StoredReplies`, raw SQL on a DB-API connection per thread) and Redis (:class:`RedisReplies`, one SET
NX) for several hosts. :class:`TieredReplies` puts them together (issue 30): with several hosts the state
database decides (what every host sees, also while Redis is away or back empty), Redis holds a copy that decides
while the database is away, and the host's store serves only when both are away: the answer is then still
sent, and retries reaching any worker of the host still get it.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import NamedTuple

import lmdb

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.outage import Breaker, is_outage

log = logging.getLogger(__name__)

PURGE_EVERY = 60.0  # seconds between deletions of answers older than the time to live
RETRY_WINDOW = 30.0  # seconds of answers kept when the host's file fills up (WeChat retries within 15)


class Kept(NamedTuple):  # (made once per message: a tuple is the cheapest)
    answer: str  # the answer every delivery of this message sends
    first: bool  # this delivery's answer is the one kept (it logs the query, runs the event's effects)


class HostReplies:
    """This host's answers, for every worker on it: an LMDB environment (a B-tree in a memory-mapped file; its
    writers take turns at a lock in shared memory, which the next one takes over if a worker dies holding it).
    A keep is one short write transaction: 5 µs of CPU in a loop of keeps, where the same write to a SQLite file
    took 15, and under load its workers waited on SQLite's file locks besides (that write was the largest part of
    a follower's message); between real requests, its pages out of the caches, about 30 µs (README). Written without syncing to disk: the answers need to outlive a worker, not the machine."""

    # Bytes reserved: the file shows this size but is sparse (it takes on disk what the answers do), and holds
    # about 220,000 replies of 1.5 KB before it is emptied (MOST_USED; measured): 600 a second for the six
    # minutes an answer is kept (more of shorter ones).
    MAP_SIZE = 1 << 30
    FILL_CHECK_EVERY = 1024  # keeps between looks at how full the file has been (once half full: purged then too)
    MOST_USED = 0.6  # share of the file the answers may fill before all but the newest go (see _make_room)

    def __init__(self, path: str | os.PathLike, ttl: float = 360, clock: Clock = SYSTEM_CLOCK):
        self.path = Path(path)
        self.ttl = ttl
        self.clock = clock
        self._purged = 0.0
        self._keeps = 0
        self._opened: tuple[int, object, object, object] | None = None  # (pid, environment, answers, times)
        self._opening = threading.Lock()
        # A file beside the store, touched when it keeps answers: lets other processes know to look here.
        self.marker = f"{self.path}.kept"
        self._marked = 0.0

    def _open(self):
        """(environment, answers, times) of this process: an environment is never used across a fork."""
        opened = self._opened
        if opened is None or opened[0] != os.getpid():
            with self._opening:
                opened = self._opened
                if opened is None or opened[0] != os.getpid():
                    opened = self._opened = (os.getpid(), *self._open_environment())
        return opened[1:]

    def _open_environment(self):
        self.path.mkdir(parents=True, exist_ok=True)
        environment = lmdb.open(str(self.path), map_size=self.MAP_SIZE, max_dbs=2, sync=False, metasync=False,
                                writemap=True, readahead=False)
        environment.reader_check()  # read slots of processes that died are freed
        return environment, environment.open_db(b"answers"), environment.open_db(b"times")

    def keep(self, key: str, answer: str) -> Kept:
        now = self.clock.time()
        self._keeps += 1
        if now - self._purged > PURGE_EVERY or (self._keeps % self.FILL_CHECK_EVERY == 0 and self._half_full()):
            self._purged = now
            self.purge(now - self.ttl)
            if self._used_share() > self.MOST_USED:
                self._make_room()
        environment, answers, times = self._open()
        name = key.encode()
        with environment.begin(write=True) as txn:
            if txn.put(name, answer.encode(), db=answers, overwrite=False):
                txn.put(_moment(now) + name, b"", db=times)  # (in time order: what expired is found first)
                stored = None
            else:
                stored = txn.get(name, db=answers)
        if stored is None:
            self._mark(now)
            return Kept(answer, True)
        return Kept(stored.decode(), False)

    def get(self, key: str) -> str | None:
        environment, answers, _times = self._open()
        with environment.begin() as txn:
            stored = txn.get(key.encode(), db=answers)
        return stored.decode() if stored is not None else None

    def _half_full(self) -> bool:
        """Whether the file has ever been half full: purged more often then, so there is always room (a full
        LMDB file takes no write at all, not even the deletions that would make room)."""
        environment, _answers, _times = self._open()
        return (environment.info()["last_pgno"] + 1) * environment.stat()["psize"] > self.MAP_SIZE // 2

    def _used_share(self) -> float:
        """The share of the file the answers and their times take now (not the most they ever took)."""
        environment, answers, times = self._open()
        with environment.begin() as txn:
            pages = sum(stat["branch_pages"] + stat["leaf_pages"] + stat["overflow_pages"]
                        for stat in (txn.stat(answers), txn.stat(times)))
        return pages * environment.stat()["psize"] / self.MAP_SIZE

    def _make_room(self) -> int:
        """Empty the file but for the answers of the last :data:`RETRY_WINDOW` seconds (at most a quarter of
        them): the answers within their time to live are about to fill it, and a full LMDB file takes no write
        at all, not even the deletions that would make room (every message's answer would go unkept: its
        retries answered and logged again). WeChat retries a message within 15 seconds, so what goes is kept
        only for replays of older messages. The trees are dropped whole, which frees their pages: deleting
        half of the answers one by one rewrote (copied) nearly every page of them, more than the room left.
        Only thousands of messages a second, for minutes, come to this."""
        environment, answers, times = self._open()
        with environment.begin(write=True) as txn:
            kept = txn.stat(times)["entries"]
            young = _newest(txn, answers, times, kept // 4, self.clock.time() - RETRY_WINDOW)
            txn.drop(answers, delete=False)
            txn.drop(times, delete=False)
            for moment_and_name, answer in young:
                txn.put(moment_and_name[8:], answer, db=answers)
                txn.put(moment_and_name, b"", db=times)
        log.warning("the webhook's answers on this host filled %s: %d dropped, the newest %d (within %d s) kept",
                    self.path, kept - len(young), len(young), RETRY_WINDOW)
        return kept - len(young)

    def purge(self, before: float) -> int:
        """Delete the answers kept before ``before``: how many."""
        environment, answers, times = self._open()
        limit, deleted = _moment(before), 0
        with environment.begin(write=True) as txn:
            cursor = txn.cursor(db=times)
            while cursor.first() and cursor.key() < limit:
                txn.delete(cursor.key()[8:], db=answers)
                cursor.delete()
                deleted += 1
        return deleted

    def _mark(self, now: float) -> None:
        if now - self._marked > 1.0:
            self._marked = now
            with open(self.marker, "a"):
                os.utime(self.marker, (now, now))

    def recently_kept(self) -> bool:
        """Whether any process kept an answer here within the time to live (its marker file's age says so)."""
        try:
            return self.clock.time() - os.stat(self.marker).st_mtime < self.ttl
        except OSError:
            return False


def _newest(txn, answers, times, most: int, since: float) -> list[tuple[bytes, bytes]]:
    """(time and key, answer) of the answers kept since ``since``, at most ``most`` of them, the newest."""
    newest, limit, cursor = [], _moment(since), txn.cursor(db=times)
    if cursor.last():
        while len(newest) < most and cursor.key() >= limit:
            newest.append((cursor.key(), txn.get(cursor.key()[8:], db=answers)))
            if not cursor.prev():
                break
    return newest


def _moment(timestamp: float) -> bytes:
    """A time as 8 bytes that sort as the times do (milliseconds)."""
    return int(timestamp * 1000).to_bytes(8, "big")


class StoredReplies:
    """In the state database: one statement per message on a DB-API connection kept per thread, in autocommit."""

    _SQL = {
        # Inserts the answer, or fills a row an older version left without one; one row changed only then.
        "keep": "INSERT INTO webhook_replies (key, reply, created_at, claimed_at) VALUES (?, ?, ?, 0) "
                "ON CONFLICT (key) DO UPDATE SET reply = excluded.reply WHERE webhook_replies.reply IS NULL",
        "get": "SELECT reply FROM webhook_replies WHERE key = ?",
        "replace": "UPDATE webhook_replies SET reply = ? WHERE key = ?",
        "purge": "DELETE FROM webhook_replies WHERE created_at < ?",
    }

    def __init__(self, db: StateDatabase, ttl: float = 360, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.ttl = ttl
        self.clock = clock
        self._purged = 0.0
        self._local = threading.local()
        self._sql = {name: db.driver_sql(text) for name, text in self._SQL.items()}

    def _run(self, name: str, *params):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self.db.raw_connection()
        cursor = conn.cursor()
        try:
            cursor.execute(self._sql[name], params)
            return cursor.fetchone() if cursor.description else cursor.rowcount
        except BaseException:
            self._local.conn = None  # a fresh connection next time
            conn.close()
            raise
        finally:
            cursor.close()

    def keep(self, key: str, answer: str) -> Kept:
        now = self.clock.time()
        if now - self._purged > PURGE_EVERY:
            self._purged = now
            self._run("purge", now - self.ttl)
        if self._run("keep", key, answer, now) == 1:
            return Kept(answer, True)
        stored = self.get(key)
        return Kept(stored if stored is not None else answer, False)

    def get(self, key: str) -> str | None:
        row = self._run("get", key)
        return row[0] if row is not None else None

    def replace(self, key: str, answer: str) -> None:
        """Make ``answer`` the one kept (an answer Redis kept while the database was away)."""
        self._run("replace", answer, key)


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


AWAY = object()  # what a guarded store's call gives while the store is away


class Guarded:
    """A shared store behind its breaker: a call that finds it away (or makes it fail) gives :data:`AWAY`, and
    for the breaker's cool-down the store is not tried again (nobody waits for its timeout meanwhile)."""

    def __init__(self, store, breaker: Breaker):
        self.store = store
        self.breaker = breaker

    def attempt(self, operation):
        """``operation(store)``, or AWAY."""
        if self.breaker.open:
            return AWAY
        try:
            result = operation(self.store)
        except Exception as exc:
            if not is_outage(exc):
                raise
            log.warning("%s unavailable (%s): answering without it", self.breaker.name, type(exc).__name__)
            self.breaker.failed(exc)
            return AWAY
        self.breaker.succeeded()
        return result


class TieredReplies:
    """What the webhook uses: the shared stores, then the host's own when they are away.

    ``decider`` is the store every host reads the first answer from: the state database when it is shared
    (PostgreSQL), else Redis (or None: one host, its own store alone). ``mirror`` is Redis beside a shared
    database: it keeps a copy of each first answer, and decides alone while the database is away; an answer it
    kept then is adopted by the database when it is back. So a retry on any host finds the first answer whether
    Redis is up, away, back empty, or skipped for a breaker's cool-down on one host and not on another.

    While the host's store holds recent answers (the shared ones were away), they are looked for there first,
    so a retry reaching any worker of this host gets them."""

    def __init__(self, decider: Guarded | None, local: HostReplies, mirror: Guarded | None = None):
        self.decider = decider
        self.mirror = mirror
        self.local = local

    def keep(self, key: str, answer: str) -> Kept:
        if self.decider is not None and self.local.recently_kept():
            answered_here = self.local.get(key)
            if answered_here is not None:
                return Kept(answered_here, False)
        kept = self._keep_shared(key, answer)
        if kept is not AWAY:
            return kept
        try:
            return self.local.keep(key, answer)
        except Exception:  # this host's store is broken too: the follower still gets the answer, unkept
            log.exception("the webhook's answers could not be kept on this host (%s)", self.local.path)
            return Kept(answer, True)

    def _keep_shared(self, key: str, answer: str):
        """The first answer as the shared stores have it (AWAY when none of them answered)."""
        def keep(store) -> Kept:
            return store.keep(key, answer)

        decided = self.decider.attempt(keep) if self.decider is not None else AWAY
        if self.mirror is None:
            return decided
        if decided is AWAY:  # the database is away: Redis decides, and every host reads it there
            return self.mirror.attempt(keep)
        if not decided.first:
            return decided
        mirrored = self.mirror.attempt(keep)  # the copy that answers while the database is away
        if mirrored is AWAY or mirrored.first:
            return decided
        # Redis answered this message while the database was away: that answer was sent and logged, so it stays
        self.decider.attempt(lambda store: store.replace(key, mirrored.answer))
        return Kept(mirrored.answer, False)

    def get(self, key: str) -> str | None:
        found = self.local.get(key)
        for tier in (self.decider, self.mirror):
            if found is None and tier is not None:
                stored = tier.attempt(lambda store: store.get(key))
                found = None if stored is AWAY else stored
        return found
