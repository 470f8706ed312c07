"""Scheduled publishing with controlled time (pushes a few seconds ahead, a short grace and lease):
schedule, restart, missed within and beyond grace, reschedule, cancel, crash mid-push, processes racing."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import SEED_ARTICLE, free_port, use_database
from wechat_pub.config import load_config
from wechat_pub.publish.scheduler import SchedulerService
from wechat_pub.store import Store

SCHEDULE = "\n[schedule]\nsync_seconds = 0.3\nlease_seconds = 1.0\ngrace_hours = {grace}\n"


def at(seconds: float) -> str:
    """A publish time `seconds` from now (negative: in the past), as the marketing team would type it."""
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%d %H:%M:%S +00:00")


@pytest.fixture
def site(sandbox_dir, database_url):
    """The firm's folder with the seed issue, on the state database under test (the lease and the runs must
    hold on PostgreSQL as on SQLite)."""
    use_database(sandbox_dir, database_url)
    (sandbox_dir / "articles").mkdir()
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    (sandbox_dir / "articles" / "issue-135.md").write_text(text, encoding="utf-8")
    with open(sandbox_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(SCHEDULE.format(grace=6))
    return sandbox_dir


def set_grace(site, hours: float) -> None:
    text = (site / "config.toml").read_text()
    (site / "config.toml").write_text(re.sub(r"grace_hours = .*", f"grace_hours = {hours}", text))


def drafts(sandbox) -> int:
    return sandbox.state.drafts(0, 100)[0]


class Running:
    """A scheduler service in this process, recording what it reports."""

    def __init__(self, site):
        self.events: list[tuple[str, str]] = []
        self.service = SchedulerService(load_config(site / "config.toml"),
                                        on_event=lambda kind, detail: self.events.append((kind, detail)))
        self.service.start()

    def wait_for(self, kind: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for seen, detail in self.events:
                if seen == kind:
                    return detail
            time.sleep(0.05)
        raise AssertionError(f"no {kind!r} event in {timeout} s: {self.events}")

    def stop(self) -> None:
        self.service.stop()


@pytest.fixture
def running(site):
    started: list[Running] = []

    def start() -> Running:
        service = Running(site)
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


def test_schedule_commands_edit_only_the_publish_time(site, run_cli):
    path = site / "articles" / "issue-135.md"
    before = path.read_text()
    out = run_cli("schedule", "add", path, "--at", "2026-12-02 09:00").stdout
    assert "issue 135" in out and "will be pushed at 2026-12-02T09:00:00+08:00" in out
    assert path.read_text() == before.replace("---\n\n#", "publish_at: 2026-12-02 09:00 +08:00\n---\n\n#", 1)
    run_cli("schedule", "move", path, "--at", "2026-12-03 10:30 +08:00")
    assert "publish_at: 2026-12-03 10:30 +08:00" in path.read_text()
    assert "2026-12-03T10:30:00+08:00  scheduled" in run_cli("schedule", "list").stdout
    run_cli("schedule", "cancel", path)
    assert path.read_text() == before
    err = run_cli("schedule", "add", path, "--at", "next tuesday", expect=1).stderr
    assert "--at 'next tuesday'" in err and "Example" in err
    assert "nothing scheduled" in run_cli("schedule", "list").stdout


def test_a_scheduled_issue_lands_once(site, sandbox, running, run_cli):
    run_cli("schedule", "add", site / "articles" / "issue-135.md", "--at", at(2))
    service = running()
    assert "created draft" in service.wait_for("done")
    time.sleep(1)
    assert drafts(sandbox) == 1
    assert "done" in run_cli("schedule", "list").stdout
    assert "draft" in run_cli("status").stdout


def test_missed_during_a_restart_runs_once_within_grace(site, sandbox, running, run_cli):
    run_cli("schedule", "add", site / "articles" / "issue-135.md", "--at", at(3))
    first = running()
    first.wait_for("scheduled")
    first.stop()  # the service goes down before the time…
    time.sleep(4)
    assert drafts(sandbox) == 0
    second = running()  # …and comes back within the grace period
    second.wait_for("done")
    time.sleep(1)
    assert drafts(sandbox) == 1


def test_missed_beyond_grace_is_reported_not_run(site, sandbox, running, run_cli):
    set_grace(site, 0.001)  # 3.6 seconds
    run_cli("schedule", "add", site / "articles" / "issue-135.md", "--at", at(-30))
    service = running()
    service.wait_for("missed")
    time.sleep(1)
    assert drafts(sandbox) == 0
    listed = run_cli("schedule", "list").stdout
    assert "missed" in listed and "grace period" in listed
    assert "scheduled push missed" in run_cli("status").stdout


def test_moving_and_cancelling(site, sandbox, running, run_cli):
    path = site / "articles" / "issue-135.md"
    run_cli("schedule", "add", path, "--at", at(3))
    service = running()
    service.wait_for("scheduled")
    run_cli("schedule", "move", path, "--at", at(60))  # picked up by the next sync: no run at the old time
    time.sleep(5)
    assert drafts(sandbox) == 0 and not any(kind == "running" for kind, _ in service.events)
    run_cli("schedule", "move", path, "--at", at(1))
    service.wait_for("done")
    run_cli("schedule", "cancel", path)  # after it ran: nothing left to cancel, nothing runs again
    time.sleep(1)
    assert drafts(sandbox) == 1
    jobs = Store(load_config(site / "config.toml").database_url())
    assert len([r for r in jobs.runs("wx_sandbox") if r["state"] == "done"]) == 1


def test_cancelled_issue_is_not_pushed(site, sandbox, running, run_cli):
    path = site / "articles" / "issue-135.md"
    run_cli("schedule", "add", path, "--at", at(3))
    service = running()
    service.wait_for("scheduled")
    run_cli("schedule", "cancel", path)
    service.wait_for("unscheduled")
    time.sleep(4)
    assert drafts(sandbox) == 0


def test_transient_errors_are_retried_then_succeed(site, sandbox, running, run_cli):
    with open(site / "config.toml", "a") as handle:
        handle.write("\n[wechat]\nretry_seconds = 0.5\n")  # the client gives up fast; the scheduler retries
    sandbox.fault("material/add_material", "errcode:45009", times=200)  # the day's quota, for now
    run_cli("schedule", "add", site / "articles" / "issue-135.md", "--at", at(1))
    service = running()
    service.service.retry_base_seconds = 0.5
    service.wait_for("retrying", timeout=60)
    sandbox.admin("faults", "DELETE")
    assert "created draft" in service.wait_for("done", timeout=60)
    assert drafts(sandbox) == 1


def test_final_failure_is_recorded_with_what_to_do(site, sandbox, running, run_cli):
    sandbox.settings.verified = False
    with open(site / "config.toml", "a") as handle:
        handle.write("publish = true\n")
    run_cli("schedule", "add", site / "articles" / "issue-135.md", "--at", at(1))
    service = running()
    detail = service.wait_for("failed")
    assert "48001" in detail and "drafts still work" in detail
    status = run_cli("status").stdout
    assert "48001" in status
    assert drafts(sandbox) == 1  # the draft was made; only publishing failed


def start_service(site, port: int, crash_at: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    if crash_at:
        env["WECHAT_PUB_TEST_CRASH_AT"] = crash_at
    return subprocess.Popen([sys.executable, "-m", "wechat_pub", "run", "--port", str(port)], cwd=site, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_crash_in_the_middle_of_a_push_and_restart(site, sandbox, run_cli):
    run_cli("schedule", "add", site / "articles" / "issue-135.md", "--at", at(2))
    crashed = start_service(site, free_port(), crash_at="after-draft-add")
    assert crashed.wait(60) == -signal.SIGKILL  # killed right after WeChat made the draft
    assert drafts(sandbox) == 1
    again = start_service(site, free_port())
    try:
        deadline = time.monotonic() + 60
        store = Store(load_config(site / "config.toml").database_url())
        while time.monotonic() < deadline:
            runs = store.runs("wx_sandbox")
            if runs and runs[0]["state"] == "done":
                break
            time.sleep(0.2)
        assert runs[0]["state"] == "done" and runs[0]["attempts"] == 2
    finally:
        again.terminate()
        again.wait(20)
    assert drafts(sandbox) == 1  # the draft of the killed run was found, not made again


def test_processes_racing_fire_each_job_once(site, sandbox, run_cli):
    run_cli("schedule", "add", site / "articles" / "issue-135.md", "--at", at(4))
    processes = [start_service(site, free_port()) for _ in range(3)]
    try:
        time.sleep(10)
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        logs = [process.communicate(timeout=30)[0] for process in processes]
    assert drafts(sandbox) == 1
    assert sum(log.count("schedule: leader") for log in logs) == 1
    assert sum(log.count("schedule: done") for log in logs) == 1
    store = Store(load_config(site / "config.toml").database_url())
    assert [(r["issue"], r["state"], r["attempts"]) for r in store.runs("wx_sandbox")] == [(135, "done", 1)]


def test_gunicorn_workers_run_one_scheduler(site, sandbox, run_cli):
    run_cli("schedule", "add", site / "articles" / "issue-135.md", "--at", at(4))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "3", "-b", f"127.0.0.1:{free_port()}",
                               "wechat_pub.app:create_service()"], cwd=site, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        store = Store(load_config(site / "config.toml").database_url())
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not [r for r in store.runs("wx_sandbox") if r["state"] == "done"]:
            time.sleep(0.2)
        time.sleep(2)  # time for a second run, were there one
    finally:
        server.terminate()
        server.wait(30)
    assert [(r["state"], r["attempts"]) for r in store.runs("wx_sandbox")] == [("done", 1)]
    assert drafts(sandbox) == 1
