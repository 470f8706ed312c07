"""An idle service stays idle (issue 27): a sync that finds nothing changed reads no article and no issue row,
and a single changed file is still picked up by the service's next sync (bench/idle.py measures the CPU of
2,000 issues over five minutes). The leader's sync also prunes the query log to its retention."""

from __future__ import annotations

import threading
import time

import pytest
from test_scheduler import SCHEDULE, Running

from conftest import FakeClock, open_site, state_url, stores_at, use_database
from wechat_pub.source.files import hash_text
from wechat_pub.source.writer import write_article
from wechat_pub.state.issues import IssueStore
from wechat_pub.state.querylog import QueryLog, QuerySpool
from wechat_pub.synthetic import IssueFactory


def write_issues(articles, count: int) -> None:
    articles.mkdir(exist_ok=True)
    for number in range(1, count + 1):
        (articles / f"issue-{number:03d}.md").write_text(write_article(IssueFactory(number).issue(number=number)),
                                                         encoding="utf-8")


def change(path) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace("Weekly Data Protection Review", "Weekly (changed)", 1),
                    encoding="utf-8")


def test_an_idle_sync_reads_no_article_and_no_row(firm_dir, database_url, monkeypatch):
    """Nothing changed: the sync stats the files and asks the database one aggregate, and stops. One file
    changed: the next sync sends exactly that one."""
    use_database(firm_dir, database_url)
    write_issues(firm_dir / "articles", 20)
    library = open_site(firm_dir).library
    assert len(library.sync().imported) == 20
    assert not library.sync().changed  # the sync after a change reads once more (what was saved during it)

    def refused(*_args, **_kwargs):
        raise AssertionError("an idle sync read the articles or the issues' rows")

    with monkeypatch.context() as patched:
        patched.setattr(library.folder, "read", refused)
        patched.setattr(library.store, "all", refused)
        assert not library.sync().changed
    change(firm_dir / "articles" / "issue-007.md")
    report = library.sync()
    assert report.imported == ["issue-007.md"] and not report.written


@pytest.fixture
def site(sandbox_dir, database_url):
    use_database(sandbox_dir, database_url)
    write_issues(sandbox_dir / "articles", 5)
    with open(sandbox_dir / "config.toml", "a", encoding="utf-8") as handle:
        handle.write(SCHEDULE.format(grace=6))  # syncs every 0.2 s
    return sandbox_dir


def test_the_service_picks_up_a_changed_file_at_its_next_sync(site, tmp_path):
    """A file changed while the service idles is in the database after the first sync that starts after the
    change (so within one sync interval); the leader prunes queries older than the retention (its prune job)."""
    stores = stores_at(state_url(site))
    spool = QuerySpool(lambda: stores.db, tmp_path, delay=0)
    QueryLog(stores.db, "wx_sandbox", spool, FakeClock(start=1_000_000_000.0).clock).add("long ago", 1, "f")  # 2001
    running = Running(site)
    try:
        running.wait_for("leader")
        library = running.deployment.site().library
        syncs, picked, counting = [], threading.Event(), threading.Event()
        real_sync = library.sync

        def counted(*args, **kwargs):
            syncs.append("started")
            report = real_sync(*args, **kwargs)
            if "issue-003.md" in report.imported:
                syncs.append("picked up")
                picked.set()
            counting.set()
            return report

        library.sync = counted
        # Once a counted sync has ended, none started before the patch runs (the job runs one at a time): such a
        # sync could read the folder after the change and pick it up uncounted (CI, 2026-12-06, under load).
        assert counting.wait(30)
        path = site / "articles" / "issue-003.md"
        change(path)
        changed_at = len(syncs)
        issues, wanted = IssueStore(stores.db, "wx_sandbox"), hash_text(path.read_text(encoding="utf-8"))
        deadline = time.monotonic() + 30
        while issues.get(3).text_hash != wanted and time.monotonic() < deadline:
            threading.Event().wait(0.1)
        assert issues.get(3).text_hash == wanted, syncs[changed_at:]
        # by the sync running when the file changed, or else by the next one to start (unless the search index's
        # first making, `wechat-pub index` in a process of its own, synced the folder first: slow to start under
        # load, it may read it after the change)
        assert not picked.is_set() or syncs[changed_at:].index("picked up") <= 1, syncs[changed_at:]
        # the prune is a job of its own beside the sync (every sync interval): it may come just after the pick-up
        deadline = time.monotonic() + 30
        while stores.query_log().entries() and time.monotonic() < deadline:
            threading.Event().wait(0.1)
        assert stores.query_log().entries() == []
    finally:
        running.stop()
