"""The state database's schema, made and upgraded by the Alembic migrations in ``state/migrations/versions``.

Every process that opens the database for work (a command, ``run``, ``serve``) calls :func:`upgrade` first.
It reads the database's revision; at the newest one it is done. Otherwise it upgrades under a lock that
every other process and host waits on (PostgreSQL: an advisory lock; SQLite: the file's write lock, taken
with BEGIN IMMEDIATE), in one transaction, so two hosts starting at once never race and a failed step leaves
the database as it was. A database of the last release before migrations (its tables, no
``alembic_version``) is stamped at revision 0001, which is that release's schema, then upgraded.

No alembic.ini: the configuration is built here, from the package's own folder.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from wechat_pub.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).with_name("migrations")
PREVIOUS_RELEASE = "0001"  # the schema of the release before migrations (commit 9f22ece)
_UPGRADE_LOCK = 0x77_65_63_68  # any fixed number: the PostgreSQL advisory lock the upgrade runs under

log = logging.getLogger(__name__)
# Alembic says at INFO which dialect it found, at every upgrade: our own line says what changed instead.
logging.getLogger("alembic").setLevel(logging.WARNING)


def alembic_config(connection: Connection | None = None) -> "Config":
    """Alembic's configuration for the package's migrations; ``connection`` is the one env.py runs them on."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


@cache
def scripts() -> "ScriptDirectory":
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision: the highest number of ``versions/`` (they are numbered in order, see
    :func:`new_revision`; tests/test_migrations.py checks it is Alembic's head). Read from the file names, so
    that a process whose database is up to date never imports Alembic, which takes longer than the check."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))


def current(conn: Connection) -> str | None:
    """The database's revision (None: no migration ever ran on it)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision (see the module's note)."""
    with engine.connect() as conn:
        if current(conn) == head():
            return
    from alembic import command

    with _upgrade_lock(engine) as conn:
        revision = _known(current(conn))  # again, under the lock: another process may have done it meanwhile
        if revision is None and inspect(conn).has_table("pushes"):
            command.stamp(alembic_config(conn), PREVIOUS_RELEASE)
            revision = PREVIOUS_RELEASE
        if revision != head():
            log.info("upgrading the state database's schema from revision %s to %s", revision or "none", head())
            command.upgrade(alembic_config(conn), "head")


def _known(revision: str | None) -> str | None:
    """``revision``, refused when this code does not know it: a newer wechat-pub upgraded the database."""
    if revision is None:
        return None
    from alembic.util import CommandError

    try:
        scripts().get_revision(revision)
    except CommandError:  # Alembic's word for a revision it cannot find
        raise ConfigError(f"the state database is at schema revision {revision}, newer than this wechat-pub "
                          f"knows (its newest is {head()}).",
                          "Upgrade wechat-pub on this host to the version the other hosts run.") from None
    return revision


@contextmanager
def _upgrade_lock(engine: Engine):
    """A connection in a transaction that holds the upgrade lock until it commits (or rolls back on error)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK})")
        else:  # the write lock now, not at the first write: a second process waits here, then sees the new revision
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn
        conn.commit()


def new_revision(message: str) -> Path:
    """Write the next migration: what ``schema.py`` has that the migrations do not make, found by comparing
    a fresh SQLite database brought to the newest revision with it (Alembic's autogenerate). Read it and
    correct it before committing: autogenerate does not see renames or data moves."""
    import tempfile

    from alembic import command
    from sqlalchemy import create_engine

    number = f"{len(list(scripts().walk_revisions())) + 1:04d}"
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite:///{folder}/head.sqlite3")
        try:
            upgrade(engine)
            with engine.begin() as conn:
                script = command.revision(alembic_config(conn), message, autogenerate=True, rev_id=number,
                                          process_revision_directives=_nothing_if_empty)
        finally:
            engine.dispose()
    scripts.cache_clear()
    if script is None:
        from wechat_pub.errors import WechatPubError

        raise WechatPubError("state/schema.py has nothing the migrations do not make: no migration was written.",
                             "Change state/schema.py first, then run `wechat-pub db revision` again.")
    return Path(script.path)


def _nothing_if_empty(_context, _revision, directives) -> None:
    """No file for a migration that would change nothing (applied, it would leave every database a revision
    ahead of any checkout without the empty file)."""
    if directives and directives[0].upgrade_ops.is_empty():
        directives[:] = []
