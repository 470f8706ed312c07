"""Rows of the query log's spools written into the database (:mod:`wechat_pub.state.querylog` reads them off the
disk): one transaction that holds the log's write lock, batches of plain ``executemany`` (thousands of rows a
second come in at full load), each row once however many times its spool is moved, and the summaries kept in
step (:mod:`wechat_pub.state.querysummary`)."""

from __future__ import annotations

from wechat_pub.state.database import StateDatabase
from wechat_pub.state.querysummary import summarise

BATCH = 2000  # rows per insert
QUERY_LOG_LOCK = 0x77717A6C  # PostgreSQL advisory lock of the query log's writers ("wqzl")
_INSERT = ("INSERT INTO queries (entry_id, appid, at, query, matches, follower) VALUES (?, ?, ?, ?, ?, ?) "
           "ON CONFLICT DO NOTHING")


def write_rows(db: StateDatabase, rows: list[tuple]) -> None:
    """``rows`` (entry id, appid, at, query, matches, follower) into the log and its summaries, in one
    transaction (an outage's error is raised: the caller keeps the spool)."""
    conn = db.raw_connection()
    try:
        cursor = conn.cursor()
        _begin_writing(cursor, db.dialect)
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            new = _not_written(cursor, db.driver_sql, batch)  # a spool moved again after a crash: once
            cursor.executemany(db.driver_sql(_INSERT), batch)
            summarise(cursor, db.driver_sql, (row[1:] for row in new))
        cursor.execute("COMMIT")
        cursor.close()
    finally:
        conn.release()


def _begin_writing(cursor, dialect: str) -> None:
    """A transaction that holds the query log's write lock from its start: the summaries are read, then moved
    (querysummary.summarise), so batches are written one at a time (SQLite: the file's write lock; PostgreSQL:
    an advisory lock held until the commit)."""
    if dialect == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    else:
        cursor.execute("BEGIN")
        cursor.execute("SELECT pg_advisory_xact_lock(%s)" % QUERY_LOG_LOCK)


# (entry_id != '' is the unique index's own condition, written out: without it neither SQLite nor PostgreSQL
# may use that partial index, and every look read the whole log: millions of rows, a few times a batch)
WRITTEN = "SELECT entry_id FROM queries WHERE entry_id != '' AND entry_id IN ({})"


def _not_written(cursor, driver_sql, batch: list[tuple]) -> list[tuple]:
    """The rows of ``batch`` whose entry id is not in the log yet (all of them, but after a crash)."""
    ids = [row[0] for row in batch if row[0]]
    written = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        cursor.execute(driver_sql(WRITTEN.format(", ".join("?" * len(chunk)))), chunk)
        written.update(entry for (entry,) in cursor.fetchall())
    return [row for row in batch if not row[0] or row[0] not in written]
