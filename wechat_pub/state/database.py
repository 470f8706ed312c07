"""The state database: the engine, its schema brought up to date (by the migrations, :mod:`.migrate`), and the
two statements every writer needs when processes race (upsert, insert-if-absent).

SQLite by default (a file in ``paths.state``, made 0600 in a 0700 folder), PostgreSQL by URL: one code path
through SQLAlchemy Core.
Every write is its own short transaction, so a process killed at any moment leaves the last recorded step
intact; writes of several stores that must be seen together share one (:meth:`StateDatabase.together`), and a
page that shows several stores reads them at one moment (:meth:`StateDatabase.snapshot`). Secrets
(AppSecret, webhook token, AES key) are never stored here.
"""

from __future__ import annotations

import contextvars
import os
import weakref
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Table, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from wechat_pub.errors import ConfigError
from wechat_pub.state.private import create_private_file, make_private_folder
from wechat_pub.state.urls import driver_url

_TOGETHER: contextvars.ContextVar = contextvars.ContextVar("wechat_pub_together", default=None)
_SNAPSHOT: contextvars.ContextVar = contextvars.ContextVar("wechat_pub_snapshot", default=None)
BOUND_SECONDS = 1.0  # the longest a bounded connection waits for a lock, a statement or the server
PATIENT_SECONDS = 30.0  # the longest any other SQLite connection waits for the write lock
_ENGINES: weakref.WeakSet = weakref.WeakSet()  # this process's engines (their pools left to the parent in a fork)


def lock_wait(bounded: bool) -> float:
    """Seconds a SQLite statement waits for another connection's write lock before it fails."""
    return BOUND_SECONDS if bounded else PATIENT_SECONDS


class StateDatabase:
    """One engine per process; the job-specific stores (tokens, locks, pushes, ...) take it.

    ``bounded=True`` gives the webhook's engine: every wait (a locked SQLite file, a PostgreSQL lock or
    statement, connecting) ends within :data:`BOUND_SECONDS` with an error, instead of the 30 s a command may
    patiently wait; and it changes no schema (the service's main engine upgrades it at start)."""

    def __init__(self, url: str, bounded: bool = False):
        self.url = driver_url(url)
        self.bounded = bounded
        if self.url.startswith("sqlite:///") and self.url != "sqlite:///:memory:":
            file = Path(self.url[len("sqlite:///"):])
            make_private_folder(file.parent)
            create_private_file(file)  # before SQLite opens it: its -wal and -shm files take this file's mode
        self.engine: Engine = open_engine(self.url, bounded)
        if not bounded:
            from wechat_pub.state.migrate import upgrade  # here: the webhook's bounded engine never loads Alembic

            upgrade(self.engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def path(self) -> str | None:
        """The file of a SQLite database (None for PostgreSQL)."""
        return self.url[len("sqlite:///"):] if self.url.startswith("sqlite:///") else None

    def begin(self):
        """A transaction of its own; inside :meth:`together` (this thread), that one."""
        shared = _TOGETHER.get()
        if shared is not None and shared[0] is self:
            return nullcontext(shared[1])
        return self.engine.begin()

    @contextmanager
    def together(self):
        """One transaction for the writes the block makes through this database, whichever stores make them:
        another process sees all of them or none (a send's outcome and its issue's state)."""
        with self.engine.begin() as conn:
            token = _TOGETHER.set((self, conn))
            try:
                yield conn
            finally:
                _TOGETHER.reset(token)

    def raw_connection(self):
        """A DB-API connection of the engine's pool (its settings applied: busy timeout, statement bounds), for
        the caller alone and in autocommit: one plain statement per step, no SQLAlchemy in between (the
        webhook's answers). Statements take ``?`` placeholders through :meth:`driver_sql`."""
        pooled = self.engine.raw_connection()
        conn = pooled.driver_connection
        if self.dialect == "sqlite":
            previous, conn.isolation_level = conn.isolation_level, None
        else:
            previous, conn.autocommit = conn.autocommit, True
        return _Held(pooled, conn, self.dialect, previous)

    def driver_sql(self, sql: str) -> str:
        """``sql`` with the driver's placeholders: sqlite3 takes ``?``, psycopg ``%s``."""
        return sql if self.dialect == "sqlite" else sql.replace("?", "%s")

    def connect(self):
        """A connection for reading; inside :meth:`snapshot` (this thread), the snapshot's."""
        shared = _SNAPSHOT.get()
        if shared is not None and shared[0] is self:
            return nullcontext(shared[1])
        return self.engine.connect()

    @contextmanager
    def snapshot(self):
        """The block's reads through this database (:meth:`connect`), whichever stores make them, see it as it
        was at one moment: a page drawn from several stores never shows half of what another process wrote
        together (a send's result beside the issue's state before it). Writes in the block (:meth:`begin`) go
        on in transactions of their own. SQLite: a read transaction (pysqlite begins one only before a write);
        PostgreSQL: REPEATABLE READ (each statement of a READ COMMITTED one sees its own moment)."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn.exec_driver_sql("BEGIN")
            else:
                conn.execution_options(isolation_level="REPEATABLE READ")
            token = _SNAPSHOT.set((self, conn))
            try:
                yield conn
            finally:
                _SNAPSHOT.reset(token)
                conn.rollback()

    def upsert(self, table: Table, row: dict, update: tuple[str, ...] | None = None):
        """INSERT ... ON CONFLICT (primary key) DO UPDATE: one statement, safe when processes race."""
        statement = self._insert(table).values(**row)
        keys = [column.name for column in table.primary_key.columns]
        changed = update if update is not None else [name for name in row if name not in keys]
        return statement.on_conflict_do_update(index_elements=keys, set_={name: row[name] for name in changed})

    def upsert_if(self, table: Table, row: dict, condition):
        """The :meth:`upsert` of ``row`` only where ``condition`` (an SQL expression, e.g. an EXISTS) holds when it
        runs: one statement, so nothing commits between the look and the write (SQLite has no FOR UPDATE). It
        RETURNS the key: a row comes back when it was written."""
        from sqlalchemy import literal, select

        keys = [column.name for column in table.primary_key.columns]
        source = select(*[literal(value, table.c[name].type).label(name) for name, value in row.items()])
        statement = self._insert(table).from_select(list(row), source.where(condition))
        return statement.on_conflict_do_update(
            index_elements=keys, set_={name: statement.excluded[name] for name in row if name not in keys}
        ).returning(*[table.c[name] for name in keys])

    def insert_ignore(self, table: Table, row: dict | None = None):
        """INSERT ... ON CONFLICT DO NOTHING RETURNING the key: a row comes back when this caller inserted it
        (``rowcount`` is not reliable for inserts on every driver: psycopg under SQLAlchemy 2.1 reports -1).
        Without ``row``, the row is the execution's parameters: what a caller inserting thousands of rows does
        (SQLAlchemy then builds no statement for each row's values: a third of a 2,000-issue first sync)."""
        keys = list(table.primary_key.columns)
        statement = self._insert(table) if row is None else self._insert(table).values(**row)
        return statement.on_conflict_do_nothing().returning(*keys)

    def _insert(self, table: Table):
        if self.dialect == "postgresql":  # imported here: SQLite's users never load PostgreSQL's dialect
            from sqlalchemy.dialects import postgresql

            return postgresql.insert(table)
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)

    def dispose(self) -> None:
        self.engine.dispose()


class _Held:
    """A driver connection, and the pool's handle on it (which must live as long as it is used)."""

    def __init__(self, pooled, conn, dialect: str, previous):
        self._pooled, self._conn = pooled, conn
        self._dialect, self._previous = dialect, previous  # the driver's mode, given back with the connection

    def cursor(self):
        return self._conn.cursor()

    def close(self) -> None:
        try:
            self._pooled.invalidate()  # after an error: the pool opens a fresh one next time
        except Exception:  # the server is gone: nothing to close
            pass

    def release(self) -> None:
        """Give the connection back to the pool, in the mode it had (after a batch; the webhook's stores keep
        theirs)."""
        try:
            if self._dialect == "sqlite":
                self._conn.isolation_level = self._previous
            else:
                self._conn.autocommit = self._previous
            self._pooled.close()
        except Exception:  # the server is gone: the pool finds out when it next uses it
            self.close()


def shown_url(url: str) -> str:
    """The URL with its password hidden (it may carry one)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_engine(url: str, bounded: bool = False) -> Engine:
    """An engine for the state database, with a message that says what to do when it cannot be made."""
    try:
        engine = create_engine(url, **_engine_options(url, bounded))
    except ArgumentError:
        raise ConfigError(f"state.database_url {shown_url(url)!r} is not a database URL.",
                          "Use sqlite:///path/state.sqlite3 or postgresql://user@host/dbname.") from None
    except ImportError:
        raise ConfigError("state.database_url points at PostgreSQL but its driver is not installed.",
                          "pip install 'wechat-pub[postgres]'") from None
    _ENGINES.add(engine)
    if url.startswith("sqlite"):
        busy_ms = int(lock_wait(bounded) * 1000)
        event.listen(engine, "connect", lambda connection, _record: _sqlite_pragmas(connection, busy_ms))
    else:
        event.listen(engine, "connect", lambda connection, _record: _postgres_settings(connection, bounded))
    return engine


def _engine_options(url: str, bounded: bool) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": lock_wait(bounded), "check_same_thread": False}}
    if bounded:
        return {"pool_pre_ping": True, "pool_timeout": BOUND_SECONDS, "connect_args": {"connect_timeout": 1}}
    return {"pool_pre_ping": True}


def _sqlite_pragmas(dbapi_connection, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; survives kill -9
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.close()


def _postgres_settings(dbapi_connection, bounded: bool) -> None:
    """No JIT compiling: PostgreSQL compiles a statement it estimates costly (a week of the query log for the Reach
    page) to machine code first, which took 40 ms of a 35 ms statement, at every view; its statements here are a
    page's reads of milliseconds, never the hours-long analytics JIT pays off for. The bounded engine's statements
    and lock waits also end with an error after BOUND_SECONDS."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET jit = off")
    if bounded:
        milliseconds = int(BOUND_SECONDS * 1000)
        cursor.execute(f"SET statement_timeout = {milliseconds}")
        cursor.execute(f"SET lock_timeout = {milliseconds}")
    cursor.close()
    dbapi_connection.commit()


def _new_pools_in_child() -> None:
    """In the child of a fork (gunicorn --preload makes the app in its master): connections of its own. The
    parent's stay the parent's (not closed here); before, the workers and the master spoke on one PostgreSQL
    connection at once, and the server refused them."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_new_pools_in_child)
