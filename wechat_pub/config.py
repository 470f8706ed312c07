"""Configuration: one settings table (:mod:`wechat_pub.settings`), three layers (defaults < config.toml <
WECHAT_PUB_* env).

The table drives the defaults, the type checks, ``wechat-pub config show`` (redacted) and a
docs test that keeps ``config.example.toml`` complete. A bad config stops the command with a
message naming the file and key; it never silently falls back.

One deployment can serve several WeChat accounts: the top level is the default account, and each
``[accounts.NAME]`` table overrides any per-account setting for account NAME (``[accounts.NAME.wechat]``,
``[accounts.NAME.webhook]``, ...). Settings marked ``shared`` (the state database, the sandbox's port,
the scheduler's lease) are one for the whole deployment and cannot be overridden.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote

from wechat_pub.errors import ConfigError
from wechat_pub.settings import CONSOLE_LANGUAGES, LEAD_LANGUAGES, SEARCH_SCOPES, SETTINGS, Setting

ENV_PREFIX = "WECHAT_PUB_"
REDACTED = "********"
DEFAULT_ACCOUNT = "default"
ACCOUNT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


_BY_NAME = {s.name: s for s in SETTINGS}
_SECRET_WORDS = ("secret", "token", "aes_key", "password", "key")


class Config:
    """Validated settings of one account. Read with ``cfg["section.key"]``; ``cfg.account(name)`` is the view
    of another account of the same deployment (its overrides on top of the top level)."""

    def __init__(self, values: dict[str, Any], path: Path | None = None,
                 accounts: dict[str, dict[str, Any]] | None = None, name: str = DEFAULT_ACCOUNT,
                 base_dir: Path | None = None):
        self._values = values
        self._accounts = accounts or {}
        self.name = name
        self.path = path
        self.base_dir = base_dir or (path.parent if path else Path.cwd())

    def __getitem__(self, name: str) -> Any:
        if name not in _BY_NAME:
            raise KeyError(f"unknown setting {name!r}")
        return self._values.get(name, _BY_NAME[name].default)

    @property
    def account_names(self) -> list[str]:
        """Every account of the deployment, the default (top-level) one first."""
        return [DEFAULT_ACCOUNT, *sorted(self._accounts)]

    def account(self, name: str | None = None) -> "Config":
        """The settings of account ``name`` (None or 'default': the top level)."""
        if name is None or name == DEFAULT_ACCOUNT:
            return self if self.name == DEFAULT_ACCOUNT else self._root()
        if name not in self._accounts:
            known = ", ".join(self.account_names)
            raise ConfigError(f"no account {name!r} in {self.path or 'the configuration'}.",
                              f"Accounts: {known}. Add one as [accounts.{name}.wechat] in config.toml.")
        top = self._root()
        return Config({**top._values, **self._accounts[name]}, self.path, self._accounts, name, self.base_dir)

    def overrides(self, name: str) -> dict[str, Any]:
        """What account ``name`` sets for itself (empty for the default account)."""
        return dict(self._accounts.get(name, {}))

    def _root(self) -> "Config":
        top = {k: v for k, v in self._values.items() if k not in self._accounts.get(self.name, {})}
        return Config(top, self.path, self._accounts, DEFAULT_ACCOUNT, self.base_dir)

    def resolve_path(self, name: str) -> Path:
        """A path setting resolved against the config file's folder."""
        path = Path(os.path.expanduser(self[name]))
        return path if path.is_absolute() else self.base_dir / path

    @property
    def uses_sandbox(self) -> bool:
        """No WeChat credentials: every command works against the built-in sandbox."""
        return not (self["wechat.appid"] or self["wechat.secret"])

    def redacted(self) -> dict[str, Any]:
        """All settings of this account, secrets replaced, for display."""
        return {setting.name: _redact(setting, self[setting.name]) for setting in SETTINGS}

    def redacted_overrides(self, name: str) -> dict[str, Any]:
        return {key: _redact(_BY_NAME[key], value) for key, value in sorted(self.overrides(name).items())}

    def secrets(self) -> list[str]:
        """Secret values in force in any account (and the passwords in URLs), so log filters can hide them."""
        found = [v for s in SETTINGS for v in _secrets_of(s, self[s.name])]
        for values in self._accounts.values():
            found += [v for k, value in values.items() for v in _secrets_of(_BY_NAME[k], value)]
        return list(dict.fromkeys(found))


def _secrets_of(setting: Setting, value: Any) -> list[str]:
    if setting.secret and value:
        return [str(value)]
    return _passwords_in(setting.login, value) if setting.login and value else []


def _redact(setting: Setting, value: Any) -> Any:
    if setting.secret and value:
        return REDACTED
    if setting.login and value:
        for password in sorted(_passwords_in(setting.login, value), key=len, reverse=True):
            value = value.replace(password, REDACTED)
    return value


def _passwords_in(reader: str, url: Any) -> list[str]:
    """The password a URL carries, as the library that connects with it reads it (SQLAlchemy ends the user part at
    the last '@', libpq also takes ?password=, redis-py too), and as it may be written in the URL (%-encoded)."""
    if not isinstance(url, str):
        return []
    try:
        if reader == "database":
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
            found = [parsed.password, parsed.query.get("password")]
        else:
            from redis.connection import parse_url

            found = [parse_url(url).get("password")]
    except Exception:  # (not a URL the library reads: refused where it is used, with what to do)
        return []
    passwords = [p for value in found for p in ([value] if isinstance(value, str) else value or []) if p]
    return list(dict.fromkeys([*passwords, *(quote(p, safe="") for p in passwords),
                               *(quote(p, safe="@:") for p in passwords)]))


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
    """Defaults, then the config file, then the environment; the top level and every account."""
    config_path = find_config_path(path)
    values: dict[str, Any] = {}
    accounts: dict[str, dict[str, Any]] = {}
    if config_path:
        top, from_file = _read_toml(config_path)
        values.update(top)
        accounts.update(from_file)
    env_top, env_accounts = _read_env(os.environ if env is None else env)
    values.update(env_top)
    for name, overrides in env_accounts.items():
        accounts.setdefault(name, {}).update(overrides)
    where = config_path or "environment"
    for name, value in values.items():
        values[name] = _check_type(name, value, where)
    _check_values(values, where)
    for account, overrides in accounts.items():
        account_where = f"{where} [accounts.{account}]"
        for name, value in overrides.items():
            overrides[name] = _check_type(name, value, account_where)
        _check_values({**values, **overrides}, account_where, account)
    cfg = Config(values, config_path.resolve() if config_path else None, accounts)
    _check_accounts(cfg)
    return cfg


def _read_toml(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.", "Fix the syntax at the position shown.") from None
    except OSError as exc:
        raise ConfigError(f"Unable to read config file {str(path)!r}: {exc.strerror}.") from None
    accounts = data.pop("accounts", {})
    if not isinstance(accounts, dict):
        raise ConfigError(f"{path}: 'accounts' must hold one table per account, e.g. [accounts.jzfsj.wechat].")
    top = _sections(data, path)
    per_account = {}
    for name, sections in accounts.items():
        _require_account_name(name, path)
        if not isinstance(sections, dict):
            raise ConfigError(f"{path}: [accounts.{name}] must hold sections such as [accounts.{name}.wechat].")
        per_account[name] = _sections(sections, f"{path} [accounts.{name}]", account=name)
    return top, per_account


def _sections(data: dict, where, account: str | None = None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: {section!r} must be a [section] table, not a bare value.",
                              "Settings live in sections such as [publisher] or [wechat]; see config.example.toml.")
        for key, value in table.items():
            name = f"{section}.{key}"
            _require_known(name, where)
            if account:
                _require_per_account(name, account, where)
            values[name] = value
    return values


def _read_env(environ) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """WECHAT_PUB_SECTION__KEY for the top level, WECHAT_PUB_ACCOUNTS__NAME__SECTION__KEY for an account."""
    values: dict[str, Any] = {}
    accounts: dict[str, dict[str, Any]] = {}
    for var, raw in environ.items():
        if not var.startswith(ENV_PREFIX) or var == ENV_PREFIX + "CONFIG" or "__" not in var:
            continue
        parts = var[len(ENV_PREFIX):].lower().split("__")
        if parts[0] == "accounts" and len(parts) == 4:
            account, name = parts[1], f"{parts[2]}.{parts[3]}"
            _require_account_name(account, f"environment variable {var}")
            _require_known(name, f"environment variable {var}")
            _require_per_account(name, account, f"environment variable {var}")
            accounts.setdefault(account, {})[name] = _env_value(var, raw, _BY_NAME[name])
            continue
        name = ".".join(parts[:1] + ["__".join(parts[1:])])
        _require_known(name, f"environment variable {var}")
        values[name] = _env_value(var, raw, _BY_NAME[name])
    return values, accounts


def _env_value(var: str, raw: str, setting: Setting) -> Any:
    if isinstance(setting.default, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        raise ConfigError(f"Environment variable {var} must be JSON for a {type(setting.default).__name__} "
                          f"setting, got {raw!r}.", 'Write lists as ["a", "b"] and booleans as true/false.') from None


def _require_account_name(name: str, where) -> None:
    if not ACCOUNT_NAME.match(name) or name == DEFAULT_ACCOUNT:
        raise ConfigError(f"{where}: {name!r} is not a usable account name.",
                          "Use lower-case letters, digits, '-' and '_' (e.g. 'jzfsj'); 'default' is the top level.")


def _require_per_account(name: str, account: str, where) -> None:
    if _BY_NAME[name].shared:
        raise ConfigError(f"{where}: {name} is shared by every account of the deployment; account {account!r} "
                          "cannot set its own.", f"Set {name} at the top level of the config.")


def _check_accounts(cfg: Config) -> None:
    """What accounts of one deployment must not share: a webhook path, an app id, an articles folder (both
    accounts would hold the same issues: each would answer, push and send the other's)."""
    seen: dict[tuple[str, str], str] = {}
    where = cfg.path or "environment"
    for name in cfg.account_names:
        account = cfg.account(name)
        for setting, value, hint in (
                ("webhook.path", account["webhook.path"].rstrip("/") or "/",
                 f'Give account {name!r} its own path, e.g. [accounts.{name}.webhook] path = "/wechat/{name}".'),
                ("wechat.appid", account["wechat.appid"], "Each account is one official account with its own AppID."),
                ("paths.articles", str(account.resolve_path("paths.articles").resolve()),
                 f"Give account {name!r} a folder of its own, e.g. [accounts.{name}.paths] articles = "
                 f'"articles-{name}".')):
            if value and (setting, value) in seen:
                raise ConfigError(f"{where}: accounts {seen[setting, value]!r} and {name!r} both use {setting} "
                                  f"{value!r}.", hint)
            seen.setdefault((setting, value), name)


def _require_known(name: str, where) -> None:
    if name in _BY_NAME:
        return
    close = difflib.get_close_matches(name, _BY_NAME, n=1)
    hint = f"Did you mean {close[0]!r}?" if close else "See config.example.toml for every setting."
    raise ConfigError(f"{where}: unknown setting {name!r}.", hint)


def _check_type(name: str, value: Any, where) -> Any:
    expected = type(_BY_NAME[name].default)
    if expected is list and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    if expected is dict and isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    if expected is int and isinstance(value, bool):
        pass
    elif isinstance(value, expected) or (expected is float and isinstance(value, int)):
        return value
    raise ConfigError(f"{where}: setting {name!r} must be {expected.__name__}, got {value!r}.",
                      f"Example: {name.split('.')[1]} = {json.dumps(_BY_NAME[name].default, ensure_ascii=False)}")


def env_var(name: str, account: str | None = None) -> str:
    """The environment variable of setting ``name`` ('wechat.secret'): the top level's, or ``account``'s own."""
    section, key = name.upper().split(".")
    return f"{ENV_PREFIX}ACCOUNTS__{account.upper()}__{section}__{key}" if account else f"{ENV_PREFIX}{section}__{key}"


def _check_values(values: dict[str, Any], where, account: str | None = None) -> None:
    tz = values.get("publisher.timezone", _BY_NAME["publisher.timezone"].default)
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: publisher.timezone {tz!r} is not a known time zone.",
                          "Use an IANA name such as 'Asia/Shanghai'.") from None
    appid, secret = values.get("wechat.appid", ""), values.get("wechat.secret", "")
    if bool(appid) != bool(secret):
        missing = "wechat.secret" if appid else "wechat.appid"
        missing = f"{missing} ({env_var(missing, account)})"
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
    days = values.get("webhook.query_log_days", 730)
    if not 1 <= days <= 36500:
        raise ConfigError(f"{where}: webhook.query_log_days must be between 1 and 36500 (it is {days}).",
                          "Example: query_log_days = 730 (two years; the followers page shows at most one).")
    if values.get("webhook.reply", "text") not in ("text", "news"):
        raise ConfigError(f"{where}: webhook.reply must be text or news.")
    if values.get("webhook.search_scope", "published") not in SEARCH_SCOPES:
        raise ConfigError(f"{where}: webhook.search_scope must be one of {', '.join(SEARCH_SCOPES)}.")
    if values.get("schedule.deliver", "") not in ("", "draft", "publish", "send"):
        raise ConfigError(f"{where}: schedule.deliver must be draft, publish or send.",
                          "draft: the draft box; publish: published, no follower told; send: to the followers (群发).")
    tag = str(values.get("schedule.send_to_tag", ""))
    if tag and not (tag.isascii() and tag.isdigit()):
        raise ConfigError(f"{where}: schedule.send_to_tag must be a tag id (a number).",
                          "Copy it from mp.weixin.qq.com → 用户管理 → 标签, or leave it empty (everyone).")
    if values.get("sandbox.kind", "subscription") not in ("subscription", "service"):
        raise ConfigError(f"{where}: sandbox.kind must be subscription or service.")
    if values.get("wechat.token_mode", "stable") not in ("stable", "token"):
        raise ConfigError(f"{where}: wechat.token_mode must be 'stable' or 'token'.")
    if values.get("sandbox.limits", "documented") not in ("documented", "reported"):
        raise ConfigError(f"{where}: sandbox.limits must be 'documented' or 'reported'.")
    if values.get("theme.lead_language", "zh") not in LEAD_LANGUAGES:
        raise ConfigError(f"{where}: theme.lead_language must be 'zh' or 'en'.")
    if not 0 <= values.get("console.proxy_hops", 0) <= 5:
        raise ConfigError(f"{where}: console.proxy_hops must be 0 (no proxy) to 5.", "Behind one nginx: proxy_hops = 1")
    if values.get("console.language", CONSOLE_LANGUAGES[0]) not in CONSOLE_LANGUAGES:
        raise ConfigError(f"{where}: console.language must be 'zh_CN' (Chinese) or 'en' (English).")
    per_address = values.get("console.sign_in_limit_per_address", 50)
    if isinstance(per_address, bool) or not isinstance(per_address, int) or not 5 <= per_address <= 100_000:
        raise ConfigError(f"{where}: console.sign_in_limit_per_address must be a whole number from 5 to 100000, "
                          f"got {per_address!r}.", "The default, 50, suits an office of a few dozen behind one address.")
    _check_analytics(values, where)
    accent = values.get("theme.accent", "")
    if accent and not _is_hex_colour(accent):
        raise ConfigError(f"{where}: theme.accent {accent!r} is not a #rrggbb colour.", "Example: accent = \"#1f4e79\"")


def _check_analytics(values: dict[str, Any], where) -> None:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", str(values.get("analytics.collect_after", "08:30"))):
        raise ConfigError(f"{where}: analytics.collect_after must be a time of day, HH:MM.", "Example: \"08:30\"")
    note = str(values.get("analytics.weekly_note", "Mon 09:00"))
    if note and not re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([01]\d|2[0-3]):[0-5]\d", note):
        raise ConfigError(f"{where}: analytics.weekly_note must be a weekday and a time, e.g. \"Mon 09:00\", or empty.",
                          "Weekdays: Mon Tue Wed Thu Fri Sat Sun; the time is in publisher.timezone.")
    if int(values.get("analytics.daily_calls", 100)) < 1:
        raise ConfigError(f"{where}: analytics.daily_calls must be 1 or more.")


def _is_hex_colour(value: str) -> bool:
    return len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in value[1:])
