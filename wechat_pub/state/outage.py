"""When a backing service (the state database, Redis) is away or too slow: which errors mean that, a breaker
that stops the webhook from paying the timeout on every message while it lasts, and the error people see."""

from __future__ import annotations

import threading

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.errors import ExitStatus, WechatPubError


class StateUnavailable(WechatPubError):
    """The state database or Redis could not be reached (or stayed locked): nothing was lost; try again."""

    exit_status = ExitStatus.NETWORK


def is_outage(exc: BaseException) -> bool:
    """An error that says a backing service is unreachable, locked or too slow, rather than a bug: worth
    retrying later (a scheduled push), or working around (the webhook)."""
    try:
        from sqlalchemy.exc import DBAPIError, OperationalError
        from sqlalchemy.exc import TimeoutError as PoolTimeout
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
        DBAPIError = OperationalError = PoolTimeout = ()  # type: ignore[assignment]
    if isinstance(exc, (OperationalError, PoolTimeout)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, DBAPIError) and _statement_timeout(exc):
        return True
    if _driver_outage(exc):  # raised straight from a DB-API connection (the webhook's answers)
        return True
    try:
        import redis
    except ImportError:
        return False
    return isinstance(exc, (redis.ConnectionError, redis.TimeoutError))


def _driver_outage(exc: BaseException) -> bool:
    import sqlite3

    if isinstance(exc, sqlite3.OperationalError):  # locked, busy, cannot open
        return True
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(exc, psycopg.OperationalError)  # connection lost, statement or lock timeout


def _statement_timeout(exc) -> bool:
    """PostgreSQL cancelled a statement that waited on a lock or ran past statement_timeout."""
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return code in ("57014", "55P03")  # query_canceled, lock_not_available


def explain_outage(exc: BaseException, what: str) -> StateUnavailable:
    """The user-facing error for an outage, without the URL (it may carry a password)."""
    kind = "Redis" if "redis" in type(exc).__module__ else "the state database"
    return StateUnavailable(f"Could not {what}: {kind} is unreachable or busy ({type(exc).__name__}).",
                            "Check that it is running and state.database_url / state.redis_url; nothing was lost, "
                            "run the command again.")


class Breaker:
    """Open for ``cooldown`` seconds after a failure: callers skip the service meanwhile, then try it again."""

    def __init__(self, name: str, cooldown: float = 3.0, clock: Clock = SYSTEM_CLOCK):
        self.name = name
        self.cooldown = cooldown
        self.clock = clock
        self._open_until = 0.0
        self.last_error = ""
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        return self.clock.monotonic() < self._open_until

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self._open_until = self.clock.monotonic() + self.cooldown
            self.last_error = type(exc).__name__

    def succeeded(self) -> None:
        with self._lock:
            self._open_until = 0.0
            self.last_error = ""
