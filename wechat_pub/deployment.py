"""One config's worth of wechat-pub: one :class:`~wechat_pub.site.Site` per WeChat account (the top level is the
account ``default``; ``[accounts.NAME]`` adds others) and what they share: the state database, Redis (when
configured), the scheduler's lease, the webhook's answers, and the sandbox (for accounts without credentials)."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.config import DEFAULT_ACCOUNT, Config
from wechat_pub.errors import ConfigError
from wechat_pub.site import Site, sandbox_credentials

if TYPE_CHECKING:  # pragma: no cover
    from wechat_pub.sandbox.state import SandboxSettings
    from wechat_pub.state.database import StateDatabase


class Deployment:
    """Every account of one config, over one state database."""

    def __init__(self, cfg: Config, clock: Clock = SYSTEM_CLOCK):
        self.cfg = cfg.account(DEFAULT_ACCOUNT)
        self.clock = clock
        self.state_path: Path = self.cfg.resolve_path("paths.state")
        self.sites: dict[str, Site] = {name: Site(self, cfg.account(name)) for name in cfg.account_names}
        self._sandbox = None
        self.console_url = _public_url(self.cfg)  # `run` fills in its address when empty

    def site(self, name: str | None = None) -> Site:
        """The account ``name`` (None: the default account)."""
        name = name or DEFAULT_ACCOUNT
        if name not in self.sites:
            known = ", ".join(self.sites)
            raise ConfigError(f"no account {name!r} in {self.cfg.path or 'the configuration'}.",
                              f"Accounts: {known}. Add one as [accounts.{name}.wechat] in config.toml.")
        return self.sites[name]

    @property
    def default(self) -> Site:
        return self.sites[DEFAULT_ACCOUNT]

    @property
    def state_dir(self) -> Path:
        """The state folder, made 0700 on first use (each site's paths are taken from it as the deployment is
        built, so it is made before anything writes into it): whatever is kept in it is this user's alone."""
        from wechat_pub.state.private import make_private_folder

        return make_private_folder(self.state_path)

    # ---- shared state ------------------------------------------------------------------------------------

    @cached_property
    def database_url(self) -> str:
        from wechat_pub.state.urls import driver_url, sqlite_url

        return driver_url(self.cfg["state.database_url"] or sqlite_url(self.state_dir))

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

        ttl = max(120, max(site.cfg["webhook.max_clock_skew"] for site in self.sites.values()) + 60)
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

        delay = min(site.cfg["webhook.query_log_delay"] for site in self.sites.values())
        return QuerySpool(lambda: self.db, self.state_dir / "query-log", delay, self.clock)

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

        return LoginThrottle(self.db, self.clock)

    @cached_property
    def audit(self):
        from wechat_pub.state.audit import AuditLog

        return AuditLog(self.db, self.clock)

    @property
    def secure_cookies(self) -> bool:
        return self.cfg["console.secure_cookies"]

    # ---- the scheduler --------------------------------------------------------------------------------------

    @property
    def lease_seconds(self) -> float:
        return self.cfg["schedule.lease_seconds"]

    @property
    def sync_seconds(self) -> float:
        return self.cfg["schedule.sync_seconds"]

    @property
    def timezone(self) -> str:
        return self.cfg["publisher.timezone"]

    # ---- the sandbox ----------------------------------------------------------------------------------------

    def sandbox_settings(self, webhook_base: str = "") -> "SandboxSettings":
        """The emulated accounts: every account without credentials, each with its webhook (where
        PUBLISHJOBFINISH goes: its configured ``sandbox.webhook_url``, else ``webhook_base`` + its path)."""
        from wechat_pub.sandbox.state import SandboxAccount, SandboxSettings

        accounts = []
        for site in self.sites.values():  # an account with credentials gets a sandbox twin for trying things
            cfg = site.cfg
            appid, secret = (site.appid, site._secret) if site.uses_sandbox else sandbox_credentials(site.name)
            url = cfg["sandbox.webhook_url"] or (f"{webhook_base}{cfg['webhook.path']}" if webhook_base else "")
            accounts.append(SandboxAccount(appid=appid, secret=secret,
                                           account_id=f"gh_sandbox_{site.name}"[:20], webhook_url=url,
                                           webhook_token=cfg["webhook.token"], webhook_aes_key=cfg["webhook.aes_key"],
                                           verified=cfg["sandbox.verified"], kind=cfg["sandbox.kind"],
                                           phones=tuple(cfg["sandbox.phones"])))
        return SandboxSettings(db_path=str(self.state_dir / "sandbox.sqlite3"), accounts=accounts,
                               publish_delay=self.cfg["sandbox.publish_delay"], limits=self.cfg["sandbox.limits"],
                               failed_publish_keeps_draft=self.cfg["sandbox.failed_publish_keeps_draft"],
                               mass_delay=self.cfg["sandbox.mass_delay"])

    @property
    def max_body(self) -> int:
        """The largest webhook request body any account accepts (one limit for the whole web app)."""
        return max(site.cfg["webhook.max_body"] for site in self.sites.values())

    @property
    def sandbox_address(self) -> tuple[str, int]:
        return self.cfg["sandbox.host"], self.cfg["sandbox.port"]

    def ensure_sandbox(self, webhook_base: str = ""):
        """The sandbox serving the accounts without credentials: one already running on the configured port,
        else one started in this process (stopped by :meth:`close`)."""
        from wechat_pub.sandbox.server import ensure_sandbox

        if self._sandbox is None:
            host, port = self.sandbox_address
            self._sandbox = ensure_sandbox(self.sandbox_settings(webhook_base), host, port)
        return self._sandbox

    @property
    def uses_sandbox(self) -> bool:
        return any(site.uses_sandbox for site in self.sites.values())

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None


def open_deployment(config_path: str | None = None, clock: Clock = SYSTEM_CLOCK) -> Deployment:
    from wechat_pub.config import load_config

    return Deployment(load_config(config_path), clock)


def _public_url(cfg: Config) -> str:
    """console.public_url, which notifications show as a link: a web address (or empty), else a ConfigError."""
    from wechat_pub.urls import safe_link

    url = cfg["console.public_url"]
    if url and safe_link(url) is None:
        raise ConfigError(f"console.public_url {url!r} is not a web address.",
                          "Set it to where people reach the service, e.g. https://pub.example.com (or leave it empty).")
    return url.strip().rstrip("/")
