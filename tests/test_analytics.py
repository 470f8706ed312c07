"""Know what worked (issue 26): yesterday's figures of every sent or published issue, collected once per day
across restarts and hosts, fetched again while WeChat says they are not final, never over the quota, one note for
an unverified account, split issues tied part by part; `wechat-pub stats` prints them. Against the sandbox over
HTTP on an injected clock, SQLite and PostgreSQL."""

from __future__ import annotations

import time

import requests
from test_notify import configure, team  # noqa: F401 (team: the fixture)

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
