"""Reads of tables that grow with the years go through an index (issue 27: a year's scale): on SQLite and
PostgreSQL, what the database would do for the statements our code runs, asked of the database itself. A
table of a few test rows is read whole as fast as through an index, so only the plan can show it (PostgreSQL is
told to take a whole table only when nothing else can answer).

Found by running the suite with every SQLite statement traced and asking SQLite how it runs each: these were
the statements of the webhook's processes and of the console's pages that read a whole growing table."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, insert

from conftest import stores_at
from wechat_pub.state.audit import AuditLog
from wechat_pub.state.pushes import PushLedger
from wechat_pub.state.querybatch import WRITTEN
from wechat_pub.state.querysummary import ASKED_BEFORE, QuerySummary
from wechat_pub.state.schema import audit, history, queries, query_askers

APPID = "wx_sandbox"


def plan_of(db, sql: str, params) -> str:
    """How the database would run ``sql`` (in the driver's own placeholders) with ``params``."""
    conn = db.raw_connection()
    try:
        cursor = conn.cursor()
        if db.dialect == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        return plan
    finally:
        conn.release()


def filled(db):
    """``db`` with a few hundred rows in each table looked at, and PostgreSQL's statistics of them (on empty
    tables without statistics its choice among indexes says nothing)."""
    with db.begin() as conn:
        conn.execute(insert(queries), [dict(entry_id=f"e{n}", appid=APPID, at=n, query=f"q{n % 40}", matches=n % 3,
                                            follower=f"f{n % 70}") for n in range(600)])
        conn.execute(insert(query_askers), [dict(appid=APPID, query=f"q{n % 40}", follower=f"f{n}", last_at=n,
                                                 last_unanswered_at=0) for n in range(600)])
        conn.execute(insert(history), [dict(appid=APPID, issue=n % 60, at=n, event="pushed", detail="")
                                       for n in range(600)])
        conn.execute(insert(audit), [dict(at=n, user="editor", appid=APPID, action="save", issue=n % 60, detail="")
                                     for n in range(600)])
    if db.dialect == "postgresql":
        with db.begin() as conn:
            conn.exec_driver_sql("ANALYZE queries, query_askers, history, audit")
    return db


def assert_no_whole_table(plan: str, table: str) -> None:
    assert f"SCAN {table}" not in plan, plan  # SQLite: every row of the table read
    assert "Seq Scan" not in plan, plan  # PostgreSQL: the same
    assert "Filter:" not in plan, plan  # PostgreSQL: rows read through an index, most of them then dropped


@contextmanager
def statements_run(db):
    """The statements (and their parameters) run through ``db``'s engine within the block."""
    seen: list[tuple[str, object]] = []

    def before(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def test_moving_a_batch_of_queries_looks_up_its_rows_by_index(database_url):
    """Each batch moved into the query log asks which of its entries are there already, and each follower's last
    time of each query. Both read whole tables before (SQLite both, PostgreSQL the first: the entries' unique
    index is partial, and a query that does not repeat its condition may not use it): at a year's scale,
    millions of rows at every batch, in the webhook's processes (a 2,000-row batch over a million logged
    queries: 1.2 s, now 0.16 s)."""
    db = filled(stores_at(database_url).db)
    # A batch looks 500 entries up at a time (PostgreSQL reasons about a list of 100 or fewer, and for those it
    # used the partial index before too)
    entries = [f"e{n}" for n in range(0, 1000, 2)]
    written = db.driver_sql(WRITTEN.format(", ".join("?" * len(entries))))
    assert_no_whole_table(plan_of(db, written, entries), "queries")
    asked = db.driver_sql(ASKED_BEFORE.format(", ".join(["(?, ?, ?)"] * 2)))
    assert_no_whole_table(plan_of(db, asked, [APPID, "GDPR", "f1", APPID, "苹果", "f2"]), "query_askers")


def test_the_issue_page_reads_its_own_pushes_and_actions_by_index(database_url):
    """The issue page shows the issue's push history and what the console did to it: it read every push of every
    issue and every action since the console was installed (migration 0009 adds their indexes)."""
    db = filled(stores_at(database_url).db)
    with statements_run(db) as seen:
        PushLedger(db, APPID).history(135)
        AuditLog(db).recent(100, APPID, 135)
    reads = [(sql, params) for sql, params in seen if sql.lstrip().upper().startswith("SELECT")]
    assert [table for table in ("history", "audit") if any(f"FROM {table}" in sql for sql, _ in reads)] == \
        ["history", "audit"]
    for sql, params in reads:
        assert_no_whole_table(plan_of(db, sql, params), "history" if "FROM history" in sql else "audit")


def test_the_followers_of_a_periods_first_day_are_read_by_index(database_url):
    """The followers page counts who asked each top query since the period's start: the first, partial day from
    that day's queries (by time) and each of their askers' last time (by its key). The followers' last times
    have no index by query any more (migration 0010: every query moved into the log updated two), so this read
    must not take either table whole."""
    db = filled(stores_at(database_url).db)
    with statements_run(db) as seen:
        summary = QuerySummary(db, APPID)
        summary.tops(20, 100.5)
    reads = [(sql, params) for sql, params in seen if "query_askers" in sql]
    assert reads, seen
    for sql, params in reads:
        plan = plan_of(db, sql, params)
        for table in ("queries", "query_askers"):
            assert f"SCAN {table}" not in plan, plan  # SQLite: every row (or index entry) of the table read
        assert "Seq Scan" not in plan, plan  # PostgreSQL: the same
        if db.dialect == "postgresql":
            assert "ix_queries_appid_at" in plan and "query_askers_pkey" in plan, plan
