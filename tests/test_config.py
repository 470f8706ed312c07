"""Configuration: defaults < config.toml < environment, typed, documented, never silent."""

from __future__ import annotations

import re
import tomllib

import pytest

from conftest import ROOT
from wechat_pub.config import SETTINGS, load_config
from wechat_pub.errors import ConfigError


def test_defaults_without_a_file(workdir):
    cfg = load_config()
    assert cfg.path is None and cfg["theme.name"] == "classic" and cfg["publisher.timezone"] == "Asia/Shanghai"


def test_file_then_environment(workdir, monkeypatch):
    (workdir / "config.toml").write_text('[theme]\nname = "ink"\n[publisher]\ncontact = ["a"]\n')
    assert load_config()["theme.name"] == "ink"
    monkeypatch.setenv("WECHAT_PUB_THEME__NAME", "classic")
    monkeypatch.setenv("WECHAT_PUB_PUBLISHER__CONTACT", '["x", "y"]')
    cfg = load_config()
    assert cfg["theme.name"] == "classic" and cfg["publisher.contact"] == ["x", "y"]


@pytest.mark.parametrize("text, message", [
    ('[theme]\nname = 3\n', "setting 'theme.name' must be str, got 3."),
    ('[publisher]\ncontact = "one line"\n', "setting 'publisher.contact' must be list"),
    ('[publisher]\ntimezone = "Mars/Base"\n', "publisher.timezone 'Mars/Base' is not a known time zone."),
    ('[theme]\naccent = "blue"\n', "theme.accent 'blue' is not a #rrggbb colour."),
    ('name = "x"\n', "'name' must be a [section] table"),
])
def test_bad_values_name_the_file_and_key(workdir, text, message):
    (workdir / "config.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config()
    assert message in str(info.value)


def test_bad_environment_value(workdir, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_PUBLISHER__CONTACT", "not json")
    with pytest.raises(ConfigError, match="must be JSON for a list setting"):
        load_config()
    monkeypatch.delenv("WECHAT_PUB_PUBLISHER__CONTACT")
    monkeypatch.setenv("WECHAT_PUB_WECHAT__APSECRET", "x")
    with pytest.raises(ConfigError, match="Did you mean 'wechat.secret'"):
        load_config()


def test_explicit_missing_file(workdir):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config("nope.toml")


def test_half_the_credentials_is_an_error(workdir, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_WECHAT__APPID", "wx1")
    with pytest.raises(ConfigError, match="wechat.secret .* is missing"):
        load_config()


def test_secrets_are_redacted(workdir, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_WECHAT__APPID", "wx1")
    monkeypatch.setenv("WECHAT_PUB_WECHAT__SECRET", "topsecret")
    cfg = load_config()
    assert cfg.redacted()["wechat.secret"] == "********" and cfg.secrets() == ["topsecret"]


def test_example_config_documents_every_setting():
    """config.example.toml is complete and valid: every setting, with a comment above it."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    documented = {f"{section}.{key}" for section, table in data.items() for key in table}
    assert documented == {s.name for s in SETTINGS}
    for setting in SETTINGS:
        key = setting.name.split(".")[1]
        documented_key = rf"#[^\n]*\n(#[^\n]*\n)*{key} = "
        documented_table = rf"\[{re.escape(setting.name)}\]\n#[^\n]*\n"
        assert re.search(documented_key, text) or re.search(documented_table, text), f"{setting.name} has no comment"
    load_config(ROOT / "config.example.toml")
    load_config(ROOT / "config.toml")


def test_example_config_shows_a_second_account(tmp_path):
    """The commented [accounts.jzfsj] example is valid once uncommented (issue 9)."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    example = text.split("# ---- More WeChat accounts")[1].split("#\n", 1)[1]  # the block after the prose
    uncommented = "\n".join(line[2:] for line in example.splitlines() if line.startswith("# "))
    (tmp_path / "config.toml").write_text(text + "\n" + uncommented.replace('appid = "wx0123456789abcdef"', ""))
    cfg = load_config(tmp_path / "config.toml")
    assert cfg.account_names == ["default", "jzfsj"]
    assert cfg.account("jzfsj")["webhook.path"] == "/wechat/jzfsj" and cfg.account("jzfsj")["theme.name"] == "ink"
    assert cfg.account("jzfsj")["publisher.timezone"] == cfg["publisher.timezone"]  # the rest: from the top
