"""A publish job that WeChat fails (publish_status 2-6), through the sandbox: the CLI, the console's status and the
notification say it failed, which article and why; the draft is where WeChat leaves it; success is never claimed."""

from __future__ import annotations

import pytest
from test_push import draft_ids, write

from conftest import open_site


def fail_next_publish(sandbox, status: int, fail_idx: list[int]) -> None:
    sandbox.admin("publish-outcomes", "POST", {"status": status, "fail_idx": fail_idx})


@pytest.mark.parametrize("keeps_draft", [True, False])
def test_a_failed_publish_is_reported_failed_with_its_article_and_reason(sandbox_dir, sandbox, run_cli, keeps_draft):
    sandbox.settings.failed_publish_keeps_draft = keeps_draft
    path = write(sandbox_dir)
    fail_next_publish(sandbox, 4, [1])
    err = run_cli("push", path, "--publish", expect=1).stderr
    assert "did not publish issue 140" in err and "平台审核不通过" in err and "publish_status 4" in err
    # which article: by its title too while WeChat still has the draft to read it from
    assert ("article 1 '数据合规周报" if keeps_draft else "failed: article 1") in err
    assert ("still in the draft box" if keeps_draft else "WeChat removed the draft") in err
    assert len(draft_ids(sandbox)) == (1 if keeps_draft else 0)
    status = run_cli("status").stdout
    assert "failed" in status and "published:" not in status and "平台审核不通过" in status
    row = next(r for r in status_overview(sandbox_dir) if r.number == 140)
    assert row.status == "failed" and "content review rejected it" in row.advice  # the console's issue list
    # the next push publishes it: the kept draft as it is, or a new one
    out = run_cli("push", path, "--publish").stdout
    assert "/sandbox/articles/" in out and ("created" in out or "recreated" in out or "unchanged" in out)
    assert "published" in run_cli("status").stdout


def status_overview(folder):
    from wechat_pub.publish.status import overview

    return overview(open_site(folder))


@pytest.mark.parametrize("status, words", [(2, "原创失败"), (3, "常规失败"), (6, "系统封禁")])
def test_every_failure_status_names_its_reason(sandbox_dir, sandbox, run_cli, status, words):
    path = write(sandbox_dir)
    fail_next_publish(sandbox, status, [1] if status != 3 else [])
    err = run_cli("push", path, "--publish", expect=1).stderr
    assert words in err and f"publish_status {status}" in err
    row = next(r for r in status_overview(sandbox_dir) if r.number == 140)
    assert row.status == "failed" and words in row.advice


def test_the_failure_event_is_recorded_and_the_team_told(sandbox_dir, sandbox, run_cli):
    """The PUBLISHJOBFINISH of a failed job (as the sandbox sends it: one <fail_idx> per article) reaches the bot,
    which records the failure and notifies: the path when polling gave up before WeChat's answer."""
    from wechat_pub.bot.protocol import parse_xml
    from wechat_pub.publish.failed import record_event
    from wechat_pub.sandbox.events import failure_info, publish_event_xml

    path = write(sandbox_dir)
    run_cli("push", path)
    site = open_site(sandbox_dir)
    media_id = site.pushes.get(140).draft_media_id
    site.pushes.publishing(140, "2247483001")  # submitted; WeChat's answer comes by the event
    sent: list = []
    site.__dict__["notifier"] = type("Captured", (), {"notify_later": lambda self, notice: sent.append(notice)})()
    message = parse_xml(publish_event_xml("gh_x", 2247483001, failure_info(4, [1, 2]), 1700000000).encode())
    assert message["publish_status"] == "4" and message["fail_idx"] == "1 2"
    record_event(site, message["publish_id"], int(message["publish_status"]), message["fail_idx"])
    record = site.pushes.get(140)
    assert record.state.value == "failed" and record.draft_media_id == media_id and not record.published
    assert "content review" in record.error and "article 1 '数据合规周报" in record.error
    assert len(sent) == 1 and sent[0].event == "publish-failed" and "没有发表" in sent[0].subject  # console.language: zh_CN
    assert "平台审核不通过" in sent[0].text() and "/console/" in sent[0].text()


def test_the_webhook_hands_a_failure_event_to_its_handler():
    from wechat_pub.bot.webhook import Bot, WebhookSettings

    got = []
    bot = Bot(WebhookSettings(token="t", appid="wx"), None, None, on_publish_failed=lambda *a: got.append(a))
    answer, effects = bot.answer_event({"Event": "PUBLISHJOBFINISH", "publish_id": "9", "publish_status": "3",
                                        "fail_idx": ""})
    for effect in effects:
        effect()
    assert answer == "success" and got == [("9", 3, "")]  # the old bot dropped every status but 0


def test_through_the_running_service_the_console_and_the_robot_say_it_failed(tmp_path, run_cli, monkeypatch):
    """The whole way, as in production: `wechat-pub run` (console and webhook) with the sandbox sending its
    PUBLISHJOBFINISH to the webhook. A publish that WeChat fails reaches the console's issue page and the team's
    robot (told by the event: the CLI's push does not notify) as failed, with its reason; nothing says published."""
    import time

    from security_service import signed_in
    from test_console_browser import Robot, start_console, write_issue

    from wechat_pub.sandbox.server import start_in_thread
    from wechat_pub.sandbox.state import SandboxSettings

    settings = SandboxSettings(db_path=str(tmp_path / "sandbox.sqlite3"), publish_delay=0.3)
    sandbox = start_in_thread(settings)
    console = start_console(tmp_path / "site", int(sandbox.url.rsplit(":", 1)[1]),
                            extra='[webhook]\ntoken = "tok3nFailures"\n')
    try:
        account = settings.accounts[0]
        account.webhook_url, account.webhook_token = f"{console.base}/wechat", "tok3nFailures"
        write_issue(console, 151)
        admin(sandbox.url, "publish-outcomes", {"status": 4, "fail_idx": [1]})
        monkeypatch.chdir(console.folder)
        run_cli("push", "articles/issue-151.md", "--publish", expect=1)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any("issue 151" in r["text"]["content"] for r in Robot.received):
            time.sleep(0.1)
        robot = next(r["text"]["content"] for r in Robot.received if "issue 151" in r["text"]["content"])
        assert "NOT published" in robot and "平台审核不通过" in robot and "/console/default/issues/151" in robot
        page = signed_in(console.base).get(f"{console.base}/console/default/issues/151", timeout=10).text
        assert 'class="status failed"' in page and "content review rejected it" in page
        assert "Published:" not in page
    finally:
        console.stop()
        sandbox.stop()


def admin(url: str, path: str, data: dict) -> dict:
    import requests

    return requests.post(f"{url}/sandbox/{path}", json=data, timeout=10).json()


def test_fail_idx_is_read_as_hostile_input():
    from wechat_pub.publish.failed import read_fail_idx

    assert read_fail_idx([1, 2]) == [1, 2] and read_fail_idx("1 2") == [1, 2]
    assert read_fail_idx(["9" * 5000, "0", "-1", "x", True, 9, None, "3"]) == [3]  # no crash on a 5000-digit number
    assert read_fail_idx({"a": 1}) == [] and read_fail_idx(None) == []
