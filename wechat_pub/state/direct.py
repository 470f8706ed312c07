"""The few reads an unchanged re-push makes (:mod:`wechat_pub.publish.unchanged`), straight through the database's
driver: importing SQLAlchemy alone takes longer than such a whole push. Read-only, one short connection; the stores
run the same statements (:data:`REVISION_SQL`, :data:`TOKEN_SQL`) through SQLAlchemy, so the two cannot disagree.

Any failure here (no database yet, a server away, a locked file) is the caller's cue to go the whole way, through
the stores, which wait, retry and explain."""

from __future__ import annotations

import json
from typing import Any

REVISION_SQL = ("SELECT count(*), coalesce(sum(version), 0), coalesce(max(updated_at), 0) FROM issues "
                "WHERE appid = ?")  # changes whenever any issue of the account does
TOKEN_SQL = "SELECT value, expires_at FROM tokens WHERE key = ?"
PUSH_SQL = ("SELECT state, marker, draft_media_id, content_hash, wechat_hash, article_count, receipt FROM pushes "
            "WHERE appid = ? AND issue = ?")
PUSH_FIELDS = ("state", "marker", "draft_media_id", "content_hash", "wechat_hash", "article_count", "receipt")


def revision_of(row) -> str:
    count, versions, latest = row
    return f"{count}:{versions}:{float(latest)}"


def token_value(row, now: float) -> Any:
    """The kept value of a ``tokens`` row, None when there is none or it expired."""
    if row is None or (row[1] is not None and row[1] <= now):
        return None
    return json.loads(row[0])


class DirectReads:
    """Reads of one state database by its URL (as :func:`wechat_pub.state.urls.driver_url` gives it)."""

    def __init__(self, url: str, timeout: float = 1.0):
        self.postgres = url.startswith("postgresql")
        self.connection = _connect(url, timeout)

    def close(self) -> None:
        self.connection.close()

    def revision(self, appid: str) -> str:
        return revision_of(self._one(REVISION_SQL, (appid,)))

    def token(self, key: str, now: float) -> Any:
        return token_value(self._one(TOKEN_SQL, (key,)), now)

    def push(self, appid: str, issue: int) -> dict | None:
        """The ledger's record of the issue (the fields an unchanged re-push looks at), None when there is none."""
        row = self._one(PUSH_SQL, (appid, issue))
        return dict(zip(PUSH_FIELDS, row)) if row is not None else None

    def _one(self, sql: str, parameters: tuple):
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql.replace("?", "%s") if self.postgres else sql, parameters)
            return cursor.fetchone()
        finally:
            cursor.close()


def _connect(url: str, timeout: float):
    if url.startswith("sqlite:///"):
        import sqlite3

        path = url[len("sqlite:///"):]
        # read-only, and never created: a database that is not there has nothing to vouch for
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)
    if url.startswith("postgresql+psycopg://"):
        import psycopg

        return psycopg.connect("postgresql://" + url[len("postgresql+psycopg://"):], connect_timeout=max(1, int(timeout)),
                               autocommit=True)
    raise ValueError(f"no direct reads for {url.split(':', 1)[0]}")
