"""One config's worth of wechat-pub: one :class:`~wechat_pub.site.Site` per WeChat account (the top level is the
account ``default``; ``[accounts.NAME]`` adds others), the :class:`~wechat_pub.services.Services` they share
(the state database, Redis, locks, the webhook's answers, the console's users...), the scheduler's settings, and
the sandbox (for accounts without credentials)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.config import DEFAULT_ACCOUNT, Config
from wechat_pub.errors import ConfigError
from wechat_pub.sandbox.credentials import sandbox_credentials
from wechat_pub.services import Limits, Services
from wechat_pub.site import Site

if TYPE_CHECKING:  # pragma: no cover
    from wechat_pub.sandbox.state import SandboxSettings


class Deployment:
    """Every account of one config, over one state database."""

    def __init__(self, cfg: Config, clock: Clock = SYSTEM_CLOCK):
        self.cfg = cfg.account(DEFAULT_ACCOUNT)
        self.clock = clock
        accounts = [cfg.account(name) for name in cfg.account_names]
        self.services = Services(self.cfg, _limits(accounts), clock, _public_url(self.cfg))
        self.sites: dict[str, Site] = {account.name: Site(account, self.services, self.ensure_sandbox)
                                       for account in accounts}
        self._sandbox = None

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
            appid, secret = sandbox_credentials(site.name)  # (a site without credentials logs in with these)
            url = cfg["sandbox.webhook_url"] or (f"{webhook_base}{cfg['webhook.path']}" if webhook_base else "")
            accounts.append(SandboxAccount(appid=appid, secret=secret,
                                           account_id=f"gh_sandbox_{site.name}"[:20], webhook_url=url,
                                           webhook_token=cfg["webhook.token"], webhook_aes_key=cfg["webhook.aes_key"],
                                           verified=cfg["sandbox.verified"], kind=cfg["sandbox.kind"],
                                           phones=tuple(cfg["sandbox.phones"])))
        return SandboxSettings(db_path=str(self.services.state_dir / "sandbox.sqlite3"), accounts=accounts,
                               publish_delay=self.cfg["sandbox.publish_delay"], limits=self.cfg["sandbox.limits"],
                               failed_publish_keeps_draft=self.cfg["sandbox.failed_publish_keeps_draft"],
                               mass_delay=self.cfg["sandbox.mass_delay"], clock=self.clock.time)

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


def _limits(accounts: list[Config]) -> Limits:
    """The shared services' limits that every account's settings bound: answers kept for the longest clock skew
    any account accepts, queries moved in as soon as any account wants them."""
    return Limits(reply_ttl=max(120, max(cfg["webhook.max_clock_skew"] for cfg in accounts) + 60),
                  query_log_delay=min(cfg["webhook.query_log_delay"] for cfg in accounts))


def _public_url(cfg: Config) -> str:
    """console.public_url, which notifications show as a link: a web address (or empty), else a ConfigError."""
    url = cfg["console.public_url"]
    if not url:
        return url
    from wechat_pub.urls import safe_link  # (here: it imports urllib3, 35 ms of every command's start)

    if safe_link(url) is None:
        raise ConfigError(f"console.public_url {url!r} is not a web address.",
                          "Set it to where people reach the service, e.g. https://pub.example.com (or leave it empty).")
    return url.strip().rstrip("/")
