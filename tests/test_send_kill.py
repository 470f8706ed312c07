"""Exactly one send (issue 23): `wechat-pub send` killed (SIGKILL) at every step and run again, two hosts sending
the same issue at once, and a send whose answer was lost: the sandbox's listing shows one send every time."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest
import requests

from conftest import SEED_ARTICLE, firm_config, make_database_url, use_database

STEPS = ["upload#1", "before-draft-add", "after-draft-add", "before-sendall", "after-sendall"]


def send(folder, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    if crash_at:
        env["WECHAT_PUB_TEST_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-m", "wechat_pub", "send", "articles/issue-135.md", "--yes"], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=120)


def sends(sandbox) -> list[dict]:
    return [e for e in requests.get(f"{sandbox.url}/sandbox/api/mass", timeout=10).json()["mass"] if not e["preview"]]


@pytest.fixture
def issue_dir(sandbox_dir):
    with open(sandbox_dir / "config.toml", "a", encoding="utf-8") as handle:  # a killed sender's lock: 2 s, not 30
        handle.write("\n[schedule]\nlease_seconds = 2.0\n")
    (sandbox_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles" / "issue-135.md")
    return sandbox_dir


@pytest.mark.parametrize("step", STEPS)
def test_killed_send_reruns_to_exactly_one_send(issue_dir, sandbox, step, run_cli):
    killed = send(issue_dir, step)  # a real process, killed for real
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    command = ("send", "articles/issue-135.md", "--yes")  # the runs after it: the real main(), in this process
    if step == "after-sendall":  # WeChat got it, the ledger did not hear back: 45066 within the minute
        rerun = run_cli(*command, expect=3)
        assert "less than a minute ago" in rerun.stderr, rerun.stderr
        sandbox.advance(61)
        rerun = run_cli(*command)
        assert "WeChat already had this send" in rerun.stdout
    else:
        run_cli(*command)
    again = run_cli(*command)  # and a third run sends nothing
    assert "already sent" in again.stdout, again.stderr
    [sent] = sends(sandbox)
    assert sent["to_all"] and sent["clientmsgid"].startswith("wp") and len(sent["clientmsgid"]) == 32


def test_a_lost_answer_is_one_send(issue_dir, sandbox, run_cli):
    sandbox.fault("message/mass/sendall", "drop_after")
    lost = run_cli("send", "articles/issue-135.md", "--yes", expect=4)
    assert "never sent twice" in lost.stderr, lost.stderr
    sandbox.advance(61)
    run_cli("send", "articles/issue-135.md", "--yes")
    assert len(sends(sandbox)) == 1


@pytest.mark.postgres
def test_two_hosts_sending_at_once_send_once(tmp_path, sandbox):
    url = make_database_url("postgresql", tmp_path)
    hosts = []
    for name in ("host-a", "host-b"):
        folder = tmp_path / name
        firm_config(folder, f"\n[sandbox]\nport = {sandbox.port}\n")
        use_database(folder, url)
        (folder / "articles").mkdir()
        shutil.copy(SEED_ARTICLE, folder / "articles" / "issue-135.md")
        hosts.append(folder)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    processes = [subprocess.Popen([sys.executable, "-m", "wechat_pub", "send", "articles/issue-135.md", "--yes"],
                                  cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for folder in hosts]
    outputs = [process.communicate(timeout=180) for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    said = " ".join(out for out, _ in outputs)
    assert said.count("sent to all followers: msg_id") == 1 and "already sent" in said
    assert len(sends(sandbox)) == 1
