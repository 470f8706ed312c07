"""The state database: tokens, upload cache, pushes and their history (SQLAlchemy Core, so SQLite
by default and PostgreSQL by URL share one code path).

Every write is its own short transaction, so a process killed at any moment leaves the last
recorded step intact. Secrets (AppSecret, webhook token, AES key) are never stored here.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import (Column, Float, Integer, MetaData, String, Table, Text, create_engine, delete, event, insert,
                        select, update)
from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError, ProgrammingError

from wechat_pub.errors import ConfigError

metadata = MetaData()

tokens = Table(
    "tokens", metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", Float, nullable=True),
)

locks = Table(
    "locks", metadata,
    Column("name", String(200), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
)

uploads = Table(
    "uploads", metadata,
    Column("appid", String(64), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),  # "uploadimg" (body image) or "material" (cover)
    Column("url", Text, nullable=False, default=""),
    Column("media_id", String(200), nullable=False, default=""),
    Column("width", Integer, nullable=True),
    Column("created_at", Float, nullable=False),
)

pushes = Table(
    "pushes", metadata,
    Column("appid", String(64), primary_key=True),
    Column("issue", Integer, primary_key=True),
    Column("path", Text, nullable=False, default=""),
    Column("state", String(20), nullable=False),  # adding, draft, submitting, publishing, published, failed
    Column("content_hash", String(64), nullable=False, default=""),
    Column("marker", String(120), nullable=False, default=""),  # set while a draft/add is in flight
    Column("pending_hash", String(64), nullable=False, default=""),  # the content that draft/add carries
    Column("draft_media_id", String(200), nullable=False, default=""),
    Column("article_count", Integer, nullable=False, default=0),
    Column("publish_id", String(64), nullable=False, default=""),
    Column("article_urls", Text, nullable=False, default="[]"),
    Column("cover_url", Text, nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
    Column("hint", Text, nullable=False, default=""),
    Column("updated_at", Float, nullable=False),
)

history = Table(
    "history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("appid", String(64), nullable=False),
    Column("issue", Integer, nullable=False),
    Column("at", Float, nullable=False),
    Column("event", String(40), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)


schedule_runs = Table(  # one row per (issue, scheduled time): the guard that no slot ever runs twice
    "schedule_runs", metadata,
    Column("appid", String(64), primary_key=True),
    Column("issue", Integer, primary_key=True),
    Column("publish_at", String(40), primary_key=True),
    Column("state", String(20), nullable=False),  # running, retrying, done, missed, failed, canceled
    Column("owner", String(64), nullable=False, default=""),  # the scheduler (leader) that runs it
    Column("attempts", Integer, nullable=False, default=0),
    Column("detail", Text, nullable=False, default=""),
    Column("updated_at", Float, nullable=False),
)

replies = Table(  # webhook answers by delivery key, so WeChat's retries get the same answer
    "webhook_replies", metadata,
    Column("key", String(300), primary_key=True),
    Column("reply", Text, nullable=True),  # NULL while the first delivery is still working on it
    Column("created_at", Float, nullable=False, index=True),
)

queries = Table(
    "queries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("query", Text, nullable=False),
    Column("matches", Integer, nullable=False),
    Column("follower", String(64), nullable=False),  # salted hash of the OpenID, never the OpenID
)


@dataclass(frozen=True)
class PushRecord:
    appid: str
    issue: int
    path: str
    state: str
    content_hash: str
    marker: str
    pending_hash: str
    draft_media_id: str
    article_count: int
    publish_id: str
    article_urls: list[str]
    cover_url: str
    error: str
    hint: str
    updated_at: float


def database_url(state_dir: Path) -> str:
    state_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{state_dir / 'state.sqlite3'}"


class Store:
    """The state database. Methods are small transactions; safe to share between threads and
    processes (SQLite in WAL mode with a busy timeout)."""

    def __init__(self, url: str):
        self.url = url = driver_url(url)
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = open_engine(url)
        _create_tables(self.engine)

    @classmethod
    def at(cls, state_dir: str | os.PathLike) -> "Store":
        return cls(database_url(Path(state_dir)))

    # ---- key/value tokens (wechatpy's SessionStorage shape: get / set / delete) -----------------

    def get(self, key: str, default: Any = None) -> Any:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens.c.value, tokens.c.expires_at).where(tokens.c.key == key)).first()
        if row is None or (row.expires_at is not None and row.expires_at <= time.time()):
            return default
        return json.loads(row.value)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        expires = time.time() + ttl if ttl else None
        with self.engine.begin() as conn:
            conn.execute(upsert(self.engine, tokens, {"key": key, "value": json.dumps(value), "expires_at": expires}))

    def delete(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(tokens).where(tokens.c.key == key))

    # ---- a lease lock shared by processes ------------------------------------------------------

    @contextmanager
    def lock(self, name: str, lease: float = 30, wait: float = 30) -> Iterator[None]:
        """Hold ``name`` across processes; a holder that died frees it when its lease runs out."""
        holder = uuid.uuid4().hex
        deadline = time.monotonic() + wait
        while not self._acquire(name, holder, lease):
            if time.monotonic() > deadline:
                raise TimeoutError(f"lock {name!r} is held by another process")
            time.sleep(0.05)
        try:
            yield
        finally:
            with self.engine.begin() as conn:
                conn.execute(delete(locks).where(locks.c.name == name, locks.c.holder == holder))

    def take_lease(self, name: str, holder: str, lease: float) -> bool:
        """Hold ``name`` (or keep holding it) for ``lease`` more seconds; False while another holds it."""
        now = time.time()
        with self.engine.begin() as conn:
            renewed = conn.execute(update(locks).where(locks.c.name == name, locks.c.holder == holder)
                                   .values(expires_at=now + lease)).rowcount
        return renewed == 1 or self._acquire(name, holder, lease)

    def drop_lease(self, name: str, holder: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(locks).where(locks.c.name == name, locks.c.holder == holder))

    # ---- scheduled runs ------------------------------------------------------------------------------

    def run_get(self, appid: str, issue: int, publish_at: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(schedule_runs).where(
                schedule_runs.c.appid == appid, schedule_runs.c.issue == issue,
                schedule_runs.c.publish_at == publish_at)).first()
        return dict(row._mapping) if row else None

    def run_claim(self, appid: str, issue: int, publish_at: str, owner: str) -> dict | None:
        """Start (or resume) the run of one scheduled slot; None when it is done, or running elsewhere."""
        now = time.time()
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(schedule_runs).values(appid=appid, issue=issue, publish_at=publish_at,
                                                          state="running", owner=owner, attempts=1, updated_at=now))
            return self.run_get(appid, issue, publish_at)
        except IntegrityError:
            pass
        with self.engine.begin() as conn:  # resume: a retry of ours, or a run whose scheduler died
            taken = conn.execute(update(schedule_runs).where(
                schedule_runs.c.appid == appid, schedule_runs.c.issue == issue,
                schedule_runs.c.publish_at == publish_at,
                (schedule_runs.c.state == "retrying") | ((schedule_runs.c.state == "running")
                                                          & (schedule_runs.c.owner != owner)))
                .values(state="running", owner=owner, attempts=schedule_runs.c.attempts + 1, updated_at=now)).rowcount
        return self.run_get(appid, issue, publish_at) if taken else None

    def run_finish(self, appid: str, issue: int, publish_at: str, state: str, detail: str = "") -> None:
        row = {"appid": appid, "issue": issue, "publish_at": publish_at, "state": state, "owner": "", "attempts": 0,
               "detail": detail, "updated_at": time.time()}
        with self.engine.begin() as conn:
            conn.execute(upsert(self.engine, schedule_runs, row, update=("state", "detail", "updated_at")))

    def runs(self, appid: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(schedule_runs).where(schedule_runs.c.appid == appid)
                                .order_by(schedule_runs.c.publish_at)).all()
        return [dict(row._mapping) for row in rows]

    def _acquire(self, name: str, holder: str, lease: float) -> bool:
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(delete(locks).where(locks.c.name == name, locks.c.expires_at < now))
            taken = conn.execute(insert_ignore(self.engine, locks, {"name": name, "holder": holder,
                                                                    "expires_at": now + lease})).first()
        return taken is not None

    # ---- upload cache ----------------------------------------------------------------------------

    def upload_get(self, appid: str, sha256: str, kind: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(uploads).where(uploads.c.appid == appid, uploads.c.sha256 == sha256,
                                                     uploads.c.kind == kind)).first()
        return dict(row._mapping) if row else None

    def upload_put(self, appid: str, sha256: str, kind: str, url: str = "", media_id: str = "",
                   width: int | None = None) -> None:
        row = {"appid": appid, "sha256": sha256, "kind": kind, "url": url, "media_id": media_id, "width": width,
               "created_at": time.time()}
        with self.engine.begin() as conn:
            conn.execute(upsert(self.engine, uploads, row))

    def upload_forget(self, appid: str, sha256: str, kind: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(uploads).where(uploads.c.appid == appid, uploads.c.sha256 == sha256,
                                               uploads.c.kind == kind))

    # ---- pushes ----------------------------------------------------------------------------------

    def push_get(self, appid: str, issue: int) -> PushRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(pushes).where(pushes.c.appid == appid, pushes.c.issue == issue)).first()
        return _record(row) if row else None

    def push_list(self, appid: str) -> list[PushRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(pushes).where(pushes.c.appid == appid).order_by(pushes.c.issue)).all()
        return [_record(row) for row in rows]

    def push_save(self, appid: str, issue: int, **fields: Any) -> PushRecord:
        """Create or update the push record of ``issue``; unnamed fields keep their value."""
        if "article_urls" in fields:
            fields["article_urls"] = json.dumps(fields["article_urls"], ensure_ascii=False)
        fields["updated_at"] = time.time()
        with self.engine.begin() as conn:  # insert-or-update in one statement: two processes may save at once
            conn.execute(insert_ignore(self.engine, pushes, {"appid": appid, "issue": issue, "state": "new",
                                                             "updated_at": fields["updated_at"]}))
            conn.execute(update(pushes).where(pushes.c.appid == appid, pushes.c.issue == issue).values(**fields))
        return self.push_get(appid, issue)

    def push_claim(self, appid: str, issue: int, from_states: tuple[str, ...], to_state: str) -> bool:
        """Compare-and-set the state; True when this caller made the change (guards double runs)."""
        with self.engine.begin() as conn:
            changed = conn.execute(update(pushes).where(pushes.c.appid == appid, pushes.c.issue == issue,
                                                        pushes.c.state.in_(from_states))
                                   .values(state=to_state, updated_at=time.time())).rowcount
        return changed == 1

    def push_by_publish_id(self, appid: str, publish_id: str) -> PushRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(pushes).where(pushes.c.appid == appid,
                                                    pushes.c.publish_id == str(publish_id))).first()
        return _record(row) if row else None

    def published_urls(self, appid: str) -> dict[int, list[str]]:
        """Issue number -> article URLs, for every issue WeChat reported published."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(pushes.c.issue, pushes.c.article_urls).where(
                pushes.c.appid == appid, pushes.c.state == "published")).all()
        return {row.issue: json.loads(row.article_urls or "[]") for row in rows}

    def cover_urls(self, appid: str) -> dict[int, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(pushes.c.issue, pushes.c.cover_url).where(pushes.c.appid == appid)).all()
        return {row.issue: row.cover_url for row in rows if row.cover_url}

    def log(self, appid: str, issue: int, event_name: str, detail: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(history).values(appid=appid, issue=issue, at=time.time(), event=event_name,
                                                detail=detail))

    def history(self, appid: str, issue: int) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(history).where(history.c.appid == appid, history.c.issue == issue)
                                .order_by(history.c.id)).all()
        return [dict(row._mapping) for row in rows]


def driver_url(url: str) -> str:
    """The URL with the driver wechat-pub installs: ``postgresql://`` means psycopg 3 (not psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def open_engine(url: str) -> Engine:
    """An engine for the state database, with a message that says what to do when it cannot be made."""
    try:
        engine = create_engine(url, future=True, **_engine_options(url))
    except ArgumentError:
        raise ConfigError(f"state.database_url {_shown(url)!r} is not a database URL.",
                          "Use sqlite:///path/state.sqlite3 or postgresql://user@host/dbname.") from None
    except ImportError:
        raise ConfigError("state.database_url points at PostgreSQL but its driver is not installed.",
                          "pip install 'wechat-pub[postgres]'") from None
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _shown(url: str) -> str:
    """The URL with its password hidden (it may carry one)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def upsert(engine: Engine, table: Table, row: dict, update: tuple[str, ...] | None = None):
    """INSERT ... ON CONFLICT (primary key) DO UPDATE: one statement, safe when processes race."""
    statement = _dialect_insert(engine, table).values(**row)
    keys = [column.name for column in table.primary_key.columns]
    changed = update if update is not None else [name for name in row if name not in keys]
    return statement.on_conflict_do_update(index_elements=keys, set_={name: row[name] for name in changed})


def insert_ignore(engine: Engine, table: Table, row: dict):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the key: a row comes back when this caller inserted it
    (``rowcount`` is not reliable for inserts on every driver: psycopg under SQLAlchemy 2.1 reports -1)."""
    keys = list(table.primary_key.columns)
    return _dialect_insert(engine, table).values(**row).on_conflict_do_nothing().returning(*keys)


def _dialect_insert(engine: Engine, table: Table):
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)


_SCHEMA_LOCK = 0x77_65_63_68  # any fixed number: the advisory lock under which PostgreSQL tables are made


def _create_tables(engine: Engine) -> None:
    """Create what is missing, also when several processes start at once, and add columns that later
    versions brought to an older state database.

    On PostgreSQL two CREATE TABLEs of one table race on its row type (UniqueViolation on pg_type), so
    the whole step runs in one transaction under an advisory lock. SQLite serialises writers itself; a
    loser of the race sees 'already exists' and tries again."""
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})")
                metadata.create_all(conn)
                _add_new_columns(conn)
            return
        except (OperationalError, IntegrityError, ProgrammingError) as exc:
            if not _lost_creation_race(exc) or attempt == 4:
                raise
            time.sleep(0.05 * (attempt + 1))


def _lost_creation_race(exc: DBAPIError) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("already exists", "duplicate column", "pg_type_typname_nsp_index",
                                          "database is locked"))


def _add_new_columns(conn) -> None:
    existing = inspect(conn)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in existing.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                kind = column.type.compile(conn.dialect)
                default = "''" if isinstance(column.type, (String, Text)) else "0"
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind} "
                                     f"NOT NULL DEFAULT {default}")


def _record(row) -> PushRecord:
    data = dict(row._mapping)
    data["article_urls"] = json.loads(data["article_urls"] or "[]")
    return PushRecord(**data)


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer; survives kill -9
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
