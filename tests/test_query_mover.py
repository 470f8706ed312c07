"""The host's mover of followers' queries (issue 27): under load the webhook's workers set their spools aside and
one process of the lowest priority moves them into the database; under a light load, when it cannot start, or
when its backlog grows too large, the workers move them themselves. Nothing is lost or written twice."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from conftest import open_site, until, use_database
from wechat_pub.state import querymover


def mover_pids(config: Path) -> list[int]:
    """The `wechat-pub move-queries` processes of the config ``config``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"move-queries" in command and str(config).encode() in command:
            found.append(int(pid))
    return found


@pytest.fixture
def site(firm_dir, database_url):
    use_database(firm_dir, database_url)
    site = open_site(firm_dir)
    spool = site.services.query_spool
    spool.delay = 0.2  # (a move every 0.2 s; the mover ends 2 s after its last)
    spool.mover.busy_rows = 5
    spool.mover.command = [*spool.mover.command, "--idle-exit", "2"]
    yield site
    spool.close()


def logged(site) -> list[str]:
    return sorted(query for _, query, _, _ in site.query_log.entries())


def test_under_load_the_hosts_mover_moves_the_queries_at_the_lowest_priority(site, firm_dir):
    spool = site.services.query_spool
    for n in range(20):
        site.query_log.add(f"问题 {n}", n % 2, f"follower {n}")
    pids = until(lambda: mover_pids(firm_dir / "config.toml"))
    # (its priority is set by the worker right after the spawn: a look in between sees it at 0 for a moment)
    assert until(lambda: os.getpriority(os.PRIO_PROCESS, pids[0]) == 19, timeout=5)
    assert until(lambda: logged(site) == sorted(f"问题 {n}" for n in range(20)))
    assert spool.written == 0  # (the worker moved none of them itself)
    assert [count for _q, count, _f in site.query_log.top(limit=1)] == [1]  # the summaries are kept as well
    for n in range(20, 30):  # a second burst, to the same mover
        site.query_log.add(f"问题 {n}", 1, "f")
    assert until(lambda: len(logged(site)) == 30) and spool.written == 0
    until(lambda: not mover_pids(firm_dir / "config.toml"), timeout=20)  # it ends when there is nothing left
    assert not querymover.running(spool.folder) and len(logged(site)) == 30


def test_under_a_light_load_the_worker_moves_its_queries_itself(site, firm_dir):
    spool = site.services.query_spool
    for n in range(3):
        site.query_log.add(f"q{n}", 1, "f")
    assert until(lambda: len(logged(site)) == 3 and spool.written == 3)  # (counted after the commit)
    assert spool.written == 3 and not mover_pids(firm_dir / "config.toml")


def test_a_mover_that_cannot_start_leaves_the_moving_to_the_worker(site, firm_dir, caplog):
    spool = site.services.query_spool
    spool.mover.command = [str(firm_dir / "no-such-program")]
    spool.mover.busy_rows = 1  # (a loaded machine may split the ten queries over moves of fewer than 5)
    with caplog.at_level(logging.WARNING, "wechat_pub.state.querymover"):
        for n in range(10):
            site.query_log.add(f"q{n}", 1, "f")
        assert until(lambda: len(logged(site)) == 10 and spool.written == 10)  # (counted after the commit)
    assert spool.written == 10 and "did not start" in caplog.text


def test_a_backlog_too_large_for_the_mover_is_moved_by_the_worker(site, firm_dir):
    """A load that does not fall: past the backlog's limit the workers help, as before the mover."""
    spool = site.services.query_spool
    spool.mover.backlog_limit = 10
    aside = spool.folder / "otherhost-1-abcdef.moving"  # set aside by another worker, not moved yet
    spool.folder.mkdir(parents=True, exist_ok=True)
    aside.write_text('["e1","wx_sandbox",1800000000.0,"积压",0,"f"]\n', encoding="utf-8")
    for n in range(10):
        site.query_log.add(f"q{n}", 1, "f")
    assert until(lambda: len(logged(site)) == 11 and spool.written == 11)  # (counted after the commit)
    assert spool.written == 11 and not mover_pids(firm_dir / "config.toml") and not aside.exists()


def test_a_worker_stopping_while_the_mover_runs_leaves_its_queries_to_it(site, firm_dir):
    spool = site.services.query_spool
    spool.mover.command += ["--idle-exit", "10"]  # (still there when the worker stops)
    for n in range(10):
        site.query_log.add(f"q{n}", 1, "f")
    until(lambda: mover_pids(firm_dir / "config.toml"))
    until(lambda: len(logged(site)) == 10)
    spool.delay = 3600  # (no more moves of its own: what it logs now is left when it stops)
    spool._wake.set()
    site.query_log.add("last", 1, "f")
    spool.close()
    assert until(lambda: "last" in logged(site)) and spool.written == 0
