"""What the sandbox remembers of mass sends (群发) and phone previews, in the sandbox's own SQLite file, beside
:mod:`.state`'s tables (its own tables, so the emulator's core schema stays as it is)."""

from __future__ import annotations

import json
import sqlite3

from wechat_pub.sandbox.state import SandboxState

SCHEMA = """
CREATE TABLE IF NOT EXISTS mass_sends (id INTEGER PRIMARY KEY AUTOINCREMENT, appid TEXT NOT NULL,
                                       clientmsgid TEXT NOT NULL DEFAULT '', draft_media_id TEXT NOT NULL,
                                       articles TEXT NOT NULL, to_all INTEGER NOT NULL, tag_id INTEGER,
                                       status TEXT NOT NULL, urls TEXT NOT NULL DEFAULT '[]', day TEXT NOT NULL,
                                       created_at REAL NOT NULL, finished_at REAL, event_status TEXT NOT NULL
                                       DEFAULT '', outcome TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS mass_previews (id INTEGER PRIMARY KEY AUTOINCREMENT, appid TEXT NOT NULL,
                                          towxname TEXT NOT NULL, draft_media_id TEXT NOT NULL, title TEXT NOT NULL,
                                          day TEXT NOT NULL, created_at REAL NOT NULL);
"""
MSG_ID_BASE = 1_000_000_000  # real msg_ids are large integers
DATA_ID_BASE = 2_247_000_000


class MassStore:
    def __init__(self, state: SandboxState):
        self.state = state
        state.connection().executescript(SCHEMA)

    # ---- sends ------------------------------------------------------------------------------------------

    def by_clientmsgid(self, appid: str, clientmsgid: str, since: float) -> dict | None:
        row = self.state.connection().execute(
            "SELECT * FROM mass_sends WHERE appid = ? AND clientmsgid = ? AND clientmsgid != '' AND created_at > ? "
            "ORDER BY id LIMIT 1", (appid, clientmsgid, since)).fetchone()
        return _send(row) if row else None

    def sends_since(self, appid: str, since: float) -> int:
        """Sends of the account that count against its quota (accepted, not failed) since ``since``."""
        return self.state.connection().execute(
            "SELECT COUNT(*) FROM mass_sends WHERE appid = ? AND created_at >= ? AND status != 'SEND_FAIL'",
            (appid, since)).fetchone()[0]

    def sends_today(self, appid: str) -> int:
        return self.state.connection().execute(
            "SELECT COUNT(*) FROM mass_sends WHERE appid = ? AND day = ? AND status != 'SEND_FAIL'",
            (appid, self.state.today())).fetchone()[0]

    def add_send(self, appid: str, clientmsgid: str, draft: dict, tag_id: int | None) -> dict:
        with self.state.transaction() as db:
            cursor = db.execute(
                "INSERT INTO mass_sends (appid, clientmsgid, draft_media_id, articles, to_all, tag_id, status, day, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, 'SENDING', ?, ?)",
                (appid, clientmsgid, draft["media_id"], json.dumps(draft["articles"], ensure_ascii=False),
                 int(tag_id is None), tag_id, self.state.today(), self.state.now()))
            row = db.execute("SELECT * FROM mass_sends WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _send(row)

    def send(self, msg_id: int, appid: str | None = None) -> dict | None:
        row = self.state.connection().execute("SELECT * FROM mass_sends WHERE id = ?",
                                              (msg_id - MSG_ID_BASE,)).fetchone()
        return _send(row) if row and appid in (None, row["appid"]) else None

    def finish(self, msg_id: int, status: str, urls: list[str], outcome: str) -> bool:
        """Ends a send still SENDING; False when it was deleted meanwhile (the delete stands)."""
        with self.state.transaction() as db:
            return db.execute(
                "UPDATE mass_sends SET status = ?, urls = ?, finished_at = ?, outcome = ? "
                "WHERE id = ? AND status = 'SENDING'",
                (status, json.dumps(urls), self.state.now(), outcome, msg_id - MSG_ID_BASE)).rowcount == 1

    def set_status(self, msg_id: int, status: str) -> None:
        with self.state.transaction() as db:
            db.execute("UPDATE mass_sends SET status = ? WHERE id = ?", (status, msg_id - MSG_ID_BASE))

    def note_event(self, msg_id: int, event_status: str) -> None:
        with self.state.transaction() as db:
            db.execute("UPDATE mass_sends SET event_status = ? WHERE id = ?", (event_status, msg_id - MSG_ID_BASE))

    def unfinished(self) -> list[dict]:
        rows = self.state.connection().execute("SELECT * FROM mass_sends WHERE status = 'SENDING'").fetchall()
        return [_send(row) for row in rows]

    def sends(self, appid: str | None = None) -> list[dict]:
        where, args = ("WHERE appid = ?", (appid,)) if appid else ("", ())
        rows = self.state.connection().execute(f"SELECT * FROM mass_sends {where} ORDER BY id", args).fetchall()
        return [_send(row) for row in rows]

    # ---- previews ---------------------------------------------------------------------------------------

    def previews_today(self, appid: str) -> int:
        return self.state.connection().execute("SELECT COUNT(*) FROM mass_previews WHERE appid = ? AND day = ?",
                                               (appid, self.state.today())).fetchone()[0]

    def add_preview(self, appid: str, towxname: str, draft: dict) -> int:
        with self.state.transaction() as db:
            cursor = db.execute("INSERT INTO mass_previews (appid, towxname, draft_media_id, title, day, created_at) "
                                "VALUES (?, ?, ?, ?, ?, ?)", (appid, towxname, draft["media_id"],
                                                              draft["articles"][0]["title"], self.state.today(),
                                                              self.state.now()))
        return cursor.lastrowid + MSG_ID_BASE + 500_000_000

    def previews(self, appid: str | None = None) -> list[dict]:
        where, args = ("WHERE appid = ?", (appid,)) if appid else ("", ())
        rows = self.state.connection().execute(f"SELECT * FROM mass_previews {where} ORDER BY id", args).fetchall()
        return [dict(row) for row in rows]


def _send(row: sqlite3.Row) -> dict:
    data = dict(row)
    data["msg_id"] = row["id"] + MSG_ID_BASE
    data["msg_data_id"] = row["id"] + DATA_ID_BASE
    data["articles"] = json.loads(row["articles"])
    data["urls"] = json.loads(row["urls"])
    return data
