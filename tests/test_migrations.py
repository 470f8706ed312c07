"""The state database's schema by migrations: a database of the release before them (9f22ece) upgrades with
every row intact, a fresh one is exactly schema.py, several processes upgrade one database at once, and a
database newer than the code is refused with what to do. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import multiprocessing
from pathlib import Path

import migrated_once
import pytest
import schema_9f22ece
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import LargeBinary, create_engine, inspect, select

from conftest import stores_at
from wechat_pub.errors import ConfigError
from wechat_pub.state import migrate
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import metadata

FIXTURE = Path(__file__).parent / "data" / "state-9f22ece.json"
# Columns a later migration removes on purpose (table -> names): every other value must come through unchanged.
REMOVED = {"pushes": {"receipt"}}  # 0003: the receipts of the retired fast re-push
ADDED = {"issues": {"shown": None, "text_by": None}}  # 0011: not known for an issue saved before (see it)
RELEASE_INDEXES = ("CREATE UNIQUE INDEX IF NOT EXISTS ix_queries_entry_id ON queries (entry_id) WHERE entry_id != ''",
                   "CREATE INDEX IF NOT EXISTS ix_issues_revision ON issues (appid, version, updated_at)")


@pytest.fixture(autouse=True)
def _real_migrations():
    """Alembic at every open here: these tests are about the migrations (conftest replays them elsewhere)."""
    with migrated_once.real_upgrades():
        yield


def _release_rows() -> dict[str, list[dict]]:
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))["rows"]
    for table in schema_9f22ece.metadata.sorted_tables:
        binary = [column.name for column in table.columns if isinstance(column.type, LargeBinary)]
        for row in rows[table.name]:
            for name in binary:
                row[name] = base64.b64decode(row[name]["base64"])
    return rows


def _build_release_database(url: str, rows: dict[str, list[dict]]) -> None:
    """What 9f22ece's create_tables made (its tables, its two hand-made indexes), with a row in every table.
    Generated ids are left to the database (numbered 1, 2, ... as in the fixture), so its sequences go on."""
    engine = _engine(url)
    with engine.begin() as conn:
        schema_9f22ece.metadata.create_all(conn)
        for statement in RELEASE_INDEXES:
            conn.exec_driver_sql(statement)
        for table in schema_9f22ece.metadata.sorted_tables:
            generated = {column.name for column in table.primary_key.columns if column.autoincrement is True}
            conn.execute(table.insert(), [{name: value for name, value in row.items() if name not in generated}
                                          for row in rows[table.name]])
    engine.dispose()


def _engine(url: str):
    """A plain engine on ``url`` (what an older wechat-pub opened), its SQLite folder made."""
    if url.startswith("sqlite:///"):
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url)


def _read_all(db: StateDatabase, names) -> dict[str, list[dict]]:
    with db.connect() as conn:
        return {name: [dict(row._mapping) for row in conn.execute(select(metadata.tables[name]))] for name in names}


def _key(table_name: str):
    keys = [column.name for column in metadata.tables[table_name].primary_key.columns]
    return lambda row: tuple(row[name] for name in keys)


def test_the_fixture_fills_every_table_of_the_release():
    rows = _release_rows()
    assert set(rows) == set(schema_9f22ece.metadata.tables)
    assert all(rows[name] for name in rows)


def test_a_database_of_the_release_before_migrations_upgrades_with_every_row_intact(database_url):
    before = _release_rows()
    _build_release_database(database_url, before)

    db = StateDatabase(database_url)

    with db.connect() as conn:
        assert migrate.current(conn) == migrate.head()
    after = _read_all(db, before)
    for name, rows in before.items():
        kept = [{**{column: value for column, value in row.items() if column not in REMOVED.get(name, set())},
                 **ADDED.get(name, {})} for row in rows]
        assert sorted(after[name], key=_key(name)) == sorted(kept, key=_key(name)), name


def test_the_issues_text_is_the_last_column_on_sqlite(database_url):
    """Migration 0008: SQLite keeps an issue's text after every other column of its row (the console's lists read
    the others without walking the text's overflow pages); a database of the release, whose text came fourth,
    is copied into that order with its indexes. PostgreSQL keeps long texts out of its rows: unchanged there."""
    _build_release_database(database_url, _release_rows())
    db = StateDatabase(database_url)
    with db.connect() as conn:
        columns = [column["name"] for column in inspect(conn).get_columns("issues")]
        indexes = {index["name"] for index in inspect(conn).get_indexes("issues")}
    assert "ix_issues_revision" in indexes
    if database_url.startswith("sqlite"):
        assert columns[-1] == "text" and len(columns) == len(metadata.tables["issues"].columns)
    else:
        assert columns.index("text") == 3  # as the release made it


def test_the_upgraded_release_database_works_like_a_new_one(database_url):
    _build_release_database(database_url, _release_rows())
    stores = stores_at(database_url)
    assert stores.pushes("wx_old").get(135).draft_media_id == "DRAFT_135"
    stores.pushes("wx_old").draft_added(137, "articles/137.md", "DRAFT_137", "h", 1)
    assert stores.pushes("wx_old").get(137).draft_media_id == "DRAFT_137"


def test_a_new_database_is_exactly_the_schema_the_code_uses(database_url):
    db = StateDatabase(database_url)
    with db.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert set(inspect(conn).get_table_names()) == set(metadata.tables) | {"alembic_version"}


def test_a_database_made_between_the_release_and_migrations_upgrades(database_url):
    """A development build's database: the release's tables and console_sessions, made by create_all."""
    engine = _engine(database_url)
    with engine.begin() as conn:
        schema_9f22ece.metadata.create_all(conn)
        metadata.tables["console_sessions"].create(conn)
    engine.dispose()
    db = StateDatabase(database_url)
    with db.connect() as conn:
        assert migrate.current(conn) == migrate.head()


def test_a_database_newer_than_the_code_is_refused_with_what_to_do(database_url):
    db = StateDatabase(database_url)
    with db.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(ConfigError) as caught:
        StateDatabase(database_url)
    assert "9999" in str(caught.value) and "Upgrade wechat-pub on this host" in str(caught.value)


def _open(url: str, results) -> None:
    try:
        stores_at(url).pushes("wx").draft_added(1, "a.md", "m1", "h", 1)
        results.put("ok")
    except Exception as exc:  # reported to the parent, which fails the test with it
        results.put(repr(exc))


def test_many_processes_upgrade_one_database_at_once(database_url):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_open, args=(database_url, results)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [results.get(timeout=5) for _ in workers] == ["ok"] * 6


def test_db_current_and_upgrade_commands(tmp_path, run_cli):
    url = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    _build_release_database(url, _release_rows())
    (tmp_path / "config.toml").write_text(f'[state]\ndatabase_url = "{url}"\n', encoding="utf-8")
    config = ["--config", str(tmp_path / "config.toml")]

    stale = run_cli(*config, "db", "current", expect=1)
    assert f"revision none, newest {migrate.head()}" in stale.stdout and "wechat-pub db upgrade" in stale.stdout
    assert f"at revision {migrate.head()}" in run_cli(*config, "db", "upgrade").stdout
    assert f"revision {migrate.head()}, newest {migrate.head()}" in run_cli(*config, "db", "current").stdout


def test_the_newest_revision_by_file_number_is_alembics_head():
    """upgrade() reads the newest revision from the files' numbers (no Alembic import when nothing is to do):
    they must be numbered in order, one line of revisions."""
    assert migrate.scripts().get_heads() == [migrate.head()]
    numbers = sorted(script.revision for script in migrate.scripts().walk_revisions())
    assert numbers == [f"{n:04d}" for n in range(1, len(numbers) + 1)]


def test_an_up_to_date_database_opens_without_loading_alembic(tmp_path):
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    StateDatabase(url)
    opened = subprocess.run([sys.executable, "-c", "import sys; from wechat_pub.state.database import StateDatabase; "
                             f"StateDatabase({url!r}); print(any(m.startswith('alembic') for m in sys.modules))"],
                            capture_output=True, text=True, check=True)
    assert opened.stdout.strip() == "False"
