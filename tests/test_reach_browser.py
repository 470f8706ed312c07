"""Reaching the followers from the console, in a real browser (issue 23's "done when"): an approver previews issue
135 on their phone, schedules it to be sent to all followers, approves it; at its time followers get exactly one send
(the sandbox's listing shows one), the issue page shows the send's counts and links, and the team is told. A double
click on "Send to followers now" sends once. An unverified account says what to do by hand and offers no button that
would answer 48001."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
import requests
from test_console_browser import Robot, SandboxView, page, sign_in, start_console, write_issue  # noqa: F401 (page: fixture)

from conftest import ROOT, until


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    from wechat_pub.sandbox.server import start_in_thread
    from wechat_pub.sandbox.state import SandboxSettings

    folder = tmp_path_factory.mktemp("reach")
    settings = SandboxSettings(db_path=str(folder / "sandbox.sqlite3"), publish_delay=0.3, mass_delay=0.3)
    sandbox = start_in_thread(settings)
    running = start_console(folder / "site", int(sandbox.url.rsplit(":", 1)[1]))
    settings.accounts[0].webhook_url = f"{running.base}/wechat"  # MASSSENDJOBFINISH goes to the service
    running.sandbox = SandboxView(sandbox, settings)
    yield running
    running.stop()
    sandbox.stop()


def listing(console) -> list[dict]:
    return requests.get(f"{console.sandbox.running.url}/sandbox/api/mass", timeout=10).json()["mass"]


def sends(console) -> list[dict]:
    return [e for e in listing(console) if not e["preview"]]


def test_preview_schedule_send_approve_and_the_result(console, page):  # noqa: F811
    base = console.base
    (console.folder / "articles" / "issue-135.md").write_text((ROOT / "articles" / "issue-135.md").read_text())
    sign_in(page, base, "boss")
    page.on("dialog", lambda dialog: dialog.accept())

    # my WeChat ID, then the issue on my phone
    page.goto(f"{base}/console/default/issues/135")
    page.click("a:has-text('Add your WeChat ID')")
    page.fill("input[name=wechat_id]", "wxid_sandbox_reader")
    page.click("button:has-text('Save')")
    assert "/console/default/issues/135" in page.url
    page.click("button:has-text('Send to my phone')")
    assert "on its way to your phone" in page.inner_text(".flash") and "99 phone preview(s) left" in page.inner_text(".flash")
    assert "99 of 100 phone previews left today" in page.inner_text(".reach")
    assert [e["towxname"] for e in listing(console) if e["preview"]] == ["wxid_sandbox_reader"]
    history = page.inner_text("#history")  # once in the issue's history (a newcomer saw it twice: history and audit)
    assert history.count("phone preview") == 1, history

    # schedule it to be sent to all followers, a few seconds ahead; approve it
    at = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))) + dt.timedelta(seconds=8)
    page.fill("input[name=at]", at.strftime("%Y-%m-%dT%H:%M:%S"))
    page.select_option("select[name=deliver]", "send")
    with page.expect_event("dialog") as asked:  # (a newcomer's finding: it did not ask; waited for, not raced)
        page.click("button:has-text('Schedule')")
    assert asked.value.message == ("At that time issue 135 goes to all followers (a subscription account may send "
                                   "once a day). Schedule it?")
    assert "send to all followers at" in page.inner_text(".flash")
    from babel.dates import format_datetime

    assert f"send to all followers at {format_datetime(at, 'EEE d MMM y HH:mm', locale='en')}" in page.inner_text(".plan")
    page.click("button:has-text('Approve this version')")
    page.goto(f"{base}/console/default/")
    assert "send to all followers" in page.inner_text("tr[data-issue='135']")
    assert sends(console) == []  # nothing before its time

    # at its time: one send; the page shows its counts and links; the team is told
    until(lambda: sends(console), timeout=60, every=0.2)
    page.goto(f"{base}/console/default/issues/135")
    def reached() -> bool:  # (the page reads the issue's state, then the send's result: one drawn while the
        page.reload()       # result was recorded can show the result with "sending"; the next one agrees)
        return "1200 of 1200 followers reached" in page.inner_text("section.card") and \
            "sent" in page.inner_text(".status")

    until(reached, timeout=30, every=0.2)
    [sent] = sends(console)
    assert sent["urls"][0] in page.inner_text(".send-result") and "sent" in page.inner_text(".status")
    assert "Sent to followers: " + sent["urls"][0] in page.inner_text("main")  # not "Published:" (a newcomer's)
    until(lambda: any("issue 135 was sent to the followers" in m["text"]["content"] for m in Robot.received), every=0.2)

    # and deleted from the followers' chats (the console asks WeChat first: only a send that went out can be)
    page.click("button[data-action=unsend]")
    assert "send was deleted from the followers' chats" in page.inner_text(".flash")
    assert [e["status"] for e in sends(console)] == ["DELETE"]
    assert page.locator("button[data-action=unsend]").count() == 0


def test_a_double_click_sends_once(console, page):  # noqa: F811
    console.sandbox.settings.accounts[0].kind = "service"  # more than one send a day, so a second would show
    before = len(sends(console))
    write_issue(console, 138)
    sign_in(page, console.base, "boss")
    page.goto(f"{console.base}/console/default/issues/138")
    page.click("button:has-text('Approve this version')")
    page.on("dialog", lambda dialog: dialog.accept())
    stale = page.context.new_page()  # a second tab, opened before the send: it still offers it
    stale.goto(f"{console.base}/console/default/issues/138")
    stale.on("dialog", lambda dialog: dialog.accept())
    posted, ended = [], []  # the clicks' form posts, and those the browser has seen end (answered, or cut off)
    page.on("request", lambda r: posted.append(r) if r.method == "POST" else None)
    page.on("requestfinished", lambda r: ended.append(r) if r.method == "POST" else None)
    page.on("requestfailed", lambda r: ended.append(r) if r.method == "POST" else None)
    page.dblclick("button[data-send]")
    deadline = time.monotonic() + 60
    while not (posted and len(ended) == len(posted) and len(sends(console)) > before):
        assert time.monotonic() < deadline, (len(posted), len(ended))
        page.wait_for_timeout(100)  # (the browser's events arrive while Playwright waits, not while Python sleeps)
    assert len(sends(console)) == before + 1
    check = page.context.new_page()  # (not the clicked page: the last click's redirect may still be landing there)
    check.goto(f"{console.base}/console/default/issues/138")
    assert check.locator("button[data-send]").count() == 0  # a sent issue offers no second send (issue 24)
    stale.click("button[data-send]")  # and a third, on purpose, from the tab opened before
    assert "already sent" in stale.inner_text(".flash")
    assert len(sends(console)) == before + 1


def test_an_unverified_account_is_offered_the_hand_path(console, page):  # noqa: F811
    console.sandbox.settings.accounts[0].verified = False
    try:
        write_issue(console, 139)
        sign_in(page, console.base, "editor1")  # an admin: asks WeChat again what the account may do
        page.goto(f"{console.base}/console/default/rights")
        page.click("button:has-text('Ask WeChat again')")
        assert "not allowed" in page.inner_text("tr[data-capability='send']")
        here = page.inner_text("tr[data-previews-here]")  # our own count, named apart from WeChat's preview row
        assert re.fullmatch(r"phone previews sent from here today\t\d+ used, \d+ of 100 left", here), here
        page.goto(f"{console.base}/console/default/issues/139")
        reach = page.inner_text(".reach")
        assert "not verified: drafts only" in reach and "then mark it here" in reach
        assert page.locator("button[data-send]").count() == 0
        assert page.locator("button:has-text('Publish now')").count() == 0
        assert page.locator("button[data-phone-preview]").count() == 0
        assert page.locator("select[name=deliver] option[value=send][disabled]").count() == 1
        page.fill("input[name=url] >> nth=0", "https://mp.weixin.qq.com/s/by-hand")
        page.click("button:has-text('Mark sent')")
        assert "is marked sent" in page.inner_text(".flash") and "sent" in page.inner_text(".status")
        write_issue(console, 140)  # the other hand path: published by hand, marked here
        page.goto(f"{console.base}/console/default/issues/140")
        page.fill("input[name=url] >> nth=1", "https://mp.weixin.qq.com/s/published-by-hand")
        page.click("button:has-text('Mark published')")
        assert "is marked published" in page.inner_text(".flash") and "published" in page.inner_text(".status")
    finally:
        console.sandbox.settings.accounts[0].verified = True
        page.goto(f"{console.base}/console/default/rights")
        page.click("button:has-text('Ask WeChat again')")
