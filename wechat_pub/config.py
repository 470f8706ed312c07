"""Configuration: one settings table, three layers (defaults < config.toml < WECHAT_PUB_* env).

The table drives the defaults, the type checks, ``wechat-pub config show`` (redacted) and a
docs test that keeps ``config.example.toml`` complete. A bad config stops the command with a
message naming the file and key; it never silently falls back.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wechat_pub.errors import ConfigError

ENV_PREFIX = "WECHAT_PUB_"
REDACTED = "********"


@dataclass(frozen=True)
class Setting:
    name: str  # "section.key"
    default: Any
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    # publisher: the standing identity, printed on every issue
    Setting("publisher.name_zh", "", "Publisher name in Chinese, shown in the masthead."),
    Setting("publisher.name_en", "", "Publisher name in English, shown in the masthead."),
    Setting("publisher.newsletter_zh", "", "Newsletter brand in Chinese (e.g. 立方观评)."),
    Setting("publisher.newsletter_en", "", "Newsletter brand in English (e.g. NEWSLETTER)."),
    Setting("publisher.author", "", "Default article author (at most 16 characters)."),
    Setting("publisher.disclaimer_zh", "", "Standing disclaimer in Chinese, printed at the end of every article."),
    Setting("publisher.disclaimer_en", "", "Standing disclaimer in English."),
    Setting("publisher.contact", [], "Contact footer lines (offices, web, email, phone), one string per line."),
    Setting("publisher.timezone", "Asia/Shanghai", "Time zone for publish times written without one."),
    # theme: how articles look
    Setting("theme.name", "classic", "Theme: 'classic' (navy accent, serif-free) or 'ink' (green accent, cards)."),
    Setting("theme.accent", "", "Accent colour as #rrggbb; empty keeps the theme's own."),
    # paths
    Setting("paths.articles", "articles", "Folder of article files, relative to the config file."),
    Setting("paths.state", "state", "Folder for the state database, caches and the sandbox's data."),
    # wechat: the official-account API (empty appid/secret = the built-in sandbox)
    Setting("wechat.appid", "", "AppID of the official account; empty uses the built-in sandbox."),
    Setting("wechat.secret", "", "AppSecret; prefer the WECHAT_PUB_WECHAT__SECRET environment variable.",
            secret=True),
    Setting("wechat.base_url", "https://api.weixin.qq.com/cgi-bin/", "API base URL."),
    Setting("wechat.token_mode", "stable", "'stable' (cgi-bin/stable_token, shared safely) or 'token' (cgi-bin/token)."),
    Setting("wechat.retry_seconds", 30.0, "How long to keep retrying busy (-1), quota (45009/45011) and network errors."),
    # state: where wechat-pub keeps what it did
    Setting("state.database_url", "", "SQLAlchemy URL of the state database; empty: SQLite in paths.state."),
    Setting("state.redis_url", "", "Redis URL for the access token (and webhook retries) shared by several hosts."),
    # sandbox: the built-in emulator of the WeChat API, used while wechat.appid is empty
    Setting("sandbox.host", "127.0.0.1", "Address the sandbox serves on."),
    Setting("sandbox.port", 8200, "Port the sandbox serves on (wechat-pub sandbox, and pushes without credentials)."),
    Setting("sandbox.verified", True, "false: emulate a personal/unverified account (publishing answers 48001)."),
    Setting("sandbox.publish_delay", 2.0, "Seconds until a publish job in the sandbox finishes."),
    Setting("sandbox.webhook_url", "", "Where the sandbox sends PUBLISHJOBFINISH events (your webhook)."),
    # schedule: pushing issues at their publish_at
    Setting("schedule.grace_hours", 6.0, "A push missed while the service was down still runs this late; later, "
            "it is marked missed."),
    Setting("schedule.publish", False, "true: a scheduled push also publishes (freepublish); false: draft only."),
    Setting("schedule.sync_seconds", 30.0, "How often the scheduler rereads the articles' publish_at."),
    Setting("schedule.retry_minutes", 30.0, "How long a scheduled push keeps retrying transient WeChat errors."),
    Setting("schedule.lease_seconds", 30.0, "The scheduler's lease: another process takes over this long after "
            "the active one stops."),
    # webhook: followers' messages (服务器配置 in mp.weixin.qq.com)
    Setting("webhook.path", "/wechat", "URL path of the webhook; the same in mp.weixin.qq.com → 服务器配置."),
    Setting("webhook.token", "", "Token of 服务器配置 (3-32 letters/digits); prefer WECHAT_PUB_WEBHOOK__TOKEN.",
            secret=True),
    Setting("webhook.aes_key", "", "EncodingAESKey (43 characters) for compatible and safe mode; prefer "
            "WECHAT_PUB_WEBHOOK__AES_KEY.", secret=True),
    Setting("webhook.appid", "", "AppID messages are encrypted for; default: wechat.appid (or the sandbox's)."),
    Setting("webhook.mode", "", "'plain', 'compat' or 'safe'; default: safe when aes_key is set, else plain."),
    Setting("webhook.max_body", 16384, "Largest request body accepted (bytes); larger ones get 413."),
    Setting("webhook.max_clock_skew", 300, "Refuse requests whose timestamp is further off than this (s); 0: off."),
    Setting("webhook.max_results", 5, "Most matches listed in one reply."),
    Setting("webhook.reply", "text", "'text' (a list of matches) or 'news' (one card: the best match's issue)."),
    Setting("webhook.welcome", "", "Text sent to new followers; default: how to ask."),
    Setting("webhook.menu", {}, "Menu CLICK keys -> what they send, e.g. {LATEST = \"最新\", HELP = \"帮助\"}."),
    Setting("webhook.query_log_delay", 2.0, "Seconds the query log may hold entries before writing them (one "
            "write per many queries); 0: write each at once."),
    Setting("webhook.query_salt", "", "Salt for the followers' hashed ids in the query log; empty: one is "
            "generated in paths.state.", secret=True),
)

_BY_NAME = {s.name: s for s in SETTINGS}
_SECRET_WORDS = ("secret", "token", "aes_key", "password", "key")


class Config:
    """Validated settings. Read with ``cfg["section.key"]``."""

    def __init__(self, values: dict[str, Any], path: Path | None = None):
        self._values = values
        self.path = path
        self.base_dir = path.parent if path else Path.cwd()

    def __getitem__(self, name: str) -> Any:
        if name not in _BY_NAME:
            raise KeyError(f"unknown setting {name!r}")
        return self._values.get(name, _BY_NAME[name].default)

    def resolve_path(self, name: str) -> Path:
        """A path setting resolved against the config file's folder."""
        path = Path(os.path.expanduser(self[name]))
        return path if path.is_absolute() else self.base_dir / path

    @property
    def uses_sandbox(self) -> bool:
        """No WeChat credentials: every command works against the built-in sandbox."""
        return not (self["wechat.appid"] or self["wechat.secret"])

    def database_url(self) -> str:
        url = self["state.database_url"]
        if url:
            return url
        folder = self.resolve_path("paths.state")
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'state.sqlite3'}"

    def redacted(self) -> dict[str, Any]:
        """All settings, secrets replaced, for display."""
        out = {}
        for setting in SETTINGS:
            value = self[setting.name]
            out[setting.name] = REDACTED if (setting.secret and value) else value
        return out

    def secrets(self) -> list[str]:
        """Secret values in force, so log filters can hide them."""
        return [str(self[s.name]) for s in SETTINGS if s.secret and self[s.name]]


def find_config_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """The config file to use: explicit path, then $WECHAT_PUB_CONFIG, then ./config.toml."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"Config file {str(path)!r} does not exist.",
                              "Check the path, or copy config.example.toml to config.toml.")
        return path
    env = os.environ.get(ENV_PREFIX + "CONFIG")
    if env:
        return find_config_path(env)
    default = Path("config.toml")
    return default if default.is_file() else None


def load_config(path: str | os.PathLike | None = None, env: dict[str, str] | None = None) -> Config:
    """Defaults, then the config file, then the environment."""
    config_path = find_config_path(path)
    values: dict[str, Any] = {}
    if config_path:
        values.update(_read_toml(config_path))
    values.update(_read_env(os.environ if env is None else env))
    for name, value in values.items():
        values[name] = _check_type(name, value, config_path)
    _check_values(values, config_path)
    return Config(values, config_path.resolve() if config_path else None)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.", "Fix the syntax at the position shown.") from None
    except OSError as exc:
        raise ConfigError(f"Unable to read config file {str(path)!r}: {exc.strerror}.") from None
    values: dict[str, Any] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: {section!r} must be a [section] table, not a bare value.",
                              "Settings live in sections such as [publisher] or [wechat]; see config.example.toml.")
        for key, value in table.items():
            name = f"{section}.{key}"
            _require_known(name, path)
            values[name] = value
    return values


def _read_env(environ) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for var, raw in environ.items():
        if not var.startswith(ENV_PREFIX) or var == ENV_PREFIX + "CONFIG" or "__" not in var:
            continue
        name = var[len(ENV_PREFIX):].lower().replace("__", ".", 1)
        _require_known(name, f"environment variable {var}")
        setting = _BY_NAME[name]
        if isinstance(setting.default, str):
            values[name] = raw
        else:
            try:
                values[name] = json.loads(raw)
            except ValueError:
                raise ConfigError(f"Environment variable {var} must be JSON for a {type(setting.default).__name__} "
                                  f"setting, got {raw!r}.", 'Write lists as ["a", "b"] and booleans as true/false.') from None
    return values


def _require_known(name: str, where) -> None:
    if name in _BY_NAME:
        return
    close = difflib.get_close_matches(name, _BY_NAME, n=1)
    hint = f"Did you mean {close[0]!r}?" if close else "See config.example.toml for every setting."
    raise ConfigError(f"{where}: unknown setting {name!r}.", hint)


def _check_type(name: str, value: Any, path) -> Any:
    expected = type(_BY_NAME[name].default)
    if expected is list and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    if expected is dict and isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    if expected is int and isinstance(value, bool):
        pass
    elif isinstance(value, expected) or (expected is float and isinstance(value, int)):
        return value
    where = path or "environment"
    raise ConfigError(f"{where}: setting {name!r} must be {expected.__name__}, got {value!r}.",
                      f"Example: {name.split('.')[1]} = {json.dumps(_BY_NAME[name].default, ensure_ascii=False)}")


def _check_values(values: dict[str, Any], path) -> None:
    where = path or "environment"
    tz = values.get("publisher.timezone", _BY_NAME["publisher.timezone"].default)
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: publisher.timezone {tz!r} is not a known time zone.",
                          "Use an IANA name such as 'Asia/Shanghai'.") from None
    appid, secret = values.get("wechat.appid", ""), values.get("wechat.secret", "")
    if bool(appid) != bool(secret):
        missing = "wechat.secret (WECHAT_PUB_WECHAT__SECRET)" if appid else "wechat.appid (WECHAT_PUB_WECHAT__APPID)"
        raise ConfigError(f"{where}: only half of the WeChat credentials are set; {missing} is missing.",
                          "Set both to use your account, or neither to use the built-in sandbox.")
    if values.get("webhook.mode", "") not in ("", "plain", "compat", "safe"):
        raise ConfigError(f"{where}: webhook.mode must be plain, compat or safe.")
    if values.get("webhook.mode") in ("compat", "safe") and not values.get("webhook.aes_key"):
        raise ConfigError(f"{where}: webhook.mode {values['webhook.mode']!r} needs webhook.aes_key.",
                          "Copy the EncodingAESKey from mp.weixin.qq.com → 服务器配置 into WECHAT_PUB_WEBHOOK__AES_KEY.")
    aes_key = values.get("webhook.aes_key", "")
    if aes_key and len(aes_key) != 43:
        raise ConfigError(f"{where}: webhook.aes_key must be 43 characters (it has {len(aes_key)}).",
                          "Copy the EncodingAESKey from mp.weixin.qq.com → 服务器配置 exactly.")
    if values.get("webhook.reply", "text") not in ("text", "news"):
        raise ConfigError(f"{where}: webhook.reply must be text or news.")
    if values.get("wechat.token_mode", "stable") not in ("stable", "token"):
        raise ConfigError(f"{where}: wechat.token_mode must be 'stable' or 'token'.")
    accent = values.get("theme.accent", "")
    if accent and not _is_hex_colour(accent):
        raise ConfigError(f"{where}: theme.accent {accent!r} is not a #rrggbb colour.", "Example: accent = \"#1f4e79\"")


def _is_hex_colour(value: str) -> bool:
    return len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in value[1:])
