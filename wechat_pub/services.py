"""What the accounts of one config share, in one object: the state folder, the state database (and the
webhook's bounded engine on it), Redis, the token storage, locks and leases, the webhook's answers, the query
spool, the console's users, sessions and audit log, and the clock. :class:`~wechat_pub.deployment.Deployment`
builds one and gives it to each :class:`~wechat_pub.site.Site`; each is made on first use, so a command pays only
for what it touches. Nothing here knows about sites.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.config import Config

if TYPE_CHECKING:  # pragma: no cover
    from wechat_pub.state.database import StateDatabase


@dataclass(frozen=True)
class Limits:
    """What the shared services take from every account's settings at once."""

    reply_ttl: float  # how long the webhook keeps an answer (WeChat's retries come within the clock skew)
    query_log_delay: float  # how long a followers' query waits in the spool before it moves into the database


class Services:
    """The shared services of one config (its top-level settings: ``state.*``, ``console.*``, ``paths.state``)."""

    def __init__(self, cfg: Config, limits: Limits, clock: Clock = SYSTEM_CLOCK, console_url: str = ""):
        self.cfg = cfg
        self.limits = limits
        self.clock = clock
        self.state_path: Path = cfg.resolve_path("paths.state")
        self.console_url = console_url  # where people reach the console (`run` fills in its address when empty)

    @property
    def state_dir(self) -> Path:
        """The state folder, made 0700 on first use (each site's paths are taken from it as the sites are built,
        so it is made before anything writes into it): whatever is kept in it is this user's alone."""
        from wechat_pub.state.private import make_private_folder

        return make_private_folder(self.state_path)

    # ---- the state database and Redis -------------------------------------------------------------

    @cached_property
    def database_url(self) -> str:
        from wechat_pub.state.urls import driver_url, sqlite_url

        return driver_url(self.cfg["state.database_url"] or sqlite_url(self.state_dir))

    @cached_property
    def left_behind(self) -> "StateDatabase | None":
        """The default SQLite state database when the deployment now uses another (``state.database_url`` set
        after it ran on SQLite): its records are not read, and a push must not act as if they did not exist
        (see ``wechat-pub db copy``)."""
        from wechat_pub.state.database import StateDatabase
        from wechat_pub.state.urls import driver_url, sqlite_url

        default = sqlite_url(self.state_path)
        if self.database_url == driver_url(default) or not (self.state_path / "state.sqlite3").is_file():
            return None
        return StateDatabase(default, bounded=True)  # (read as it is: never upgraded, nor waited on for long)

    @cached_property
    def db(self) -> "StateDatabase":
        from wechat_pub.state.database import StateDatabase

        return StateDatabase(self.database_url)

    @cached_property
    def redis(self):
        """The Redis client when ``state.redis_url`` is set, else None."""
        from wechat_pub.state.redis import redis_client

        url = self.cfg["state.redis_url"]
        return redis_client(url) if url else None

    @cached_property
    def token_storage(self):
        """Where access tokens live: Redis when configured (several hosts), else the state database."""
        from wechat_pub.state.tokens import RedisTokenStorage, TokenStorage

        return RedisTokenStorage(self.redis) if self.redis else TokenStorage(self.db, self.clock)

    @cached_property
    def locks(self):
        """Short locks (the token refresh): in Redis when configured, else in the state database."""
        from wechat_pub.state.locks import Locks, RedisLocks

        return RedisLocks(self.redis, clock=self.clock) if self.redis else Locks(self.db, self.clock)

    @cached_property
    def leases(self):
        """The scheduler's leadership: always in the state database, beside the jobs it guards."""
        from wechat_pub.state.locks import Locks

        return Locks(self.db, self.clock)

    # ---- what the webhook uses: every wait bounded, and a way on when a service is away --------------------

    @cached_property
    def bounded_db(self) -> "StateDatabase":
        """The state database for the webhook: every wait ends within a second, with an error."""
        from wechat_pub.state.database import StateDatabase

        return StateDatabase(self.database_url, bounded=True)

    @cached_property
    def fast_redis(self):
        from wechat_pub.state.redis import redis_client

        url = self.cfg["state.redis_url"]
        return redis_client(url, timeout=0.5) if url else None

    @cached_property
    def breakers(self) -> dict:
        from wechat_pub.state.outage import Breaker

        return {"database": Breaker("the state database", clock=self.clock), "redis": Breaker("Redis", clock=self.clock)}

    @cached_property
    def replies(self):
        """The webhook's answers by delivery, where every worker a retry can reach finds them (issue 30): a
        PostgreSQL state database decides for several hosts, with Redis (when configured) as its copy for the
        time the database is away; on SQLite (one host's) Redis decides when configured. This host's own store
        serves when those are away, or alone."""
        from wechat_pub.state.replies import Guarded, HostReplies, RedisReplies, StoredReplies, TieredReplies

        ttl = self.limits.reply_ttl
        local = HostReplies(self.state_dir / "webhook-answers", ttl, self.clock)
        redis = None
        if self.fast_redis is not None:
            redis = Guarded(RedisReplies(self.fast_redis, ttl, clock=self.clock), self.breakers["redis"])
        if self.database_url.startswith("sqlite"):  # (the URL, not the engine: the database may be away now)
            return TieredReplies(redis, local)
        stored = Guarded(StoredReplies(self.bounded_db, ttl, self.clock), self.breakers["database"])
        return TieredReplies(stored, local, mirror=redis)

    @cached_property
    def query_spool(self):
        from wechat_pub.state.querylog import QuerySpool
        from wechat_pub.state.querymover import QueryMover
        from wechat_pub.subcommand import own_command

        folder = self.state_dir / "query-log"
        mover = None  # (a config made in code, not read from a file: a process of its own could not read it)
        if self.cfg.path:
            mover = QueryMover(folder, own_command("move-queries", config_path=self.cfg.path), clock=self.clock)
        return QuerySpool(lambda: self.db, folder, self.limits.query_log_delay, self.clock, mover)

    def health(self) -> dict:
        """Each backing service as the webhook sees it: 'ok', 'down' (with why) or 'off' (not configured)."""
        from sqlalchemy import text

        report = {"database": "ok", "redis": "off"}
        try:
            with self.bounded_db.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            report["database"] = f"down ({type(exc).__name__})"
        if self.fast_redis is not None:
            try:
                self.fast_redis.ping()
                report["redis"] = "ok"
            except Exception as exc:
                report["redis"] = f"down ({type(exc).__name__})"
        return report

    def query_salt(self) -> str:
        """The salt of the followers' hashed ids, the same on every host: the configured one, else one kept in
        the shared database (made by the first host). The database is its one place, as for the console's key:
        both must be the same on every host and worker, and a second copy is one more to leak or drift. A
        salt file of an older version (``query-salt`` in the state folder) is adopted, so earlier hashes still
        match, and removed once the database holds it. Never logged."""
        import logging

        from wechat_pub.state.issues import SharedValues
        from wechat_pub.state.outage import is_outage

        if self.cfg["webhook.query_salt"]:
            return self.cfg["webhook.query_salt"]
        legacy = self.state_path / "query-salt"
        known = legacy.read_text().strip() if legacy.is_file() else ""
        try:
            salt = SharedValues(self.db).get_or_create("query_salt", lambda: known or secrets.token_hex(16))
        except Exception as exc:
            if not is_outage(exc):
                raise
            if known:
                return known
            logging.getLogger(__name__).warning("the state database is away and no query salt is known yet: "
                                                "followers are counted by this process alone until it is back")
            return secrets.token_hex(16)
        legacy.unlink(missing_ok=True)
        return salt

    def console_secret(self) -> str:
        """Signs the console's session cookies: the configured key, else one made once in the shared database
        (the same on every host and worker, so a session works whichever one answers)."""
        from wechat_pub.state.issues import SharedValues

        return self.cfg["console.secret_key"] or SharedValues(self.db).get_or_create(
            "console_secret_key", lambda: secrets.token_hex(32))

    @cached_property
    def users(self):
        from wechat_pub.state.users import Users

        return Users(self.db, self.clock)

    @cached_property
    def sessions(self):
        from wechat_pub.state.sessions import Sessions

        return Sessions(self.db, self.clock, self.cfg["console.session_idle_hours"],
                        self.cfg["console.session_max_days"])

    @cached_property
    def login_throttle(self):
        from wechat_pub.state.users import LoginThrottle

        return LoginThrottle(self.db, self.clock, self.cfg["console.sign_in_limit_per_address"])

    @cached_property
    def audit(self):
        from wechat_pub.state.audit import AuditLog

        return AuditLog(self.db, self.clock)
