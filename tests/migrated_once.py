"""Fresh state databases without running Alembic each time, in the test processes (not in the processes they start).

Hundreds of tests each open a new, empty state database (SQLite, and a new PostgreSQL schema), and each open ran
the four migrations through Alembic: about a second of a loaded machine per PostgreSQL schema (most of it the
server's), and Alembic's Python work for every SQLite file. Here the first empty database of each kind in a
process is upgraded by the real :func:`wechat_pub.state.migrate.upgrade` while every statement it sends is
recorded; every later empty database of that kind gets the same statements, in one transaction, under the same
upgrade lock. The result is the same schema, made by the same SQL; a database that is not empty (an older release's,
one a test made by hand, one already at the newest revision) always takes the real path.

tests/test_migrations.py checks the migrations themselves, so it uses the real upgrade throughout
(:func:`real_upgrades`)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, inspect

from wechat_pub.state import migrate

REAL_UPGRADE = migrate.upgrade
_recorded: dict[str, list[tuple[str, object, bool]]] = {}  # dialect -> (statement, parameters, executemany)
_SKIPPED = ("SELECT", "PRAGMA", "BEGIN")  # what the upgrade asks or locks with: only its changes are replayed


def install() -> None:
    """From now on, this process upgrades empty state databases by replaying the recorded statements."""
    migrate.upgrade = upgrade


@contextmanager
def real_upgrades():
    """Alembic for every upgrade while inside (the migrations' own tests)."""
    migrate.upgrade = REAL_UPGRADE
    try:
        yield
    finally:
        migrate.upgrade = upgrade


def upgrade(engine) -> None:
    """:func:`wechat_pub.state.migrate.upgrade`, replaying the first empty database's statements when it can."""
    dialect = engine.dialect.name
    with engine.connect() as conn:
        if migrate.current(conn) == migrate.head():
            return
    if dialect not in _recorded:
        _record(engine)
        return
    with migrate._upgrade_lock(engine) as conn:
        # not empty: an older release's database, one a test made by hand, or another process upgraded it first
        replayed = not inspect(conn).get_table_names()
        if replayed:
            cursor = conn.connection.driver_connection.cursor()
            for statement, parameters, many in _recorded[dialect]:
                (cursor.executemany if many else cursor.execute)(statement, parameters)
            cursor.close()
    if not replayed:
        REAL_UPGRADE(engine)


def _record(engine) -> None:
    """The real upgrade; its statements kept when it started from an empty database."""
    with engine.connect() as conn:
        empty = not inspect(conn).get_table_names()
    statements: list[tuple[str, object, bool]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(_SKIPPED):
            statements.append((statement, parameters, executemany))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        REAL_UPGRADE(engine)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    if empty and statements:
        _recorded[engine.dialect.name] = statements
