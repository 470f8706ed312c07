"""Telling the team (issue 11): a scheduled push that is blocked (unapproved), missed or failed, and a
finished publish job, each reach a local WeCom robot endpoint and a local SMTP server, saying what happened,
what to do, and where to look; a notification channel that is down stops nothing."""

from __future__ import annotations

import shutil
import threading
import time
from http.server import HTTPServer

import pytest
from test_console_browser import Mailbox, Robot
from test_scheduler import Running, passed

from conftest import SEED_ARTICLE, free_port, use_database


@pytest.fixture
def team(sandbox_dir, database_url):
    Robot.received = []
    robot = HTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=robot.serve_forever, args=(0.05,), daemon=True).start()
    mailbox = Mailbox()
    use_database(sandbox_dir, database_url)
    (sandbox_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles" / "issue-135.md")
    with open(sandbox_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(f"""
[schedule]
sync_seconds = 0.2
lease_seconds = 1.0
[console]
public_url = "https://pub.lifang.test"
language = "en"  # the words checked below; tests/test_console_zh.py checks the Chinese default
[notify]
wecom_webhook = "http://127.0.0.1:{robot.server_port}/cgi-bin/webhook/send?key=k"
smtp_host = "127.0.0.1"
smtp_port = {mailbox.port}
smtp_starttls = false
email_to = ["marketing@lifang.test"]
""")
    yield sandbox_dir, mailbox
    robot.shutdown()
    mailbox.stop()


def configure(site, section: str, line: str) -> None:
    """Add ``line`` to the fixture's ``[section]`` of the site's config."""
    path = site / "config.toml"
    path.write_text(path.read_text().replace(f"\n[{section}]\n", f"\n[{section}]\n{line}\n", 1))


def told(mailbox, count: int = 1, timeout: float = 10) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (len(Robot.received) < count or len(mailbox.messages) < count):
        time.sleep(0.05)
    return Robot.received[count - 1]["text"]["content"], read_mail(mailbox.messages[count - 1])


def read_mail(raw: bytes) -> str:
    """The subject and body as a mail client shows them (decoded, unfolded)."""
    from email import message_from_bytes, policy

    message = message_from_bytes(raw, policy=policy.default)
    return f"{message['subject']}\n{message.get_content()}"


def test_an_unapproved_issue_is_blocked_and_the_team_told(team):
    site, mailbox = team
    configure(site, "console", "require_approval = true")
    passed(site / "articles" / "issue-135.md", 1)
    service = Running(site)
    try:
        assert "nobody approved it" in service.wait_for("blocked")
    finally:
        service.stop()
    robot, mail = told(mailbox)
    assert "issue 135 was not pushed at its time" in robot and "an approver must approve this version" in robot
    assert "https://pub.lifang.test/console/default/issues/135" in robot
    assert mail.startswith("⚠️ 立方律师事务所: issue 135 was not pushed at its time") and "issues/135" in mail


def test_an_issue_whose_image_is_missing_is_blocked_not_failed(team, sandbox):
    """A newcomer's finding (2026-12-06): an issue whose image file was missing ran at its time and failed
    ("Image file ... does not exist"), where the README promises it is blocked, with its problems."""
    site, mailbox = team
    path = site / "articles" / "issue-135.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("2020年4月15日，公安部", "![图](images/gone.png)\n\n2020年4月15日，公安部", 1),
                    encoding="utf-8")
    passed(path, 1)
    service = Running(site)
    try:
        detail = service.wait_for("blocked")
    finally:
        service.stop()
    assert "images/gone.png" in detail and "does not exist" in detail, detail
    robot, _ = told(mailbox)
    assert "issue 135 was not pushed at its time" in robot


def test_a_missed_push_is_told(team, sandbox):
    site, mailbox = team
    configure(site, "schedule", "grace_hours = 0.001")
    passed(site / "articles" / "issue-135.md", 60)  # long past, beyond a grace of 3.6 s
    service = Running(site)
    try:
        service.wait_for("missed")
    finally:
        service.stop()
    robot, _ = told(mailbox)
    assert "issue 135 was not pushed: its time was missed" in robot and "grace period" in robot


def test_a_failed_push_says_what_to_do(team, sandbox):
    site, mailbox = team
    sandbox.settings.verified = False
    configure(site, "schedule", "publish = true")
    passed(site / "articles" / "issue-135.md", 1)
    service = Running(site)
    try:
        service.wait_for("failed")
    finally:
        service.stop()
    robot, mail = told(mailbox)
    assert "scheduled push failed" in robot and "48001" in robot and "drafts still work" in robot


def test_a_finished_publish_job_is_told(team, sandbox, run_cli, monkeypatch):
    """PUBLISHJOBFINISH comes to the webhook of `wechat-pub run`; the team hears the issue is out."""
    import os
    import subprocess
    import sys

    from conftest import wait_until_responds

    site, mailbox = team
    port = free_port()
    sandbox.settings.accounts[0].webhook_url = f"http://127.0.0.1:{port}/wechat"
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    process = subprocess.Popen([sys.executable, "-m", "wechat_pub", "run", "--port", str(port)], cwd=site, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_responds(f"http://127.0.0.1:{port}/healthz", process=process)
        run_cli("push", "articles/issue-135.md", "--publish")
        robot, mail = told(mailbox)
    finally:
        process.terminate()
        process.wait(20)
    assert "issue 135 is published" in robot and "/sandbox/articles/" in robot
    assert "issue 135 is published" in mail


def test_a_channel_that_is_down_stops_nothing(team, sandbox):
    site, mailbox = team
    path = site / "config.toml"  # the robot's URL answers 404; nothing listens on the mail port
    path.write_text(path.read_text().replace("/cgi-bin/webhook/send", "/x").replace(
        f"smtp_port = {mailbox.port}", f"smtp_port = {free_port()}"))
    passed(site / "articles" / "issue-135.md", 1)
    service = Running(site)
    try:
        assert "created draft" in service.wait_for("done")  # the robot answered 404, the mail server is gone
    finally:
        service.stop()
    assert sandbox.state.drafts(0, 10)[0] == 1
