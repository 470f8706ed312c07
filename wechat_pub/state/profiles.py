"""What a console user keeps in their profile: their WeChat ID (微信号), where "send to my phone" previews go, and
the console's language they chose ("" until they choose: the deployment's ``console.language``)."""

from __future__ import annotations

from sqlalchemy import select

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import profiles


class Profiles:
    def __init__(self, db: StateDatabase, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.clock = clock

    def wechat_id(self, user: str) -> str:
        with self.db.connect() as conn:
            found = conn.execute(select(profiles.c.wechat_id).where(profiles.c.user == user)).scalar()
        return found or ""

    def set_wechat_id(self, user: str, wechat_id: str) -> None:
        with self.db.begin() as conn:
            conn.execute(self.db.upsert(profiles, {"user": user, "wechat_id": wechat_id,
                                                   "updated_at": self.clock.time()}, ("wechat_id", "updated_at")))

    def language(self, user: str) -> str:
        with self.db.connect() as conn:
            found = conn.execute(select(profiles.c.language).where(profiles.c.user == user)).scalar()
        return found or ""

    def set_language(self, user: str, language: str) -> None:
        """Keep ``user``'s choice (checked by the caller against the console's languages)."""
        with self.db.begin() as conn:
            conn.execute(self.db.upsert(profiles, {"user": user, "wechat_id": "", "language": language,
                                                   "updated_at": self.clock.time()}, ("language", "updated_at")))
