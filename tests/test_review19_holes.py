"""Review 19: holes found in f368fd8 (search: phrases AND-ed counted from each phrase's items) and 4c72157 (the
host's mover of the query log). Each test fails on the code as committed."""

from __future__ import annotations

import fcntl as real_fcntl
import shutil
import types
from pathlib import Path

from conftest import open_site, stores_at


def sqlite_stores(tmp_path: Path):
    (tmp_path / "db").mkdir(exist_ok=True)
    return stores_at(f"sqlite:///{tmp_path / 'db' / 'state.sqlite3'}")


def logged(stores) -> list[str]:
    return sorted(query for _, query, _, _ in stores.query_log().entries())


def attempt(call):
    """``call()``, its exception swallowed (as the spool's thread and close() do: logged, then go on)."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001
        return exc


# ---- 4c72157: _set_aside renames before it closes -------------------------------------------------------


def test_a_spool_whose_folder_was_removed_is_not_written_into_the_void_forever(tmp_path):
    """The folder of the spools removed (an operator's clean-up, a tmpfs): _set_aside's os.replace now runs
    before os.close, so when it raises the worker keeps its fd to the unlinked file and every later query is
    appended there and lost, every move raising again, until the process restarts. Before 4c72157 the fd was
    closed first and the next query opened a new spool."""
    from wechat_pub.state.querylog import QueryLog, QuerySpool

    stores = sqlite_stores(tmp_path)
    folder = tmp_path / "query-log"
    spool = QuerySpool(lambda: stores.db, folder, delay=3600)
    log = QueryLog(stores.db, "wx_sandbox", spool)
    log.add("before", 1, "f")
    shutil.rmtree(folder)  # (what was in it is gone: not the point here)
    attempt(spool.flush)
    log.add("after 1", 1, "f")
    log.add("after 2", 1, "f")
    attempt(spool.flush)
    attempt(spool.flush)
    assert logged(stores) == ["after 1", "after 2"]


def test_a_new_spool_taken_by_another_mover_before_it_is_locked_loses_nothing(tmp_path, monkeypatch):
    """_spool() creates the file, then locks it: in between, a mover (or any flushing worker) globs the new
    *.jsonl, finds its lock free, moves its 0 rows and unlinks it. The worker then appends to an unlinked file.
    Under load a worker makes a new spool every move and the mover flushes every move, so this window is now
    hit far more often; and since _set_aside renames before closing, the worker never leaves that file."""
    from wechat_pub.state import querylog
    from wechat_pub.state.querylog import QueryLog, QuerySpool

    stores = sqlite_stores(tmp_path)
    folder = tmp_path / "query-log"
    worker = QuerySpool(lambda: stores.db, folder, delay=3600)
    mover = QuerySpool(lambda: stores.db, folder, delay=3600)  # the host's mover, flushing meanwhile
    raced = []

    def flock(fd, flags):
        if flags == real_fcntl.LOCK_EX and not raced:  # the worker locking the spool it just created
            raced.append(mover.flush())
        return real_fcntl.flock(fd, flags)

    monkeypatch.setattr(querylog, "fcntl", types.SimpleNamespace(LOCK_EX=real_fcntl.LOCK_EX,
                                                                 LOCK_NB=real_fcntl.LOCK_NB, flock=flock))
    log = QueryLog(stores.db, "wx_sandbox", worker)
    log.add("q0", 1, "f")
    assert raced == [0]
    attempt(worker.flush)
    log.add("q1", 1, "f")
    attempt(worker.flush)
    attempt(mover.flush)
    assert logged(stores) == ["q0", "q1"]


# ---- 4c72157: the mover's lock probe --------------------------------------------------------------------


def test_a_mover_lock_that_cannot_be_opened_does_not_stop_the_query_log(tmp_path):
    """querymover.running() catches only BlockingIOError and FileNotFoundError: a mover.lock the worker cannot
    open (another user's 0600 file, left by a run as root; here a directory, as root ignores modes) raises from
    takes() on every move and from close(): the worker neither sets aside nor moves its spool, ever (its spool
    fills up to SPOOL_LIMIT and then queries are dropped), and nothing is written at exit."""
    from wechat_pub.state.querylog import QueryLog, QuerySpool
    from wechat_pub.state.querymover import LOCK_NAME, QueryMover

    stores = sqlite_stores(tmp_path)
    folder = tmp_path / "query-log"
    (folder / LOCK_NAME).mkdir(parents=True)
    spool = QuerySpool(lambda: stores.db, folder, delay=3600,
                       mover=QueryMover(folder, ["/bin/false"], busy_rows=1000))
    log = QueryLog(stores.db, "wx_sandbox", spool)
    log.add("q0", 1, "f")  # (a light load: the worker moves it itself)
    attempt(spool._move_or_hand_over)
    log.add("q1", 1, "f")
    spool.close()  # at exit: what is left is moved
    assert logged(stores) == ["q0", "q1"]


# ---- 4c72157: what the spawn runs -----------------------------------------------------------------------


def test_the_mover_spawned_runs_the_installed_code_not_a_package_planted_in_the_working_folder(firm_dir):
    """`python -m wechat_pub` puts the working folder first on sys.path: a `wechat_pub` package (or a module
    it imports: click.py, sqlalchemy.py...) planted there by whoever can write to it (the site folder, where
    ./config.toml is looked for) is what the worker starts, as the webhook's user. The same holds for
    index_elsewhere (bot/visibility.py)."""
    site = open_site(firm_dir)
    mover = site.services.query_spool.mover
    mover.command += ["--idle-exit", "1"]  # (the real mover ends a second after it has nothing to move)
    marker = firm_dir / "planted-code-ran"
    planted = firm_dir / "wechat_pub"
    planted.mkdir()
    (planted / "__init__.py").write_text("")
    (planted / "__main__.py").write_text(f"open({str(marker)!r}, 'w').write('pwned')\n")
    try:
        assert mover.takes(mover.busy_rows)
        mover._process.wait(30)
        assert not marker.exists(), "the spawn ran the planted package"
    finally:
        if mover._process is not None and mover._process.poll() is None:
            mover._process.kill()
            mover._process.wait(10)
        site.services.query_spool.close()


# ---- f368fd8: item ids of two versions of the index intersected ----------------------------------------


def test_phrases_anded_across_an_index_update_are_not_counted_from_two_versions_at_once(tmp_path):
    """A phrase's items are kept in the memo of the version a thread last looked at (up to VERSION_EVERY old),
    while the other phrase's are read from the index of now: the intersection is of two versions, an answer
    neither gives (here: 1 match where both say none, so the follower is told of a match and shown no item).
    Before f368fd8 the whole expression was asked of one version."""
    import sqlite3

    from test_search import IssueFactory

    from conftest import FakeClock
    from wechat_pub.bot.index import build_index
    from wechat_pub.bot.search import Archive

    path = tmp_path / "i.sqlite3"
    build_index(path, [IssueFactory(n).issue(number=n, sections=2, items_per_section=4) for n in (1, 2)])
    a, b = (rowid for rowid, in sqlite3.connect(path).execute("SELECT rowid FROM items_fts ORDER BY rowid LIMIT 2"))

    def write(texts: dict[int, str]) -> None:
        with sqlite3.connect(path) as db:
            for rowid, text in texts.items():
                db.execute("UPDATE items_fts SET body_en = ? WHERE rowid = ?", (text, rowid))

    write({a: "zorblax", b: "quuxle"})  # the index before the update: never together
    archive = Archive(None, path, clock=FakeClock())
    archive.version()
    assert archive.search("zorblax").total == 1  # (its items kept for this version)
    write({a: "quuxle", b: "zorblax"})  # the update (in place, as IndexUpdate does): never together either
    assert archive._matcher.counter.count_now('"zorblax" AND "quuxle"') == 0
    result = archive.search("zorblax quuxle")  # within VERSION_EVERY of the update
    assert (result.total, result.hits) == (0, [])
