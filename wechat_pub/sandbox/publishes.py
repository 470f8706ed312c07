"""The sandbox's publish jobs (``freepublish/*``): started from a draft, finished with URLs or failed as set for
the account or the draft. Part of :class:`wechat_pub.sandbox.state.SandboxState`, which brings the connection,
transactions and the clock."""

from __future__ import annotations

import json
import sqlite3

ID_OFFSET = 2247483000  # real publish ids are large integers


class PublishRecords:
    def start_publish(self, draft: dict) -> int:
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO publishes (appid, draft_media_id, articles, status, created_at) "
                                "VALUES (?, ?, ?, 1, ?)", (draft["appid"], draft["media_id"],
                                                          json.dumps(draft["articles"], ensure_ascii=False),
                                                          draft["created_at"]))
            db.execute("DELETE FROM drafts WHERE media_id = ?", (draft["media_id"],))
            return cursor.lastrowid + ID_OFFSET  # real publish ids are large integers

    def publish(self, publish_id: int, appid: str | None = None) -> dict | None:
        row = self.connection().execute("SELECT * FROM publishes WHERE publish_id = ?",
                                        (publish_id - ID_OFFSET,)).fetchone()
        return _publish_dict(row) if row and appid in (None, row["appid"]) else None

    def publish_by_article(self, article_id: str, appid: str | None = None) -> dict | None:
        row = self.connection().execute("SELECT * FROM publishes WHERE article_id = ?", (article_id,)).fetchone()
        return _publish_dict(row) if row and appid in (None, row["appid"]) else None

    def set_publish_outcome(self, appid: str, status: int, fail_idx: list[int], draft_media_id: str = "") -> None:
        """The next publish job of this account (or of this draft) ends with ``status`` (2, 3, 4 or 6 fail)."""
        with self.transaction() as db:
            db.execute("INSERT INTO publish_outcomes (appid, draft_media_id, status, fail_idx) VALUES (?, ?, ?, ?)",
                       (appid, draft_media_id, status, json.dumps(fail_idx)))

    def take_publish_outcome(self, appid: str, draft_media_id: str) -> tuple[int, list[int]] | None:
        """A set outcome for this job (one for its draft first), used once; None: it succeeds."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM publish_outcomes WHERE appid = ? AND draft_media_id IN ('', ?) "
                             "ORDER BY draft_media_id = '', id LIMIT 1", (appid, draft_media_id)).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM publish_outcomes WHERE id = ?", (row["id"],))
        return row["status"], json.loads(row["fail_idx"])

    def fail_publish(self, publish_id: int, status: int, fail_idx: list[int]) -> None:
        with self.transaction() as db:
            db.execute("UPDATE publishes SET status = ?, fail_idx = ?, finished_at = ? WHERE publish_id = ?",
                       (status, json.dumps(fail_idx), self.now(), publish_id - ID_OFFSET))

    def finish_publish(self, publish_id: int, article_id: str, urls: list[str]) -> None:
        with self.transaction() as db:
            db.execute("UPDATE publishes SET status = 0, article_id = ?, urls = ?, finished_at = ? WHERE publish_id = ?",
                       (article_id, json.dumps(urls), self.now(), publish_id - ID_OFFSET))

    def unfinished_publishes(self) -> list[dict]:
        rows = self.connection().execute("SELECT * FROM publishes WHERE status = 1").fetchall()
        return [_publish_dict(r) for r in rows]

    def set_publish_articles(self, publish_id: int, articles: list[dict], status: int | None = None) -> None:
        with self.transaction() as db:
            db.execute("UPDATE publishes SET articles = ?, status = COALESCE(?, status) WHERE publish_id = ?",
                       (json.dumps(articles, ensure_ascii=False), status, publish_id - ID_OFFSET))

    def note_event(self, publish_id: int, outcome: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE publishes SET event_status = ? WHERE publish_id = ?", (outcome, publish_id - ID_OFFSET))

    def published(self, offset: int = 0, count: int = 20, appid: str | None = None) -> tuple[int, list[dict]]:
        db = self.connection()
        where, args = ("AND appid = ?", (appid,)) if appid else ("", ())
        total = db.execute(f"SELECT COUNT(*) FROM publishes WHERE status = 0 {where}", args).fetchone()[0]
        rows = db.execute(f"SELECT * FROM publishes WHERE status = 0 {where} ORDER BY finished_at DESC "
                          "LIMIT ? OFFSET ?", (*args, count, offset)).fetchall()
        return total, [_publish_dict(r) for r in rows]

def _publish_dict(row: sqlite3.Row) -> dict:
    data = dict(row)
    data["publish_id"] = row["publish_id"] + ID_OFFSET
    data["articles"] = json.loads(row["articles"])
    data["urls"] = json.loads(row["urls"])
    data["fail_idx"] = json.loads(row["fail_idx"])
    return data
