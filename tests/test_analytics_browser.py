"""Issue 26's "done when", in the sandbox on an injected clock: after issue 135 is sent and a (simulated) weekend
passes, the console's 效果 / Reach page (a real browser, also at phone width) shows its readers by source and the
followers' questions of that week, the weekly note arrives at the local WeCom robot on Monday 09:00, and
`wechat-pub stats` prints the same figures. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import requests
from test_analytics import DAY, START, on_clock, send_135
from test_console_browser import PASSWORD, Robot, page, shot, sign_in  # noqa: F401 (page: the fixture)
from test_notify import team  # noqa: F401 (team: the fixture)

from conftest import FakeClock
from wechat_pub.bot.protocol import signed_message
from wechat_pub.bot.simulate import message_xml
from wechat_pub.sandbox.datacube import reads_by

MONDAY_0900 = START + 2 * DAY + 17 * 3600  # Fri 2027-01-15 16:00 Beijing -> Mon 2027-01-18 09:00


class Served:
    """The service of the folder (webhook, console, scheduler) in this process, on the test's clock."""

    def __init__(self, folder, clock: FakeClock):
        from werkzeug.serving import make_server

        from wechat_pub.app import create_app
        from wechat_pub.config import load_config
        from wechat_pub.deployment import Deployment

        self.clock = clock.clock
        self.deployment = Deployment(load_config(folder / "config.toml"), clock.clock)
        self.server = make_server("127.0.0.1", 0, create_app(deployment=self.deployment), threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.deployment.services.console_url = self.base
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.scheduler = None

    def ask(self, text: str) -> None:
        """A follower's message, signed as WeChat signs it, at the service's time (the webhook checks its
        timestamp against the deployment's clock)."""
        params, body = signed_message(message_xml(text, "gh_sandbox"), "", "plain",
                                      timestamp=str(int(self.clock.time())))
        assert requests.post(f"{self.base}/wechat", params=params, data=body, timeout=10).status_code == 200

    def start_scheduler(self) -> None:
        from wechat_pub.publish.scheduler import SchedulerService

        self.scheduler = SchedulerService(self.deployment)
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler:
            self.scheduler.stop()
        self.server.shutdown()
        self.deployment.close()


def robot_note(timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        notes = [m["text"]["content"] for m in Robot.received if "the week's reach" in m["text"]["content"]]
        if notes:
            return notes[0]
        time.sleep(0.1)
    raise AssertionError(f"no weekly note at the robot: {Robot.received}")


def test_after_a_send_and_a_weekend_the_page_the_note_and_stats_agree(team, sandbox, run_cli, page):  # noqa: F811
    site, _ = team
    with open(site / "config.toml", "a", encoding="utf-8") as handle:
        handle.write("\n[webhook]\nsearch_scope = \"all\"\nquery_log_delay = 0\n")
    clock = FakeClock(START)
    on_clock(sandbox, clock)
    msgid = send_135(sandbox, run_cli, clock)
    served = Served(site, clock)
    try:
        served.deployment.services.users.add("boss", "approver", PASSWORD)
        for question in ("个人信息", "个人信息", "GDPR", "元宇宙税务"):  # the week's questions, one finds nothing
            served.ask(question)
        clock.advance(MONDAY_0900 - START)
        served.start_scheduler()  # leads, collects what is due, sends Monday's note
        note = robot_note()
        reads = reads_by(msgid, 2)  # Friday, Saturday, Sunday
        assert f"issue 135: {reads} readers" in note and "个人信息 (2)" in note and "元宇宙税务 (1)" in note
        assert f"{served.base}/console/default/reach" in note

        for path in ("reach", "reach.csv"):  # nobody signed in: the sign-in page, not the figures
            anonymous = requests.get(f"{served.base}/console/default/{path}", allow_redirects=False, timeout=10)
            assert anonymous.status_code == 302 and "/console/login" in anonymous.headers["Location"]
        sign_in(page, served.base, "boss")
        page.goto(f"{served.base}/console/default/reach")
        # the console's language (zh_CN by default; see the report on main's Babel locale) decides the words
        assert "效果" in page.inner_text("h1") or "Reach" in page.inner_text("h1")
        row = page.inner_text("tr[data-issue='135']")
        assert str(reads) in row and "2027-01-15" in row
        sources = page.inner_text("[data-sources]")
        assert ("会话" in sources or "chat" in sources) and str(int(reads * 0.46)) in sources  # as the sandbox splits
        assert "个人信息" in page.inner_text("[data-best]")
        assert "元宇宙税务" in page.inner_text("[data-unanswered]") and "135" in page.inner_text("[data-unanswered]")
        assert page.locator("svg.chart").count() == 2
        shot(page, "reach")

        page.set_viewport_size({"width": 390, "height": 844})  # a phone: nothing wider than the screen
        page.reload()
        for selector in ("section.reach-over-time", "section.reach-curve", "[data-best]"):
            assert page.locator(selector).bounding_box()["width"] <= 390
        shot(page, "reach-phone")

        csv = page.request.get(f"{served.base}/console/default/reach.csv").text()
        assert "\n135," in csv.replace("\r", "") and f",{reads}," in csv

        printed = run_cli("stats", clock=clock).stdout
        assert f"read users {reads}: chat {int(reads * 0.46)}" in printed
    finally:
        served.stop()
    assert sandbox.calls()["datacube/getarticletotaldetail"] == 1  # the page, the note and stats: one fetch
