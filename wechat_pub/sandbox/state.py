"""The sandbox's own SQLite database: what each emulated WeChat account holds (tokens, media, drafts, published
articles) and its daily quotas, injected faults, and a log of every call. It survives restarts.

Several accounts (app ids) share one sandbox, as several accounts share WeChat: every row of an account carries
its app id, and a call sees only the account whose access token it carries. Methods that take ``appid=None``
look across every account (the sandbox's own pages and tests do)."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from wechat_pub.sandbox.publishes import PublishRecords

SCHEMA_VERSION = 3  # 2: every account's rows carry its app id; 3: publish outcomes, quotas used up for the day
SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, appid TEXT NOT NULL, kind TEXT NOT NULL,
                                   issued_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS media (media_id TEXT PRIMARY KEY, appid TEXT NOT NULL, kind TEXT NOT NULL,
                                  name TEXT NOT NULL, mime TEXT NOT NULL, url TEXT NOT NULL, data BLOB NOT NULL,
                                  created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS drafts (media_id TEXT PRIMARY KEY, appid TEXT NOT NULL, articles TEXT NOT NULL,
                                   created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS publishes (publish_id INTEGER PRIMARY KEY AUTOINCREMENT, appid TEXT NOT NULL,
                                      draft_media_id TEXT NOT NULL, articles TEXT NOT NULL, status INTEGER NOT NULL,
                                      article_id TEXT, urls TEXT NOT NULL DEFAULT '[]', created_at REAL NOT NULL,
                                      finished_at REAL, event_status TEXT NOT NULL DEFAULT '',
                                      fail_idx TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS quotas (appid TEXT NOT NULL, day TEXT NOT NULL, endpoint TEXT NOT NULL,
                                   used INTEGER NOT NULL, PRIMARY KEY (appid, day, endpoint));
CREATE TABLE IF NOT EXISTS force_refresh (appid TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS faults (id INTEGER PRIMARY KEY AUTOINCREMENT, endpoint TEXT NOT NULL, kind TEXT NOT NULL,
                                   remaining INTEGER NOT NULL, seconds REAL NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, endpoint TEXT NOT NULL,
                                  errcode INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS clock (offset REAL NOT NULL);
CREATE TABLE IF NOT EXISTS used_up (appid TEXT NOT NULL, day TEXT NOT NULL, endpoint TEXT NOT NULL,
                                    PRIMARY KEY (appid, day, endpoint));
CREATE TABLE IF NOT EXISTS publish_outcomes (id INTEGER PRIMARY KEY AUTOINCREMENT, appid TEXT NOT NULL,
                                             draft_media_id TEXT NOT NULL DEFAULT '', status INTEGER NOT NULL,
                                             fail_idx TEXT NOT NULL DEFAULT '[]');
"""

# Daily quotas per endpoint (reference/wechat-api.md §6); None = not documented, not limited here.
DEFAULT_QUOTAS: dict[str, int | None] = {
    "token": 2000, "stable_token": 500_000,
    "draft/add": 1000, "draft/get": 500, "draft/delete": 1000, "draft/update": 1000, "draft/count": 1000,
    "draft/batchget": 1000,
    "freepublish/submit": 100, "freepublish/get": 100, "freepublish/delete": 10, "freepublish/getarticle": 100,
    "freepublish/batchget": 100,
    "media/uploadimg": None, "material/add_material": None, "material/get_materialcount": None,
    "material/batchget_material": None, "material/del_material": None, "material/get_material": None,
    # analytics: the daily limit is not documented in our reference (UNCONFIRMED); the sandbox allows this many
    "datacube/getarticletotaldetail": 1000, "datacube/getarticleread": 1000, "datacube/getarticleshare": 1000,
    "datacube/getbizsummary": 1000,
}


@dataclass
class SandboxAccount:
    """One emulated official account. ``verified=False`` makes publish calls answer 48001, as for a personal
    or unverified account."""

    appid: str = "wx_sandbox"
    secret: str = "sandbox-secret"
    account_id: str = "gh_sandbox0001"  # the account's original id (gh_…), the ToUserName of its events
    webhook_url: str = ""  # where its PUBLISHJOBFINISH events go
    webhook_token: str = ""
    webhook_aes_key: str = ""  # set: events are AES-encrypted (safe mode)
    verified: bool = True
    kind: str = "subscription"  # or "service": how often it may mass-send (sandbox/mass.py)
    followers: int = 1200  # how many a mass send to everyone reaches
    phones: tuple[str, ...] = ("wxid_sandbox_reader",)  # WeChat IDs that follow it: previews may go there


@dataclass
class SandboxSettings:
    db_path: str
    accounts: list[SandboxAccount] = field(default_factory=lambda: [SandboxAccount()])
    verified: bool = True  # false: every account answers 48001 to publishing (tests flip it)
    publish_delay: float = 1.0  # seconds until a submitted publish job finishes
    quotas: dict[str, int | None] = field(default_factory=lambda: dict(DEFAULT_QUOTAS))
    public_url: str = ""  # base of page links; default: the address requests come in on
    limits: str = "documented"  # the title/author/digest limits: "documented" (characters) or "reported" (bytes)
    # Whether a draft survives a failed publish job is not known (reference/wechat-api.md §11): both can be tried.
    failed_publish_keeps_draft: bool = True
    mass_delay: float = 1.0  # seconds until an accepted mass send finishes (MASSSENDJOBFINISH)
    mass_outcome: str = "success"  # how mass sends end: success, fail, check_fail (CheckState 3), err(N)
    # datacube: a day's figures are final (is_delay false) from this hour of the next day, Beijing time (WeChat: ~8)
    datacube_final_hour: float = 8.0
    clock: Callable[[], float] = time.time  # the sandbox's time (plus the offset /sandbox/clock moves): tests inject

    def account(self, appid: str) -> SandboxAccount | None:
        return next((account for account in self.accounts if account.appid == appid), None)

    @property
    def appid(self) -> str:
        """The first account's app id (the only one, for most uses)."""
        return self.accounts[0].appid

    @property
    def secret(self) -> str:
        return self.accounts[0].secret


class SandboxState(PublishRecords):
    """A thin layer over one SQLite file; one connection per thread (publish jobs: :mod:`.publishes`)."""

    def __init__(self, settings: SandboxSettings):
        self.settings = settings
        Path(os.path.dirname(os.path.abspath(settings.db_path))).mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._upgrade()
        self.connection().executescript(SCHEMA)
        with self.transaction() as db:
            if db.execute("SELECT COUNT(*) FROM clock").fetchone()[0] == 0:
                db.execute("INSERT INTO clock (offset) VALUES (0)")

    def _upgrade(self) -> None:
        """A sandbox file from an older version starts afresh: it is emulator data, not the account's."""
        db = self.connection()
        if db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                               "AND name NOT LIKE 'sqlite_%'")]
        for table in tables:
            db.execute(f"DROP TABLE {table}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.settings.db_path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # ---- time (tests move it forward to expire tokens) ---------------------------------------------

    def now(self) -> float:
        offset = self.connection().execute("SELECT offset FROM clock").fetchone()[0]
        return self.settings.clock() + offset

    def advance_clock(self, seconds: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE clock SET offset = offset + ?", (seconds,))

    def today(self) -> str:
        # WeChat's quotas reset at midnight Beijing time
        return time.strftime("%Y-%m-%d", time.gmtime(self.now() + 8 * 3600))

    # ---- quotas, faults, the call log ---------------------------------------------------------------

    def take_quota(self, appid: str, endpoint: str) -> bool:
        """Count one call of an account; False when its quota for the day is already used up."""
        limit = self.settings.quotas.get(endpoint)
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM used_up WHERE appid = ? AND day = ? AND endpoint = ?",
                          (appid, self.today(), endpoint)).fetchone():
                return False
            row = db.execute("SELECT used FROM quotas WHERE appid = ? AND day = ? AND endpoint = ?",
                             (appid, self.today(), endpoint)).fetchone()
            used = row["used"] if row else 0
            if limit is not None and used >= limit:
                return False
            db.execute("INSERT INTO quotas (appid, day, endpoint, used) VALUES (?, ?, ?, 1) "
                       "ON CONFLICT (appid, day, endpoint) DO UPDATE SET used = used + 1",
                       (appid, self.today(), endpoint))
        return True

    def use_up_quota(self, appid: str, endpoint: str) -> None:
        """The account's quota for ``endpoint`` is used up until the sandbox's day ends (an injected 45009)."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO used_up (appid, day, endpoint) VALUES (?, ?, ?)",
                       (appid, self.today(), endpoint))

    def quota_used(self, appid: str, endpoint: str) -> int:
        row = self.connection().execute("SELECT used FROM quotas WHERE appid = ? AND day = ? AND endpoint = ?",
                                        (appid, self.today(), endpoint)).fetchone()
        return row["used"] if row else 0

    def add_fault(self, endpoint: str, kind: str, times: int = 1, seconds: float = 0) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO faults (endpoint, kind, remaining, seconds) VALUES (?, ?, ?, ?)",
                       (endpoint, kind, times, seconds))

    def take_fault(self, endpoint: str) -> sqlite3.Row | None:
        with self.transaction() as db:
            row = db.execute("SELECT * FROM faults WHERE (endpoint = ? OR endpoint = '*') AND remaining > 0 "
                             "ORDER BY id LIMIT 1", (endpoint,)).fetchone()
            if row:
                db.execute("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", (row["id"],))
        return row

    def clear_faults(self) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM faults")

    def faults(self) -> list[dict]:
        return [dict(r) for r in self.connection().execute("SELECT * FROM faults WHERE remaining > 0")]

    def log_call(self, endpoint: str, errcode: int) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO calls (at, endpoint, errcode) VALUES (?, ?, ?)", (time.time(), endpoint, errcode))

    def call_counts(self) -> dict[str, int]:
        rows = self.connection().execute("SELECT endpoint, COUNT(*) AS n FROM calls GROUP BY endpoint")
        return {row["endpoint"]: row["n"] for row in rows}

    def reset_calls(self) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM calls")

    # ---- tokens -----------------------------------------------------------------------------------

    def issue_token(self, appid: str, kind: str, lifetime: float = 7200) -> tuple[str, float]:
        token = f"{int(self.now()) % 100}_" + secrets.token_urlsafe(96)
        now = self.now()
        with self.transaction() as db:
            if kind == "plain":  # a new plain token ends the account's old ones 5 minutes later
                db.execute("UPDATE tokens SET expires_at = MIN(expires_at, ?) WHERE kind = 'plain' AND appid = ?",
                           (now + 300, appid))
            db.execute("INSERT INTO tokens (token, appid, kind, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                       (token, appid, kind, now, now + lifetime))
        return token, now + lifetime

    def newest_token(self, appid: str, kind: str) -> sqlite3.Row | None:
        return self.connection().execute("SELECT * FROM tokens WHERE appid = ? AND kind = ? "
                                         "ORDER BY issued_at DESC LIMIT 1", (appid, kind)).fetchone()

    def token(self, value: str) -> sqlite3.Row | None:
        return self.connection().execute("SELECT * FROM tokens WHERE token = ?", (value,)).fetchone()

    def superseded(self, row: sqlite3.Row) -> bool:
        """Whether a newer token of the same account and kind was issued after this one."""
        return self.connection().execute("SELECT 1 FROM tokens WHERE appid = ? AND kind = ? AND issued_at > ?",
                                         (row["appid"], row["kind"], row["issued_at"])).fetchone() is not None

    def expire_tokens(self, appid: str, kind: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE tokens SET expires_at = MIN(expires_at, ?) WHERE appid = ? AND kind = ?",
                       (self.now(), appid, kind))

    def force_refreshes_today(self, appid: str) -> list[float]:
        day_start = self.now() - 86400
        return [r["at"] for r in self.connection().execute("SELECT at FROM force_refresh WHERE appid = ? AND at > ?",
                                                           (appid, day_start))]

    def note_force_refresh(self, appid: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO force_refresh (appid, at) VALUES (?, ?)", (appid, self.now()))

    # ---- media ------------------------------------------------------------------------------------

    def add_media(self, appid: str, kind: str, name: str, mime: str, url_for, data: bytes) -> tuple[str, str]:
        media_id = secrets.token_urlsafe(48)[:64]
        url = url_for(media_id)
        with self.transaction() as db:
            db.execute("INSERT INTO media (media_id, appid, kind, name, mime, url, data, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (media_id, appid, kind, name, mime, url, data, self.now()))
        return media_id, url

    def media(self, media_id: str, appid: str | None = None) -> sqlite3.Row | None:
        row = self.connection().execute("SELECT * FROM media WHERE media_id = ?", (media_id,)).fetchone()
        return row if row is not None and appid in (None, row["appid"]) else None

    def media_list(self, appid: str, kind: str, offset: int, count: int) -> tuple[int, list[sqlite3.Row]]:
        db = self.connection()
        total = db.execute("SELECT COUNT(*) FROM media WHERE appid = ? AND kind = ?", (appid, kind)).fetchone()[0]
        rows = db.execute("SELECT media_id, name, url, created_at FROM media WHERE appid = ? AND kind = ? "
                          "ORDER BY created_at DESC LIMIT ? OFFSET ?", (appid, kind, count, offset)).fetchall()
        return total, rows

    def media_counts(self, appid: str) -> dict[str, int]:
        rows = self.connection().execute("SELECT kind, COUNT(*) AS n FROM media WHERE appid = ? GROUP BY kind",
                                         (appid,))
        return {row["kind"]: row["n"] for row in rows}

    def delete_media(self, appid: str, media_id: str) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM media WHERE media_id = ? AND appid = ? AND kind != 'uploadimg'",
                              (media_id, appid)).rowcount == 1

    # ---- drafts -----------------------------------------------------------------------------------

    def add_draft(self, appid: str, articles: list[dict]) -> str:
        media_id = secrets.token_urlsafe(32)[:43]
        now = self.now()
        with self.transaction() as db:
            db.execute("INSERT INTO drafts (media_id, appid, articles, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                       (media_id, appid, json.dumps(articles, ensure_ascii=False), now, now))
        return media_id

    def draft(self, media_id: str, appid: str | None = None) -> dict | None:
        row = self.connection().execute("SELECT * FROM drafts WHERE media_id = ?", (media_id,)).fetchone()
        if row is None or appid not in (None, row["appid"]):
            return None
        return {**dict(row), "articles": json.loads(row["articles"])}

    def update_draft(self, media_id: str, articles: list[dict]) -> None:
        with self.transaction() as db:
            db.execute("UPDATE drafts SET articles = ?, updated_at = ? WHERE media_id = ?",
                       (json.dumps(articles, ensure_ascii=False), self.now(), media_id))

    def delete_draft(self, media_id: str, appid: str | None = None) -> bool:
        with self.transaction() as db:
            return db.execute("DELETE FROM drafts WHERE media_id = ? AND appid = COALESCE(?, appid)",
                              (media_id, appid)).rowcount == 1

    def restore_draft(self, appid: str, media_id: str, articles: list[dict], created_at: float) -> None:
        """A draft a failed publish job leaves in the draft box (when the settings say it does)."""
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO drafts (media_id, appid, articles, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?)", (media_id, appid, json.dumps(articles, ensure_ascii=False),
                                                  created_at, self.now()))

    def drafts(self, offset: int = 0, count: int = 20, appid: str | None = None) -> tuple[int, list[dict]]:
        db = self.connection()
        where, args = ("WHERE appid = ?", (appid,)) if appid else ("", ())
        total = db.execute(f"SELECT COUNT(*) FROM drafts {where}", args).fetchone()[0]
        rows = db.execute(f"SELECT * FROM drafts {where} ORDER BY updated_at DESC, media_id LIMIT ? OFFSET ?",
                          (*args, count, offset)).fetchall()
        return total, [{**dict(r), "articles": json.loads(r["articles"])} for r in rows]
