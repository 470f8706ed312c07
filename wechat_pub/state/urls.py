"""Which state database: the default SQLite file, and the driver a URL names (no SQLAlchemy needed to know)."""

from __future__ import annotations

from pathlib import Path


def sqlite_url(state_dir: Path) -> str:
    """The default state database: a SQLite file in the state folder."""
    return f"sqlite:///{state_dir / 'state.sqlite3'}"


def driver_url(url: str) -> str:
    """The URL with the driver wechat-pub installs: ``postgresql://`` means psycopg 3 (not psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
