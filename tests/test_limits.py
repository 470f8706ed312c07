"""Field limits measured, not guessed: the preflight counts characters and UTF-8 bytes, `doctor --limits` measures
the account's limits with throwaway drafts, and WeChat's 45003/45110/45004 name the field and its length."""

from __future__ import annotations

import shutil

import pytest
from test_push import draft_ids, write

from conftest import SEED_ARTICLE, open_site


@pytest.mark.parametrize("mode, found", [
    ("reported", "title 64 bytes (UTF-8; a Chinese character is 3); author 20 bytes (UTF-8; a Chinese character is "
                 "3); digest 128 characters"),
    ("documented", "title 32 characters; author 16 characters; digest 128 characters"),
])
def test_doctor_limits_measures_the_sandbox_and_check_then_uses_them(sandbox_dir, sandbox, run_cli, mode, found):
    run_cli("push", write(sandbox_dir))  # a real draft, which measuring must never touch
    sandbox.settings.limits = mode
    [kept] = draft_ids(sandbox)
    sandbox.reset_calls()
    out = run_cli("doctor", "--limits").stdout
    assert "limits: measured on" in out and found in out
    assert draft_ids(sandbox) == [kept]  # every throwaway draft deleted, the real one left alone
    calls = sandbox.calls()
    assert calls["draft/add"] <= 30 and calls["draft/delete"] <= calls["draft/add"]
    assert calls.get("material/del_material") == 1  # the throwaway cover, deleted too
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles" / "135.md")
    check = run_cli("check", "articles/135.md", expect=1 if mode == "reported" else 0).stdout
    if mode == "reported":  # the seed's author, 立方律师事务所, is 21 bytes: this account refuses it
        assert ("the WeChat author '立方律师事务所' has 7 characters, 21 bytes; this account takes 20 bytes "
                "(UTF-8; a Chinese character is 3) (measured by doctor --limits)") in check
    else:  # measured: the reported limits no longer warn
        assert "立方律师事务所" not in check


def test_the_console_preflight_uses_the_measured_limits(sandbox_dir, sandbox, run_cli):
    from wechat_pub.limits import FieldLimit
    from wechat_pub.state.fieldlimits import MeasuredLimits

    site = open_site(sandbox_dir)
    assert site.measured_limits == {}
    MeasuredLimits(site.services.db, site.appid).put({"author": FieldLimit(bytes=20)}, 0)
    assert open_site(sandbox_dir).measured_limits == {"author": FieldLimit(bytes=20)}


def test_stored_limits_are_read_as_hostile_input(sandbox_dir):
    from sqlalchemy import text

    site = open_site(sandbox_dir)
    with site.services.db.begin() as conn:
        conn.execute(text("INSERT INTO shared_values (key, value) VALUES (:k, :v)"),
                     {"k": f"field_limits:{site.appid}", "v": '{"limits": {"title": {"chars": "x"}, '
                                                             '"author": {"bytes": -1}, "digest": {"chars": 5}}}'})
    assert set(open_site(sandbox_dir).measured_limits) == {"digest"}


def test_wechat_field_errors_name_the_field_and_its_length(sandbox_dir, sandbox, run_cli):
    """Against an account with the reported limits, the seed's author gets 45110: the push says which field, how
    long in characters and bytes, and what to shorten (before: 'the author is too long … at most 16 characters')."""
    sandbox.settings.limits = "reported"
    err = run_cli("push", write(sandbox_dir, extra="author: 立方律师事务所\n"), expect=3).stderr
    assert "errcode 45110" in err and "the author '立方律师事务所' has 7 characters, 21 bytes" in err
    assert "Shorten 'author:'" in err and "doctor --limits" in err


def test_the_preflight_counts_characters_and_bytes():
    from wechat_pub.limits import FieldLimit
    from wechat_pub.preflight import field_limit_problem

    assert field_limit_problem("title", "周" * 22, {})[0] == "warning"  # 66 bytes: over the reported 64
    assert field_limit_problem("title", "a" * 33, {})[0] == "error"  # over the documented 32 characters
    assert field_limit_problem("title", "周" * 21, {}) is None
    assert field_limit_problem("author", "周" * 7, {"author": FieldLimit(chars=16)}) is None  # measured decides
    assert field_limit_problem("author", "a" * 21, {"author": FieldLimit(bytes=20)})[0] == "error"


def test_the_sandbox_limits_setting_takes_only_its_two_values(tmp_path):
    from wechat_pub.config import load_config
    from wechat_pub.errors import ConfigError

    path = tmp_path / "config.toml"
    path.write_text('[sandbox]\nlimits = "reported"\n', encoding="utf-8")
    assert load_config(path)["sandbox.limits"] == "reported"
    path.write_text('[sandbox]\nlimits = "bytes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="sandbox.limits must be 'documented' or 'reported'"):
        load_config(path)
