"""Which WeChat account a command talks to: the real one when credentials are configured, else the
built-in sandbox (one already running on the configured port, or one started for the command)."""

from __future__ import annotations

from dataclasses import dataclass

from wechat_pub.config import Config
from wechat_pub.sandbox.server import RunningSandbox, ensure_sandbox
from wechat_pub.sandbox.state import SandboxSettings
from wechat_pub.store import Store
from wechat_pub.wechat import WeChatAPI


@dataclass
class Account:
    api: WeChatAPI
    store: Store
    sandbox: RunningSandbox | None = None

    @property
    def appid(self) -> str:
        return self.api.appid

    @property
    def name(self) -> str:
        return "the sandbox" if self.sandbox else f"account {self.appid}"

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()


def sandbox_settings(cfg: Config) -> SandboxSettings:
    return SandboxSettings(
        db_path=str(cfg.resolve_path("paths.state") / "sandbox.sqlite3"),
        verified=cfg["sandbox.verified"],
        publish_delay=cfg["sandbox.publish_delay"],
        webhook_url=cfg["sandbox.webhook_url"],
    )


def token_store(cfg: Config, store: Store):
    """Where the access token lives: Redis when configured (several hosts), else the state database."""
    if cfg["state.redis_url"]:
        from wechat_pub.redis_store import RedisTokenStore

        return RedisTokenStore(cfg["state.redis_url"])
    return store


def connect(cfg: Config, store: Store | None = None) -> Account:
    store = store or Store(cfg.database_url())
    tokens = token_store(cfg, store)
    options = {"token_mode": cfg["wechat.token_mode"], "retry_window": cfg["wechat.retry_seconds"]}
    if not cfg.uses_sandbox:
        return Account(WeChatAPI(cfg["wechat.appid"], cfg["wechat.secret"], tokens, cfg["wechat.base_url"],
                                 **options), store)
    settings = sandbox_settings(cfg)
    running = ensure_sandbox(settings, cfg["sandbox.host"], cfg["sandbox.port"])
    return Account(WeChatAPI(settings.appid, settings.secret, tokens, running.api_base, **options), store, running)
