"""Review 20: holes left by 5d94bd3 (the query log's spools as hostile input, the folder-wide limit) and one
older race in the search cache that 929210e kept. Each test failed on the code as committed (d6585dd); since the
fix a spool that fails is logged and the others move (flush no longer raises), which the tests now expect."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from test_query_spool_lines import an_outage_filling, fail_the_stuck_spools, line, queries_in

from conftest import make_database_url, stores_at


def two_dead_spools(folder, bad: bytes) -> None:
    """A dead process's spool with a good line then ``bad``; another one (later by name) with a good line."""
    folder.mkdir()
    (folder / "a-host-1-aaaaaa.jsonl").write_bytes(line("a0", "good a") + bad)
    (folder / "b-host-2-bbbbbb.jsonl").write_bytes(line("b0", "good b"))


def assert_bad_line_set_aside(stores, folder) -> None:
    """A move of the two spools: both good lines in the database, the bad one set aside, nothing left but it."""
    from wechat_pub.state.querylog import QuerySpool

    QuerySpool(lambda: stores.db, folder, delay=3600).flush()
    assert queries_in(stores) == ["good a", "good b"]
    assert sorted(path.name for path in folder.iterdir()) == ["a-host-1-aaaaaa.rejected"]


# ---- High: a line PostgreSQL cannot index is taken for an outage -----------------------------------------

def test_a_long_query_in_a_spool_is_taken_for_an_outage_and_holds_up_every_later_spool(tmp_path):
    """A line whose query is a few KB passes _row (a str), but PostgreSQL refuses it in the summaries' primary
    keys ("index row size exceeds btree maximum", SQLSTATE 54000), which psycopg raises as an OperationalError:
    is_outage() says "the database is away", flush() breaks, and this spool and every spool sorted after it stay
    on disk forever, while the log says the database is away. Their bytes count towards SPOOL_LIMIT, so once it
    fills, every worker drops every query: the very "one bad line stops every move of the folder" the commit
    meant to end."""
    from wechat_pub.state.querylog import QuerySpool

    stores = stores_at(make_database_url("postgresql", tmp_path))
    long_query = "".join(chr(0x4E00 + (n * 7919) % 20000) for n in range(3000))  # (9 KB, not compressible)
    folder = tmp_path / "query-log"
    two_dead_spools(folder, line("a1", long_query))
    spool = QuerySpool(lambda: stores.db, folder, delay=3600)

    try:
        spool.flush()
    except Exception:  # (a failure raised after the others moved would be fine)
        pass
    assert "good b" in queries_in(stores), "a later spool is held up by a line the database refuses"
    assert "good a" in queries_in(stores), "the good line beside the bad one never moves"


# ---- Medium: lines the database refuses stick their whole spool --------------------------------------------

REFUSED = [
    pytest.param("sqlite", b'["s1","wx_sandbox",1800000000.5,"\\ud800",1,"f"]\n', id="lone-surrogate-sqlite"),
    pytest.param("postgresql", b'["s1","wx_sandbox",1800000000.5,"\\ud800",1,"f"]\n', id="lone-surrogate-pg",
                 marks=pytest.mark.postgres),
    pytest.param("postgresql", line("n1", "a\u0000b"), id="nul-pg", marks=pytest.mark.postgres),
    pytest.param("postgresql", line("x" * 41, "id past String(40)"), id="long-entry-id-pg",
                 marks=pytest.mark.postgres),
    pytest.param("postgresql", line("lf", "follower past String(64)", follower="f" * 65), id="long-follower-pg",
                 marks=pytest.mark.postgres),
]


@pytest.mark.parametrize("kind, bad", REFUSED)
def test_a_line_the_database_refuses_keeps_its_whole_spool_on_disk_forever(tmp_path, kind, bad):
    """_row's docstring says each field is checked "so no line the database would refuse stops the batch it is
    in", and the README that such a line "is set aside ... and the rest is written". But a lone surrogate
    (UnicodeEncodeError, both databases), a NUL (psycopg DataError), or an id / follower longer than its
    VARCHAR (StringDataRightTruncation) passes _row; the insert fails, not as an outage, so the whole spool
    (thousands of good queries) stays on disk, is read and retried every `delay` seconds by every worker and the
    mover forever (a traceback in the log each time), and counts towards SPOOL_LIMIT for good."""
    stores = stores_at(make_database_url(kind, tmp_path))
    folder = tmp_path / "query-log"
    two_dead_spools(folder, bad)
    assert_bad_line_set_aside(stores, folder)


def test_a_deeply_nested_line_keeps_its_whole_spool_on_disk_forever(tmp_path):
    """_row catches ValueError, TypeError and KeyError, but json.loads of a line of 100,000 '[' raises
    RecursionError: _rows_of raises, and the whole spool (its good lines too) never moves; it is read and parsed
    again every `delay` seconds forever. A spool line is a file on disk: it must not be able to stop its spool."""
    stores = stores_at(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    folder = tmp_path / "query-log"
    two_dead_spools(folder, b"[" * 100_000 + b"\n")
    assert_bad_line_set_aside(stores, folder)


# ---- Medium: a failing spool freezes the folder's backlog: the worker drops every query ------------------

def test_after_an_outage_one_failing_spool_leaves_the_worker_dropping_every_query(tmp_path, monkeypatch):
    """_move_or_hand_over recounts _backlog only after flush() returns; flush() now raises after moving the
    others when one spool fails for a reason other than an outage. After an outage that filled the folder up to
    SPOOL_LIMIT, the database comes back, every spool but one moves, the folder is nearly empty, yet _backlog
    keeps the count from the outage: this worker drops (never logs) every query for as long as that one spool
    fails, i.e. until a restart, with a single log line from the outage."""
    from wechat_pub.state import querylog

    stores = stores_at(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    folder = tmp_path / "query-log"
    spool, outage = an_outage_filling(folder, stores, monkeypatch, 20_000)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    assert spool.dropped > 0
    (folder / "dead-host-1-cccccc.jsonl").write_bytes(line("c0", "stuck"))  # (a small spool that fails)
    fail_the_stuck_spools(monkeypatch)
    outage["away"] = False
    spool._move_or_hand_over()  # (the failing spool is logged; the others move)
    on_disk = sum(path.stat().st_size for path in folder.iterdir())
    assert on_disk < 1000  # everything but the one small spool moved
    dropped = spool.dropped
    for n in range(10):
        log.add(f"after {n}", 1, "f")
    assert spool.dropped == dropped, "queries dropped with an empty folder and the database back"


# ---- Low: the mover's count is lost when one spool fails ---------------------------------------------------

def test_the_mover_counts_what_it_moved_when_one_spool_fails(tmp_path, monkeypatch):
    """flush() moves the others and then raises; querymover.run() catches it and counts 0 for the round, so a
    mover that moves thousands of queries a round beside one failing spool believes it is idle, ends after
    IDLE_EXIT and is started again by the workers (a new process and its imports every half minute under load),
    and returns a wrong total."""
    from wechat_pub.state import querylog, querymover

    stores = stores_at(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    folder = tmp_path / "query-log"
    folder.mkdir()
    (folder / "a-host-1-aaaaaa.jsonl").write_bytes(line("a0", "stuck"))
    (folder / "b-host-2-bbbbbb.jsonl").write_bytes(line("b0", "moves"))
    fail_the_stuck_spools(monkeypatch)
    spool = querylog.QuerySpool(lambda: stores.db, folder, delay=0.01)
    assert querymover.run(spool, idle_exit=0) == 1


# ---- Low: a hostile spool's duplicate lines are counted twice in the summaries ----------------------------

def test_a_line_repeated_in_a_spool_is_logged_once_but_counted_twice(tmp_path):
    """_not_written asks the database which ids are already written, but not whether the batch repeats an id:
    a line repeated in a spool (a hand edit, a spool concatenated or restored twice) is inserted once (ON
    CONFLICT DO NOTHING) and summarised twice, so `wechat-pub queries` and the followers page count a query the
    log holds once. (Older than 5d94bd3, which now decides in _row which lines to trust.)"""
    from wechat_pub.state.querylog import QuerySpool

    stores = stores_at(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    folder = tmp_path / "query-log"
    folder.mkdir()
    (folder / "a-host-1-aaaaaa.jsonl").write_bytes(line("a0", "twice", at=1_700_000_000.5) * 2)
    QuerySpool(lambda: stores.db, folder, delay=3600).flush()

    assert [query for _, query, _, _ in stores.query_log().entries()] == ["twice"]
    per_day = stores.query_log().per_day(0, zoneinfo.ZoneInfo("UTC"))
    assert per_day == {dt.date(2023, 11, 14): 1}, per_day  # (the chart: from query_quarters; query_days too)


# ---- Low: a search made from the old index is kept as the new index's -------------------------------------

def test_a_search_made_while_the_index_changes_is_not_kept_for_the_new_index(tmp_path, monkeypatch):
    """Archive.search checks the index version before searching but not when it stores the result: a search
    that began on the old index and ends after another request thread reset the cache for the new one is stored
    in the new one's cache, and served for the whole life of that index (FIFO: until 'pushed out'), e.g. without
    the issue just published. (Older than 929210e, which kept the same two-step locking.)"""
    archive = seed_archive(tmp_path)
    versions = {"now": 1}
    monkeypatch.setattr(archive, "version", lambda: versions["now"])
    real_search = archive._search
    made = []

    def search(terms, limit):
        made.append((tuple(terms), versions["now"]))
        result = real_search(terms, limit)  # (made from the index of then)
        if len(made) == 1:
            versions["now"] = 2  # an update commits meanwhile; another request thread asks under it
            archive.search("隐私")
        return result

    monkeypatch.setattr(archive, "_search", search)
    archive.search("苹果")
    archive.search("苹果")
    assert [version for terms, version in made if "苹果" in "".join(terms)] == [1, 2], made


def seed_archive(tmp_path):
    """The search tests' archive: the seed issue, read straight from a folder."""
    import shutil

    from conftest import SEED_ARTICLE
    from wechat_pub.bot.index import entries_of
    from wechat_pub.bot.search import Archive
    from wechat_pub.source.folder import ArticleFolder

    (tmp_path / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, tmp_path / "articles")
    folder = ArticleFolder(tmp_path / "articles")
    return Archive(lambda offer: (folder.signature(), entries_of(folder.read().issues)),
                   tmp_path / "state" / "search.sqlite3", check_every=0)
