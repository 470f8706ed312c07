"""Leases shared by processes and hosts: ``lock(name)`` for a short critical section (the token refresh),
``take_lease``/``drop_lease`` for a role held while renewed (the scheduler's leadership). A holder that dies
frees its lease when the lease runs out. In the state database, or in Redis (SET NX PX)."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import delete, update

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import locks

POLL_SECONDS = 0.05


class _Waiting:
    """``lock()`` for both kinds: try to acquire until ``wait`` runs out, hold, release."""

    clock: Clock

    def _acquire(self, name: str, holder: str, lease: float) -> bool:  # pragma: no cover - each kind has its own
        raise NotImplementedError

    def drop_lease(self, name: str, holder: str) -> None:  # pragma: no cover
        raise NotImplementedError

    @contextmanager
    def lock(self, name: str, lease: float = 30, wait: float = 30) -> Iterator[None]:
        """Hold ``name`` across processes; raise TimeoutError after ``wait`` seconds of trying."""
        holder = uuid.uuid4().hex
        deadline = self.clock.monotonic() + wait
        while not self._acquire(name, holder, lease):
            if self.clock.monotonic() > deadline:
                raise TimeoutError(f"lock {name!r} is held by another process")
            self.clock.sleep(POLL_SECONDS)
        try:
            yield
        finally:
            self.drop_lease(name, holder)


class Locks(_Waiting):
    def __init__(self, db: StateDatabase, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.clock = clock

    def take_lease(self, name: str, holder: str, lease: float) -> bool:
        """Hold ``name`` (or keep holding it) for ``lease`` more seconds; False while another holds it."""
        with self.db.begin() as conn:
            renewed = conn.execute(update(locks).where(locks.c.name == name, locks.c.holder == holder)
                                   .values(expires_at=self.clock.time() + lease)).rowcount
        return renewed == 1 or self._acquire(name, holder, lease)

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

    def drop_lease(self, name: str, holder: str) -> None:
        self.client.eval(_RELEASE, 1, self.key(name), holder)
