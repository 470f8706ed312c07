"""Two WeChat accounts in one deployment (issue 9): the seed's publisher runs 立方律师事务所 and 竞争法视界.
Each account pushes, schedules and answers followers from its own issues only; records are kept apart."""

from __future__ import annotations

import shutil
import threading

import pytest
import requests
from werkzeug.serving import make_server

from conftest import SEED_ARTICLE, state_url, stores_at, use_database, wait_until_searchable
from wechat_pub.bot.protocol import open_reply, parse_xml, signed_message
from wechat_pub.bot.simulate import message_xml
from wechat_pub.config import load_config
from wechat_pub.deployment import Deployment
from wechat_pub.errors import ConfigError

SECOND = """
[accounts.jzfsj.publisher]
name_zh = "竞争法视界"
name_en = "Competition Law Horizon"
newsletter_zh = "竞争法周报"
newsletter_en = "COMPETITION WEEKLY"

[accounts.jzfsj.paths]
articles = "articles-jzfsj"

[accounts.jzfsj.webhook]
path = "/wechat/jzfsj"

[accounts.jzfsj.theme]
name = "ink"
"""

ISSUE_7 = """---
issue: 7
date: 2026-11-20
title:
  zh: 竞争法周报
  en: Competition Weekly
---

# 国内要闻 | Domestic News

## 反垄断指南发布
## Antitrust Guidelines Published

市场监管总局发布平台反垄断指南。

---

SAMR publishes antitrust guidelines for platforms.

Source: [SAMR](https://example.org/samr)
"""


@pytest.fixture
def two(sandbox_dir, sandbox, database_url):
    """The firm's folder with a second account: its own articles, publisher, theme and webhook path. The
    running sandbox emulates both, as `wechat-pub sandbox` started from this config does."""
    use_database(sandbox_dir, database_url)
    with open(sandbox_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(SECOND)
    (sandbox_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles" / "issue-135.md")
    (sandbox_dir / "articles-jzfsj").mkdir()
    (sandbox_dir / "articles-jzfsj" / "issue-007.md").write_text(ISSUE_7, encoding="utf-8")
    expected = Deployment(load_config(sandbox_dir / "config.toml")).sandbox_settings()
    assert [a.appid for a in expected.accounts] == ["wx_sandbox", "wx_sandbox_jzfsj"]
    sandbox.settings.accounts[:] = expected.accounts
    return sandbox_dir


def drafts_of(sandbox, appid: str) -> list[dict]:
    return sandbox.state.drafts(0, 100, appid)[1]


def test_each_account_pushes_to_its_own_draft_box(two, sandbox, run_cli):
    out = run_cli("--account", "jzfsj", "push", "articles-jzfsj/issue-007.md").stdout
    assert "issue 7 → the sandbox (jzfsj): created draft" in out
    run_cli("push", "articles/issue-135.md", "--account", "default")  # --account after the command works too
    [ours] = drafts_of(sandbox, "wx_sandbox")
    [theirs] = drafts_of(sandbox, "wx_sandbox_jzfsj")
    assert "立方观评" in ours["articles"][0]["content"] and ours["articles"][0]["author"] == "立方律师事务所"
    assert "竞争法周报 · COMPETITION WEEKLY" in theirs["articles"][0]["content"]  # its own publisher and brand
    assert "border-radius:0 6px 6px 0" in theirs["articles"][0]["content"]  # its own theme (ink's cards)
    stores = stores_at(state_url(two))
    assert [r.issue for r in stores.pushes("wx_sandbox").all()] == [135]
    assert [r.issue for r in stores.pushes("wx_sandbox_jzfsj").all()] == [7]
    status = run_cli("--account", "jzfsj", "status").stdout
    assert "7  draft" in status and "135" not in status


def test_one_scheduler_runs_every_account(two, sandbox, run_cli):
    from test_scheduler import Running, passed

    passed(two / "articles" / "issue-135.md", 1)
    passed(two / "articles-jzfsj" / "issue-007.md", 1)
    service = Running(two)
    try:
        done = {service.wait_for("done"), service.wait_for("done", after=service.kinds().index("done") + 1)}
    finally:
        service.stop()
    assert {d.split(":")[0] for d in done} == {"default", "jzfsj"}
    assert len(drafts_of(sandbox, "wx_sandbox")) == 1 and len(drafts_of(sandbox, "wx_sandbox_jzfsj")) == 1
    stores = stores_at(state_url(two))
    assert [(r.issue, r.state) for r in stores.runs("wx_sandbox").all()] == [(135, "done")]
    assert [(r.issue, r.state) for r in stores.runs("wx_sandbox_jzfsj").all()] == [(7, "done")]


def test_each_webhook_answers_from_its_own_issues(two, monkeypatch):
    from wechat_pub.app import create_app

    monkeypatch.chdir(two)
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "tok3n")
    monkeypatch.setenv("WECHAT_PUB_ACCOUNTS__JZFSJ__WEBHOOK__TOKEN", "other-tok3n")
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__QUERY_LOG_DELAY", "0")  # every account: write each query at once
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__SEARCH_SCOPE", "all")  # (published-only is tested on its own)
    app = create_app(load_config())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    wait_until_searchable(base)

    def ask(path: str, token: str, appid: str, text: str) -> str:
        params, body = signed_message(message_xml(text, "gh_test"), token)
        response = requests.post(base + path, params=params, data=body, timeout=10)
        assert response.status_code == 200, response.text
        return parse_xml(open_reply(response.text, token, "", appid).encode())["Content"]

    try:
        assert "反垄断指南发布" in ask("/wechat/jzfsj", "other-tok3n", "wx_sandbox_jzfsj", "反垄断")
        assert "没有找到" in ask("/wechat", "tok3n", "wx_sandbox", "反垄断")  # not the other account's issue
        assert "苹果和谷歌" in ask("/wechat", "tok3n", "wx_sandbox", "苹果")
        assert "没有找到" in ask("/wechat/jzfsj", "other-tok3n", "wx_sandbox_jzfsj", "苹果")
        assert "第7期" in ask("/wechat/jzfsj", "other-tok3n", "wx_sandbox_jzfsj", "最新")
        params, body = signed_message(message_xml("苹果", "gh_test"), "tok3n")  # the other account's token
        assert requests.post(base + "/wechat/jzfsj", params=params, data=body, timeout=10).status_code == 403
        health = requests.get(base + "/healthz", timeout=10).json()
        assert health["accounts"] == {"default": 135, "jzfsj": 7}
    finally:
        server.shutdown()
    queries = stores_at(state_url(two))
    assert sorted(q for q, _, _ in queries.query_log("wx_sandbox_jzfsj").top()) == ["反垄断", "最新", "苹果"]
    assert sorted(q for q, _, _ in queries.query_log("wx_sandbox").top()) == ["反垄断", "苹果"]


def test_an_unknown_account_names_the_known_ones(two, run_cli):
    err = run_cli("--account", "nope", "status", expect=1).stderr
    assert "no account 'nope'" in err and "Accounts: default, jzfsj" in err


@pytest.mark.parametrize("text, message", [
    ('[accounts.x.state]\ndatabase_url = "sqlite:///x"\n', "state.database_url is shared by every account"),
    ('[accounts.x.webhook]\npath = "/wechat"\n', "accounts 'default' and 'x' both use webhook.path '/wechat'"),
    ('[accounts.Bad.theme]\nname = "ink"\n', "'Bad' is not a usable account name"),
    ('[accounts.x.wechat]\nappid = "wx1"\n', "only half of the WeChat credentials are set"),
    ('[accounts.x.theme]\nnmae = "ink"\n', "Did you mean 'theme.name'"),
])
def test_account_config_errors_say_what_to_do(workdir, text, message):
    (workdir / "config.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config()
    assert message in str(info.value)


def test_accounts_from_the_environment(workdir, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_ACCOUNTS__JZFSJ__WECHAT__APPID", "wx2")
    monkeypatch.setenv("WECHAT_PUB_ACCOUNTS__JZFSJ__WECHAT__SECRET", "s3cret-two")
    monkeypatch.setenv("WECHAT_PUB_ACCOUNTS__JZFSJ__WEBHOOK__PATH", "/wechat/two")
    monkeypatch.setenv("WECHAT_PUB_ACCOUNTS__JZFSJ__PATHS__ARTICLES", "articles-two")
    cfg = load_config()
    assert cfg.account_names == ["default", "jzfsj"]
    deployment = Deployment(cfg)
    assert deployment.site("jzfsj").appid == "wx2" and deployment.default.appid == "wx_sandbox"
    assert "s3cret-two" in cfg.secrets() and cfg.redacted_overrides("jzfsj")["wechat.secret"] == "********"
