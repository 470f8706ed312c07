"""Review 36: a week of the marketing team in the console, on a phone (390 x 844), in Chinese (the default), once on
a desktop in English: import issue 135's text, edit it, schedule a mass send (群发) for Tuesday 09:00 Beijing time
(the server in UTC), approve, preview on a phone, let Tuesday come (an injected clock), read the notifications, the
Reach page, the followers' page, the weekly note and `wechat-pub stats`. Each test fails on the code as committed
(37209dd) and passes once the hole is fixed.

The service runs in this process on the test's clock (tests/test_analytics_browser.py's ``Served``), with the
sandbox on the same clock, a local WeCom robot (tests/test_console_browser.py's ``Robot``) and Chromium."""

from __future__ import annotations

import re
import shutil
import threading
import time
from http.server import HTTPServer

import pytest
from test_analytics import START, on_clock, send_135
from test_analytics_browser import MONDAY_0900, Served
from test_console_browser import PASSWORD, Robot
from test_review27_holes import english_sentence

from conftest import ROOT, SEED_ARTICLE, FakeClock, open_site


@pytest.fixture
def week(sandbox_dir, sandbox):
    """The firm's folder in Chinese (console.language left at its default), issue 135 in its articles, a WeCom robot for the notifications; the sandbox on the test's clock."""
    Robot.received = []
    robot = HTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=robot.serve_forever, args=(0.05,), daemon=True).start()
    (sandbox_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles" / "issue-135.md")
    with open(sandbox_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(f"""
[schedule]
sync_seconds = 0.2
lease_seconds = 1.0
[notify]
wecom_webhook = "http://127.0.0.1:{robot.server_port}/cgi-bin/webhook/send?key=k"
""")
    clock = FakeClock(START)  # Fri 2027-01-15 16:00 Beijing, 08:00 UTC
    on_clock(sandbox, clock)
    yield sandbox_dir, clock
    robot.shutdown()


def robot_says(words: str, timeout: float = 20) -> str:
    """The first message at the robot that holds ``words``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m["text"]["content"] for m in Robot.received if words in m["text"]["content"]]
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"nothing with {words!r} at the robot: {Robot.received}")


def phone(browser, base: str, name: str):
    """A 390 x 844 phone signed in as ``name``, answering yes to every confirmation."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="Asia/Shanghai",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/console/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[data-action=sign-in]")
    return page


def click(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def history(page) -> list[tuple[str, str, str]]:
    """The issue page's history: (what, who, detail) of each row."""
    return [tuple(cell.inner_text().strip() for cell in row.locator("td").all()[1:])
            for row in page.locator("table.history tbody tr").all()]


# ---- Medium: the weekly note is in English for a Chinese team ----------------------------------------------------

def test_the_weekly_note_speaks_the_consoles_language(week, sandbox, run_cli):
    """README: the notifications are "in the console's language (console.language)", Chinese by default, and the
    weekly note goes to the same WeCom group. The note is English from its subject to its last line whatever the
    language: "📊 立方律师事务所: the week's reach / Week 2027-01-18 – 2027-01-24: / issue 135: 782 readers, 62 shares
    in 6 day(s) / Top questions: … / Found nothing: …". The team that reads every other message in Chinese gets the
    one message meant to tell it what worked in a language it did not choose (the console's own Reach page says 阅读人数,
    分享, 无结果). Expected: the note in console.language, as the other notices are."""
    site, clock = week
    send_135(sandbox, run_cli, clock)
    clock.advance(MONDAY_0900 - START)
    from wechat_pub.analytics.service import run_due

    said = run_due(open_site(site, clock=clock))  # what the scheduler runs every minute
    assert any("weekly note" in line for line in said), said
    note = robot_says("📊")
    assert not english_sentence(note), f"the weekly note is in English for a Chinese team:\n{note}"


# ---- Medium: a send confirmed by message/mass/get tells the team it reached 0 of 0 followers -----------------------

def test_a_send_confirmed_without_its_event_does_not_say_it_reached_no_follower(week, sandbox, run_cli):
    """README: "Without an event after schedule.send_check_minutes, the service asks message/mass/get", and "the
    team is told either way". message/mass/get answers only a status (SEND_SUCCESS), no counts; the notice makes
    counts of zero: "📨 立方律师事务所: 第 135 期已群发给粉丝 / 0 of 0 followers reached (all followers) / 粉丝已在聊天中
    收到本期". A marketing team reads that its Tuesday send reached nobody (and the issue's history says "0/0 sent")
    when it reached all 1,200 followers: someone sends it again by hand in mp.weixin.qq.com, or reports a failure.
    The event is lost whenever the webhook was down or WeChat did not deliver it. Expected: the notice says the send
    went out and that WeChat gave no counts (never a count it did not report)."""
    site, clock = week
    send_135(sandbox, run_cli, clock)  # the sandbox here sends no MASSSENDJOBFINISH (no sandbox.webhook_url)
    clock.advance(11 * 60)  # past schedule.send_check_minutes (10)
    from wechat_pub.publish.sendresult import check_every_site

    changes = []
    check_every_site([open_site(site, clock=clock)], lambda kind, detail: changes.append(detail))  # the scheduler's
    assert changes == ["default: issue 135: SEND_SUCCESS"], changes
    notice = robot_says("135")
    assert "已群发" in notice
    assert not re.search(r"\b0 of 0\b|0/0", notice), f"the team is told the send reached nobody:\n{notice}"


# ---- Low: the issue's history on the Chinese page, in English and engineers' words --------------------------------

def test_the_issue_history_of_a_phone_preview_and_a_send_is_in_the_teams_words(week, sandbox, browser):
    """On the Chinese issue page (390 px), after an approver's "发到我的手机" and "立即群发", the history reads:
    手机预览 · 操作人 (empty) · "by boss"; 已请求群发 · (nobody) · "clientmsgid wp8ef4… to all followers"; 已群发 ·
    (nobody) · "send success (message/mass/get): 0/0 sent"; the push the preview made, 推送到草稿箱 · (nobody); and
    the audit log's 手机预览 "to the user's WeChat ID". The page's
    other rows name the person under 操作人 and say the detail in Chinese; these name the approver in English inside
    the detail (the 操作人 column, the one people scan, is blank) and show WeChat's internal ids as sentences. The
    page-wide English check skips these cells (data-verbatim: they are taken for what people wrote). Expected: the
    person under 操作人, and the details in the console's language."""
    site, clock = week
    served = Served(site, clock)
    try:
        served.deployment.services.users.add("boss", "approver", PASSWORD)
        page = phone(browser, served.base, "boss")
        page.goto(f"{served.base}/console/profile")
        page.fill("input[name=wechat_id]", "wxid_sandbox_reader")  # a follower of the sandbox's account
        click(page, "main form button[type=submit]")
        page.goto(f"{served.base}/console/default/issues/135")
        click(page, "button[data-phone-preview]")
        click(page, "button[data-action=send]")
        assert page.locator(".flash.ok").count() >= 1, page.inner_text("main")[:500]
        clock.advance(11 * 60)
        from wechat_pub.publish.sendresult import check_every_site

        check_every_site([open_site(site, clock=clock)], lambda kind, detail: None)
        page.goto(f"{served.base}/console/default/issues/135")
        rows = history(page)
        [preview] = [row for row in rows if row[0] == "手机预览"]
        english = [row for row in rows if english_sentence(row[2]) or re.search(r"\b[a-z]{2,} [a-z]{2,}\b", row[2])]
        assert preview[1] == "boss" and not english, (
            f"the phone preview's person: {preview}; English on the Chinese page: {english}")
        page.context.close()
    finally:
        served.stop()


# ---- Medium: nobody but an admin can change a password --------------------------------------------------------------

def test_a_team_member_changes_their_own_password(week, browser):
    """README "Roles": admins "set a password"; the profile page (个人资料) holds only the WeChat ID. An editor or
    approver given a first password by the admin cannot change it: to change a password they suspect was seen (a
    shared phone, a password typed in a meeting), they must tell an admin the new one (who then knows everyone's),
    or wait for one. Expected: the profile page changes one's own password (the current one asked first), and the
    person's other sessions end, as an admin's change does."""
    site, clock = week
    served = Served(site, clock)
    try:
        served.deployment.services.users.add("editor2", "editor", PASSWORD)
        page = phone(browser, served.base, "editor2")
        page.goto(f"{served.base}/console/profile")
        fields = page.locator("main input[type=password]").count()
        assert fields >= 2, "the profile page has no way to change one's own password (current and new)"
        page.context.close()
    finally:
        served.stop()


# ---- Low: the team's guide does not lead to the Reach page or the weekly note ---------------------------------------

def test_the_teams_guide_names_the_reach_page_and_the_weekly_note():
    """The console points the team to its guide, README.zh-CN.md (控制台使用说明). It walks through import, edit,
    schedule, approve, push and the followers' page, and says nothing of 效果 (the Reach page: what was read, shared
    and liked) or of the weekly note on Monday morning, the two things "Knowing what worked" built for the team: a
    marketing person reading the guide never learns they exist, nor what the note's figures mean. Expected: a
    section on 效果 and the weekly note."""
    guide = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    assert re.search(r"\*\*效果\*\*|效果页|效果 ?/ ?Reach", guide), "README.zh-CN.md does not mention the 效果 (Reach) page"
    assert re.search(r"每周|周一", guide.replace("周报", "")), "README.zh-CN.md does not mention the weekly note"


def test_changing_ones_own_password_asks_the_current_one_and_signs_out_everywhere(week, browser):
    """The profile's password change: a wrong current password is refused (and counted as a wrong sign-in, so a
    stolen session cannot guess it), two new ones that differ are refused, and a change ends every session of
    the person (another phone's too): they sign in again with the new one, never the old."""
    site, clock = week
    served = Served(site, clock)
    try:
        served.deployment.services.users.add("editor2", "editor", PASSWORD)
        other = phone(browser, served.base, "editor2")  # a second phone, signed in too
        page = phone(browser, served.base, "editor2")

        def change(current: str, new: str, again: str) -> str:
            page.goto(f"{served.base}/console/profile")
            page.fill("input[name=current]", current)
            page.fill("input[name=password]", new)
            page.fill("input[name=again]", again)
            click(page, "button[data-action=change-password]")
            return page.inner_text("main")

        assert "当前密码不对" in change("not-my-password", "a-new-secret-1", "a-new-secret-1")
        assert served.deployment.services.audit.recent(5)[0].action == "sign-in-failed"
        assert "不一致" in change(PASSWORD, "a-new-secret-1", "a-new-secret-2")
        said = change(PASSWORD, "a-new-secret-1", "a-new-secret-1")
        assert "/console/login" in page.url and "密码已修改" in said, said
        other.goto(f"{served.base}/console/profile")
        assert "/console/login" in other.url  # the other phone's session ended too
        users = served.deployment.services.users
        assert users.verify("editor2", PASSWORD) is None and users.verify("editor2", "a-new-secret-1") is not None
        page.context.close()
        other.context.close()
    finally:
        served.stop()
