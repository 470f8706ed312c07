"""Phone previews (``message/mass/preview``): WeChat allows 100 a day per account, counted here so the console and
`doctor` can show what is left before WeChat refuses. Whose phone is kept only as a hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo

from sqlalchemy import func, select

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import history, previews

PREVIEWS_A_DAY = 100  # reference/wechat-reach.md §3
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")  # WeChat's quotas reset at midnight Beijing time


class PhonePreviews:
    def __init__(self, db: StateDatabase, appid: str, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.clock = clock

    def today(self) -> str:
        return dt.datetime.fromtimestamp(self.clock.time(), BEIJING).strftime("%Y-%m-%d")

    def used_today(self) -> int:
        with self.db.connect() as conn:
            return conn.execute(select(func.count()).select_from(previews).where(
                previews.c.appid == self.appid, previews.c.day == self.today())).scalar_one()

    def left_today(self) -> int:
        return max(PREVIEWS_A_DAY - self.used_today(), 0)

    def sent(self, issue: int, wechat_id: str, by: str) -> None:
        hashed = hashlib.sha256(f"{self.appid}:{wechat_id}".encode()).hexdigest()
        now = self.clock.time()
        with self.db.begin() as conn:
            conn.execute(previews.insert().values(appid=self.appid, issue=issue, wechat_id_hash=hashed, by=by,
                                                  at=now, day=self.today()))
            conn.execute(history.insert().values(appid=self.appid, issue=issue, at=now, event="phone-preview",
                                                 detail=f"by {by}" if by else ""))
