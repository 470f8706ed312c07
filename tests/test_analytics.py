"""Know what worked (issue 26): yesterday's figures of every sent or published issue, collected once per day
across restarts and hosts, fetched again while WeChat says they are not final, never over the quota, one note for
an unverified account, split issues tied part by part; `wechat-pub stats` prints them. Against the sandbox over
HTTP on an injected clock, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import requests
from test_notify import team  # noqa: F401 (team: the fixture)

from conftest import FakeClock, open_site
from wechat_pub.sandbox.datacube import reads_by

DAY = 86400
# 2027-01-15 16:00 Beijing (08:00 UTC): a send today, its figures due tomorrow after 08:30
START = 1_800_000_000.0


def sent_by_sandbox(sandbox, count: int = 1, timeout: float = 10) -> list[dict]:
    """The sandbox's mass sends once ``count`` of them finished."""
    deadline = time.monotonic() + timeout
    while True:
        sends = [e for e in requests.get(f"{sandbox.url}/sandbox/api/mass", timeout=10).json()["mass"]
                 if not e["preview"]]
        if sum(e["status"] == "SEND_SUCCESS" for e in sends) >= count or time.monotonic() > deadline:
            return sends
        time.sleep(0.05)


def on_clock(sandbox, clock: FakeClock) -> None:
    """The sandbox runs on the test's clock (its day, its 08:00), and finishes sends at once."""
    sandbox.settings.clock = clock.time
    sandbox.settings.mass_delay = 0.1


def send_135(sandbox, run_cli, clock) -> str:
    run_cli("send", "articles/issue-135.md", "--yes", clock=clock)
    [sent] = sent_by_sandbox(sandbox)
    return f"{sent['msg_data_id']}_1"


def test_stats_collects_yesterday_once_and_prints_reads_by_source(team, sandbox, run_cli):  # noqa: F811
    site, _ = team
    clock = FakeClock(START)
    on_clock(sandbox, clock)
    msgid = send_135(sandbox, run_cli, clock)
    early = run_cli("stats", clock=clock)
    assert "no figures for any issue yet" in early.stdout  # sent today: nothing is due
    clock.advance(DAY)  # 2027-01-16 16:00: yesterday's figures are final
    printed = run_cli("stats", clock=clock)
    reads = reads_by(msgid, 0)
    assert f"read users {reads}: chat {int(reads * 0.46)}, home {int(reads * 0.09)}" in printed.stdout
    assert "issue 135" in printed.stdout and "out 2027-01-15 (1 day(s) ago)" in printed.stdout
    assert "reads in the first days: 1d" in printed.stdout
    again = run_cli("stats", "articles/issue-135.md", clock=clock)  # nothing new is due: no call
    assert f"read users {reads}" in again.stdout
    store = open_site(site, clock=clock).analytics
    assert store.fetch_count() == 1 and sandbox.calls()["datacube/getarticletotaldetail"] == 1


def test_two_hosts_and_restarts_fetch_each_day_once(team, sandbox, run_cli):  # noqa: F811
    from wechat_pub.analytics.service import run_due

    site, _ = team
    clock = FakeClock(START)
    on_clock(sandbox, clock)
    send_135(sandbox, run_cli, clock)
    clock.advance(DAY)
    hosts = [open_site(site, clock=clock) for _ in range(2)]  # two deployments on one database: two hosts
    threads = [threading.Thread(target=run_due, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sandbox.calls()["datacube/getarticletotaldetail"] == 1
    restarted = open_site(site, clock=clock)  # a restart: a new process, the same database
    assert run_due(restarted) == [] and sandbox.calls()["datacube/getarticletotaldetail"] == 1
    clock.advance(DAY)  # the next day is due once more, to every host
    for host in (*hosts, restarted):
        run_due(host)
    assert sandbox.calls()["datacube/getarticletotaldetail"] == 2
    assert restarted.analytics.fetch_count() == 2


def test_figures_not_final_are_fetched_again(team, sandbox, run_cli):  # noqa: F811
    site, _ = team
    clock = FakeClock(START)
    on_clock(sandbox, clock)
    sandbox.settings.datacube_final_hour = 10  # WeChat late today: final at 10:00, not 08:00
    msgid = send_135(sandbox, run_cli, clock)
    clock.advance(DAY - 7 * 3600)  # 2027-01-16 09:00 Beijing: due (after 08:30), not final (before 10:00)
    early = run_cli("stats", clock=clock)
    assert "not final yet" in early.stdout and f"read users {reads_by(msgid, 0)}:" not in early.stdout
    clock.advance(30 * 60)  # 09:30: fetched again only after analytics.retry_minutes (60)
    run_cli("stats", clock=clock)
    assert sandbox.calls()["datacube/getarticletotaldetail"] == 1
    clock.advance(3600)  # 10:30: final now
    final = run_cli("stats", clock=clock)
    assert f"read users {reads_by(msgid, 0)}:" in final.stdout and "not final" not in final.stdout
    assert sandbox.calls()["datacube/getarticletotaldetail"] == 2
    run_cli("stats", clock=clock)  # final: never again
    assert sandbox.calls()["datacube/getarticletotaldetail"] == 2


def test_an_unverified_account_gets_one_note_not_an_error_a_day(team, sandbox, run_cli):  # noqa: F811
    site, _ = team
    clock = FakeClock(START)
    on_clock(sandbox, clock)
    send_135(sandbox, run_cli, clock)
    sandbox.settings.accounts[0].verified = False  # (sent while verified; analytics refused from now on)
    for _ in range(3):
        clock.advance(DAY)
        printed = run_cli("stats", clock=clock)  # exit 0: a note, not an error
        assert "note: analytics need a verified account" in printed.stdout
    assert sandbox.calls()["datacube/getarticletotaldetail"] == 1
    note, _at = open_site(site, clock=clock).analytics.note()
    assert "mp.weixin.qq.com" in note  # what to do


def test_the_day_s_calls_stay_within_analytics_daily_calls(team, sandbox, run_cli):  # noqa: F811
    site, _ = team
    with open(site / "config.toml", "a", encoding="utf-8") as handle:
        handle.write("\n[analytics]\ndaily_calls = 1\n")
    clock = FakeClock(START)
    on_clock(sandbox, clock)
    send_135(sandbox, run_cli, clock)
    clock.advance(DAY)
    text = (site / "articles" / "issue-135.md").read_text(encoding="utf-8").replace("issue: 135", "issue: 136", 1)
    (site / "articles" / "issue-136.md").write_text(text, encoding="utf-8")
    run_cli("send", "articles/issue-136.md", "--yes", clock=clock)
    sent_by_sandbox(sandbox, 2)
    clock.advance(DAY)  # two publication days are due, one call a day is allowed
    first = run_cli("stats", clock=clock)
    assert "analytics.daily_calls" in first.stderr
    run_cli("stats", clock=clock)
    assert sandbox.calls()["datacube/getarticletotaldetail"] == 1
    clock.advance(DAY)
    run_cli("stats", clock=clock)
    assert sandbox.calls()["datacube/getarticletotaldetail"] == 2


def test_a_split_published_issue_is_tied_part_by_part(team, sandbox, run_cli):  # noqa: F811
    from wechat_pub.source.writer import write_article
    from wechat_pub.synthetic import IssueFactory

    site, _ = team
    clock = FakeClock(START)
    on_clock(sandbox, clock)
    big = site / "articles" / "issue-150.md"
    big.write_text(write_article(IssueFactory(2).issue(number=150, sections=3, items_per_section=5)))
    run_cli("push", big, "--publish", clock=clock)
    deadline = time.monotonic() + 10
    while not sandbox.state.published(0, 20)[1] and time.monotonic() < deadline:
        time.sleep(0.05)
    [job] = sandbox.state.published(0, 20)[1]
    parts = len(job["articles"])
    assert parts == 3
    clock.advance(DAY)
    printed = run_cli("stats", "articles/issue-150.md", clock=clock)
    total = sum(reads_by(f"{job['publish_id']}_{part}", 0) for part in range(1, parts + 1))
    assert "issue 150" in printed.stdout and "3 parts" in printed.stdout
    assert f"read users {total}:" in printed.stdout
    stored = open_site(site, clock=clock).analytics.issues()
    assert stored[150].parts == {1, 2, 3}


def weekly_notes() -> list[str]:
    from test_console_browser import Robot

    return [m["text"]["content"] for m in Robot.received if "the week's reach" in m["text"]["content"]]


def test_the_weekly_note_goes_once_a_week_whichever_host_asks(team, sandbox, run_cli):  # noqa: F811
    from wechat_pub.analytics.weekly import send_weekly_due

    site, mailbox = team
    clock = FakeClock(START)
    on_clock(sandbox, clock)
    assert send_weekly_due(open_site(site, clock=clock)) == ""  # Friday: Monday's note is not due
    clock.advance(2 * DAY + 17 * 3600 + 60)  # Monday 09:01
    assert send_weekly_due(open_site(site, clock=clock)) == ""  # nothing went out, nobody asked: no note
    clock.advance(-(2 * DAY + 17 * 3600 + 60))
    send_135(sandbox, run_cli, clock)
    clock.advance(2 * DAY + 17 * 3600 + 60)
    run_cli("stats", clock=clock)  # the figures of the weekend
    hosts = [open_site(site, clock=clock) for _ in range(2)]
    threads = [threading.Thread(target=send_weekly_due, args=(host,)) for host in hosts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(weekly_notes()) == 1 and len(mailbox.messages) == 1
    assert "Top questions: none" in weekly_notes()[0] and "/console/default/reach" in weekly_notes()[0]
    assert "issue 135: " in weekly_notes()[0]
    clock.advance(DAY)  # Tuesday, a restarted process: not again
    assert send_weekly_due(open_site(site, clock=clock)) == "" and len(weekly_notes()) == 1
    clock.advance(6 * DAY)  # the next Monday 09:01: the next week's note
    assert "sent" in send_weekly_due(open_site(site, clock=clock)) and len(weekly_notes()) == 2
    clock.advance(9 * DAY)  # a Wednesday after a Monday no service ran: that week's note is skipped, not late
    assert send_weekly_due(open_site(site, clock=clock)) == "" and len(weekly_notes()) == 2


def test_the_reach_csv_keeps_a_formula_a_title_starts_with_as_text(team, sandbox, run_cli):  # noqa: F811
    """A title is the team's text, but a CSV cell starting with '=' is a formula to Excel: the followers CSV's
    guard (one function) covers this export too."""
    from wechat_pub.state.schema import issues

    site, _ = team
    clock = FakeClock(START)
    on_clock(sandbox, clock)
    send_135(sandbox, run_cli, clock)
    clock.advance(DAY)
    run_cli("stats", clock=clock)
    opened = open_site(site, clock=clock)
    with opened.services.db.begin() as conn:
        conn.execute(issues.update().where(issues.c.number == 135).values(title='=HYPERLINK("http://evil")'))
    from wechat_pub.app import create_app
    from wechat_pub.console.analytics import analytics_csv

    app = create_app(deployment=open_deployment_of(site, clock))
    with app.test_request_context("/console/default/reach.csv"):  # the view itself (the browser test signs in)
        body = analytics_csv("default").get_data(as_text=True)
    assert "'=HYPERLINK" in body and ',=HYPERLINK' not in body


def open_deployment_of(site, clock):
    from wechat_pub.config import load_config
    from wechat_pub.deployment import Deployment

    return Deployment(load_config(site / "config.toml"), clock.clock)
