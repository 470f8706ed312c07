"""Leases shared by processes and hosts: ``lock(name)`` for a critical section (the token refresh; a push, a
send: ``renewed=True`` keeps the lease alive while the holder lives, however slow WeChat is),
``take_lease``/``drop_lease`` for a role held while renewed (the scheduler's leadership). A holder that dies
frees its lease when the lease runs out. In the state database, or in Redis (SET NX PX)."""

from __future__ import annotations

import logging
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from sqlalchemy import delete, update

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import locks

POLL_SECONDS = 0.05
log = logging.getLogger(__name__)


@dataclass
class Held:
    """A lock held: :meth:`still_held` renews its lease and says whether it is still this holder's (a lease
    that ran out may have been taken by another: what only one may do is checked with it just before)."""

    locks: "_Waiting"
    name: str
    holder: str
    lease: float

    def still_held(self) -> bool:
        return self.locks.renew(self.name, self.holder, self.lease)


class _Waiting:
    """``lock()`` for both kinds: try to acquire until ``wait`` runs out, hold, release."""

    clock: Clock

    def _acquire(self, name: str, holder: str, lease: float) -> bool:  # pragma: no cover - each kind has its own
        raise NotImplementedError

    def renew(self, name: str, holder: str, lease: float) -> bool:  # pragma: no cover
        raise NotImplementedError

    def drop_lease(self, name: str, holder: str) -> None:  # pragma: no cover
        raise NotImplementedError

    @contextmanager
    def lock(self, name: str, lease: float = 30, wait: float = 30, renewed: bool = False,
             busy: Callable[[], Exception] | None = None) -> Iterator[Held]:
        """Hold ``name`` across processes; after ``wait`` seconds of trying raise ``busy()`` (default: TimeoutError;
        only the wait: what the block raises is its own). ``renewed``: the lease is renewed every third of it while
        the block runs (a push through a slow WeChat outlives any lease; only a holder that died lets it run out)."""
        holder = uuid.uuid4().hex
        deadline = self.clock.monotonic() + wait
        while not self._acquire(name, holder, lease):
            if self.clock.monotonic() > deadline:
                raise busy() if busy else TimeoutError(f"lock {name!r} is held by another process")
            self.clock.sleep(POLL_SECONDS)
        held = Held(self, name, holder, lease)
        stop = threading.Event()
        if renewed:
            threading.Thread(target=self._keep_renewed, args=(held, stop), daemon=True,
                             name=f"lease {name}").start()
        try:
            yield held
        finally:
            stop.set()
            self.drop_lease(name, holder)

    @staticmethod
    def _keep_renewed(held: Held, stop: threading.Event) -> None:
        # (real seconds, not the injected clock's: a lease is kept alive for as long as its holder really runs)
        while not stop.wait(held.lease / 3):
            try:
                if not held.still_held() and not stop.is_set():  # (not: released meanwhile)
                    log.warning("lock %s was lost (its lease ran out and another took it)", held.name)
                    return
            except Exception as exc:  # the store away: the holder's own check before acting will say so
                log.warning("lock %s could not be renewed: %s", held.name, exc)


class Locks(_Waiting):
    def __init__(self, db: StateDatabase, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.clock = clock

    def take_lease(self, name: str, holder: str, lease: float) -> bool:
        """Hold ``name`` (or keep holding it) for ``lease`` more seconds; False while another holds it."""
        return self.renew(name, holder, lease) or self._acquire(name, holder, lease)

    def renew(self, name: str, holder: str, lease: float) -> bool:
        """``lease`` more seconds for ``holder``, if the lock is still its own (none took it after it ran out)."""
        with self.db.begin() as conn:
            return conn.execute(update(locks).where(locks.c.name == name, locks.c.holder == holder)
                                .values(expires_at=self.clock.time() + lease)).rowcount == 1

    def drop_lease(self, name: str, holder: str) -> None:
        with self.db.begin() as conn:
            conn.execute(delete(locks).where(locks.c.name == name, locks.c.holder == holder))

    def _acquire(self, name: str, holder: str, lease: float) -> bool:
        now = self.clock.time()
        with self.db.begin() as conn:
            conn.execute(delete(locks).where(locks.c.name == name, locks.c.expires_at < now))
            taken = conn.execute(self.db.insert_ignore(locks, {"name": name, "holder": holder,
                                                               "expires_at": now + lease})).first()
        return taken is not None


_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"
_RENEW = ("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) "
          "else return 0 end")


class RedisLocks(_Waiting):
    """The same in Redis: SET NX PX, released only by its holder (a Lua compare-and-delete)."""

    def __init__(self, client, prefix: str = "wechat_pub", clock: Clock = SYSTEM_CLOCK):
        self.client = client
        self.prefix = prefix
        self.clock = clock

    def key(self, name: str) -> str:
        return f"{self.prefix}:lock:{name}"

    def _acquire(self, name: str, holder: str, lease: float) -> bool:
        return bool(self.client.set(self.key(name), holder, nx=True, px=int(lease * 1000)))

    def renew(self, name: str, holder: str, lease: float) -> bool:
        return bool(self.client.eval(_RENEW, 1, self.key(name), holder, int(lease * 1000)))

    def drop_lease(self, name: str, holder: str) -> None:
        self.client.eval(_RELEASE, 1, self.key(name), holder)
