"""Images WeChat already has, by the sha256 of their original bytes, per account: an unchanged image is never
uploaded twice. ``uploadimg`` rows are body images (a URL), ``material`` rows covers (a media_id and URL)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import uploads


@dataclass(frozen=True)
class Upload:
    url: str
    media_id: str
    width: int | None


class UploadCache:
    def __init__(self, db: StateDatabase, appid: str, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.clock = clock

    def get(self, sha256: str, kind: str) -> Upload | None:
        with self.db.connect() as conn:
            row = conn.execute(select(uploads.c.url, uploads.c.media_id, uploads.c.width).where(
                uploads.c.appid == self.appid, uploads.c.sha256 == sha256, uploads.c.kind == kind)).first()
        return Upload(row.url, row.media_id, row.width) if row else None

    def put(self, sha256: str, kind: str, url: str = "", media_id: str = "", width: int | None = None) -> None:
        row = {"appid": self.appid, "sha256": sha256, "kind": kind, "url": url, "media_id": media_id,
               "width": width, "created_at": self.clock.time()}
        with self.db.begin() as conn:
            conn.execute(self.db.upsert(uploads, row))

    def forget(self, sha256: str, kind: str) -> None:
        with self.db.begin() as conn:
            conn.execute(delete(uploads).where(uploads.c.appid == self.appid, uploads.c.sha256 == sha256,
                                               uploads.c.kind == kind))
