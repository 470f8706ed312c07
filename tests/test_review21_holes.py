"""Review 21: holes left by cc5ca16 (the query log's spools: a failing spool "logged once", lines checked in
spoollines._row, the drop counter per episode). Each test failed on the code as committed (cc5ca16); since the fix a failure is a flag
(said once until spools move again), not a set of paths, which the second test now reads."""

from __future__ import annotations

import logging
import os

from test_query_spool_lines import line

from conftest import stores_at


def sqlite_stores(tmp_path):
    return stores_at(f"sqlite:///{tmp_path / 'state.sqlite3'}")


def failing_rows_of(monkeypatch):
    """Every spool fails to move, not as an outage (a bug, or a database error that is not an outage: a grant
    revoked, a table missing on PostgreSQL, a malformed SQLite file)."""
    from wechat_pub.state import spoollines

    def rows_of(data):
        raise RuntimeError("a bug that stays")

    monkeypatch.setattr(spoollines, "rows_of", rows_of)


def errors_of(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "wechat_pub.state.querylog" and r.levelno >= logging.ERROR]


# ---- Medium: "logged once" is once per spool, and a worker makes a new spool at every move ---------------

def test_a_failure_that_lasts_is_logged_with_a_traceback_at_every_move(tmp_path, monkeypatch, caplog):
    """_failed logs a spool's failure once per *path*; but the worker's own spool is set aside under a new
    name at every move (_spool makes a fresh uuid file after each _set_aside), so a failure that lasts (any
    error that is not an outage) logs a full traceback every `delay` seconds from every worker, exactly as
    before the fix: the "logged once, then retried quietly" of the commit holds only for dead processes'
    spools."""
    from wechat_pub.state import querylog

    stores = sqlite_stores(tmp_path)
    spool = querylog.QuerySpool(lambda: stores.db, tmp_path / "query-log", delay=3600)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    failing_rows_of(monkeypatch)
    with caplog.at_level(logging.DEBUG, logger="wechat_pub.state.querylog"):
        for move in range(5):
            log.add(f"q{move}", 1, "f")
            spool._move_or_hand_over()
    assert len(errors_of(caplog)) == 1, [r.getMessage() for r in errors_of(caplog)]


def test_the_failing_set_keeps_every_spool_that_was_moved_elsewhere(tmp_path, monkeypatch):
    """A path leaves _failing only when *this* process moves it; a failing spool moved by the host's mover or
    another worker (or removed by the operator) is never in this process's ready list again, so its path stays
    for the life of the process. With a worker making a new spool every `delay` seconds (previous test), a
    failure lasting a day while the mover moves them leaves ~43,000 dead paths per worker: the set grows
    without bound, as the brief of the fix said it must not."""
    from wechat_pub.state import querylog, spoollines

    stores = sqlite_stores(tmp_path)
    folder = tmp_path / "query-log"
    spool = querylog.QuerySpool(lambda: stores.db, folder, delay=3600)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    real_rows_of = spoollines.rows_of
    failing_rows_of(monkeypatch)
    for move in range(5):
        log.add(f"q{move}", 1, "f")
        spool._move_or_hand_over()
    assert spool._failing  # (the failure is remembered)
    monkeypatch.setattr(spoollines, "rows_of", real_rows_of)
    querylog.QuerySpool(lambda: stores.db, folder, delay=3600).flush()  # the host's mover moves them all
    assert not list(folder.glob("*.moving"))
    log.add("after", 1, "f")
    spool._move_or_hand_over()
    assert not spool._failing, "the failure of spools long gone is kept"  # (a flag since the fix: nothing grows)


# ---- Medium: one entry of the folder that cannot be opened stops every move ------------------------------

def test_a_spool_that_cannot_be_opened_stops_the_whole_folder(tmp_path):
    """The commit says a spool that fails "is logged once, the others move". But a spool is opened (to take
    its lock) in _ready_spools, outside the per-spool try: a *.jsonl this user cannot open for writing (a dead
    process of another user, e.g. a webhook once run as root; here, as the tests run as root, a directory of
    that name) raises out of flush() before any spool is moved. Every worker's thread and the mover then log
    "flush failed" with a traceback every `delay` seconds, no query of the folder moves any more, and the
    spools pile up to SPOOL_LIMIT, after which every query is dropped."""
    from wechat_pub.state.querylog import QuerySpool

    stores = sqlite_stores(tmp_path)
    folder = tmp_path / "query-log"
    folder.mkdir()
    (folder / "a-host-1-aaaaaa.jsonl").write_bytes(line("a0", "good a"))
    if os.getuid() == 0:
        (folder / "m-host-3-mmmmmm.jsonl").mkdir()
    else:
        unopenable = folder / "m-host-3-mmmmmm.jsonl"
        unopenable.write_bytes(line("m0", "not ours"))
        unopenable.chmod(0o444)
    (folder / "z-host-2-zzzzzz.jsonl").write_bytes(line("z0", "good z"))

    try:
        QuerySpool(lambda: stores.db, folder, delay=3600).flush()
    except OSError:
        pass
    assert sorted(query for _, query, _, _ in stores.query_log().entries()) == ["good a", "good z"]


# ---- Low: a line whose id repeats with other content is lost, not set aside ------------------------------

def test_a_line_repeating_an_id_with_other_content_is_set_aside_not_lost(tmp_path):
    """rows_of keeps the first line of an entry id and silently drops any later one, whatever it holds. An
    identical line repeated is the same query (rightly moved once); a line with the same id and another query,
    time or follower is not: it is neither moved nor kept in *.rejected, so the operator never learns of it,
    against the module's promise ("never moved and never lost"). A hostile or corrupt line can so also hide a
    real query that follows it in the spool."""
    from wechat_pub.state.querylog import QuerySpool

    stores = sqlite_stores(tmp_path)
    folder = tmp_path / "query-log"
    folder.mkdir()
    (folder / "a-host-1-aaaaaa.jsonl").write_bytes(line("a0", "first") + line("a0", "second"))
    QuerySpool(lambda: stores.db, folder, delay=3600).flush()

    rejected = folder / "a-host-1-aaaaaa.rejected"
    kept = [query for _, query, _, _ in stores.query_log().entries()]
    assert kept == ["first"]
    assert rejected.exists() and b"second" in rejected.read_bytes(), "the second line vanished"


# ---- Low: drop episodes at the limit log an ERROR and a WARNING per query --------------------------------

def test_queries_of_mixed_length_at_the_limit_log_an_error_per_query(tmp_path, monkeypatch, caplog):
    """The drop is now logged once per *episode* (_dropping reset by the next append that fits). With the
    folder at SPOOL_LIMIT (sustained load the mover cannot keep up with, or the end of an outage) the room left
    takes a short query but not a long one, so every long query opens an episode (ERROR "holds 64 MiB ...
    not logged") and the next short one closes it (WARNING "logging again"): two log lines per query, from
    every worker, for as long as the folder stays full; before the commit it was one line per process."""
    from wechat_pub.state import querylog

    limit = 10_000
    monkeypatch.setattr(querylog, "SPOOL_LIMIT", limit)
    stores = sqlite_stores(tmp_path)
    spool = querylog.QuerySpool(lambda: stores.db, tmp_path / "query-log", delay=3600)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    spool._backlog = limit - 1_000  # (the other workers' spools: room for about 1 KB)
    with caplog.at_level(logging.WARNING, logger="wechat_pub.state.querylog"):
        for n in range(5):
            log.add("长" * 500, 1, "f")  # (1.5 KB: does not fit)
            log.add(f"hi {n}", 1, "f")  # (fits)
    assert len(errors_of(caplog)) <= 1, f"{len(errors_of(caplog))} errors for 5 dropped queries"


# ---- Low: a time before 1970 passes _row, and the summaries store another time ---------------------------

def test_a_time_before_1970_is_set_aside_or_stored_as_it_is(tmp_path):
    """_row takes any |at| < 1e11, negatives too, but the summaries assume at > 0 (day_of: "at is never before
    1970"; 0 means "never" in query_askers): summarise starts each follower's last time at 0.0 and takes the
    max, so a query at -1e10 is counted in query_days (day -115740) while query_askers stores last_at 0.0
    and query_follower_days nothing; on PostgreSQL the day arithmetic of reads and of migration 0007 (FLOOR)
    also differs from day_of's truncation for such times. Either the line is not a query (set aside) or it
    must be stored as written."""
    from wechat_pub.state.querylog import QuerySpool

    stores = sqlite_stores(tmp_path)
    folder = tmp_path / "query-log"
    folder.mkdir()
    (folder / "a-host-1-aaaaaa.jsonl").write_bytes(line("a0", "old", at=-1e10))
    QuerySpool(lambda: stores.db, folder, delay=3600).flush()

    if (folder / "a-host-1-aaaaaa.rejected").exists():
        return
    with stores.db.connect() as conn:
        last = conn.exec_driver_sql("SELECT last_at FROM query_askers WHERE query = 'old'").scalar()
        follower_days = conn.exec_driver_sql("SELECT COUNT(*) FROM query_follower_days").scalar()
    assert (last, follower_days) == (-1e10, 1)
