"""Analytics (数据统计, ``datacube``): https://developers.weixin.qq.com/doc/subscription/api/wedata/news/api_getarticletotaldetail.html
(reference/wechat-reach.md §6). The four current endpoints; the older ones (getarticlesummary, getuserread, ...) are
no longer maintained by WeChat and not used.

Each takes ``{"begin_date", "end_date"}`` (YYYY-MM-DD, Beijing dates; the end date is yesterday at the latest) and
answers ``list`` plus ``is_delay`` (true: the figures are not final yet, ask again later). They live beside
``/cgi-bin/``, at ``/datacube/`` (the client routes them), and only verified accounts may call them (48001).
Unknown fields are kept (``extra``), never a failure: WeChat adds fields without notice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from wechat_pub.wechat.base import APIGroup

# read_user_source's user_source codes, as the older getarticleread documents them, folded to what the team asks:
# chat (会话), home (公众号主页/历史消息), share (好友转发, 朋友圈), search (搜一搜), other (看一看, 其他, unknown).
SOURCES = ("chat", "home", "share", "search", "other")
SOURCE_CODES = {0: "chat", 1: "share", 2: "share", 4: "home", 7: "search"}
KNOWN_TOTALS = ("read_user", "share_user", "like_user", "zaikan_user", "comment_count", "collection_user")


MAX_COUNT = 2**31 - 1  # what a database INTEGER holds: a larger figure from WeChat is capped, not a failed day


def source_name(code: object) -> str:
    """One of :data:`SOURCES` for a user_source code (anything unexpected is 'other')."""
    try:
        return SOURCE_CODES.get(int(code), "other")
    except (TypeError, ValueError):
        return "other"


def _count(value: object) -> int:
    """A figure as WeChat sends it (int, or a numeric string); anything else counts 0, never a failure."""
    try:
        return min(max(int(value), 0), MAX_COUNT)
    except (TypeError, ValueError, OverflowError):  # OverflowError: 1e999 reads as inf
        return 0


@dataclass(frozen=True)
class DayTotals:
    """An article's totals from its publication to ``stat_date`` (not that day's alone)."""

    stat_date: str
    read_user: int = 0
    by_source: dict[str, int] = field(default_factory=dict)
    share_user: int = 0
    like_user: int = 0
    zaikan_user: int = 0
    comment_count: int = 0
    collection_user: int = 0
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ArticleTotals:
    """One published piece: ``msgid`` is ``<msg_data_id>_<index>`` (index 1-based within its send)."""

    ref_date: str
    msgid: str
    publish_type: int  # 0: followers were notified (sent), 1: only published
    title: str
    days: tuple[DayTotals, ...]

    @property
    def msg_data_id(self) -> str:
        return self.msgid.rsplit("_", 1)[0]

    @property
    def index(self) -> int:
        tail = self.msgid.rsplit("_", 1)[-1]
        # an article's 1-based place in its send (at most 8 in WeChat); anything else, however large, is the first
        return int(tail) if "_" in self.msgid and tail.isascii() and tail.isdigit() and len(tail) <= 3 else 1


@dataclass(frozen=True)
class Answer:
    """What a datacube call returned: its rows and whether WeChat still counts (``is_delay``)."""

    rows: list
    is_delay: bool


def parse_day(entry: dict) -> DayTotals:
    sources = {name: 0 for name in SOURCES}
    for part in entry.get("read_user_source") or []:
        if isinstance(part, dict):
            sources[source_name(part.get("user_source"))] += _count(part.get("read_user"))
    known = {name: _count(entry.get(name)) for name in KNOWN_TOTALS}
    extra = {k: v for k, v in entry.items() if k not in (*KNOWN_TOTALS, "stat_date", "read_user_source")}
    return DayTotals(stat_date=str(entry.get("stat_date", "")), by_source=sources, extra=extra, **known)


def is_date(text: object) -> bool:
    """A day as WeChat writes it (YYYY-MM-DD, a real date): anything else is left out, not stored."""
    try:
        return isinstance(text, str) and len(text) == 10 and dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def parse_article(entry: dict) -> ArticleTotals:
    days = tuple(parse_day(day) for day in entry.get("detail_list") or []
                 if isinstance(day, dict) and is_date(day.get("stat_date")))
    return ArticleTotals(ref_date=str(entry.get("ref_date", "")), msgid=str(entry.get("msgid", "")),
                         publish_type=_count(entry.get("publish_type")), title=str(entry.get("title", "")), days=days)


def _dates(begin: dt.date, end: dt.date) -> dict:
    return {"begin_date": begin.isoformat(), "end_date": end.isoformat()}


class DataCube(APIGroup):
    def _ask(self, name: str, begin: dt.date, end: dt.date) -> dict:
        return self._post(f"datacube/{name}", _dates(begin, end))

    def getarticletotaldetail(self, begin: dt.date, end: dt.date) -> Answer:
        """Every piece published between the dates, each with its totals per day since publication (30 days)."""
        answer = self._ask("getarticletotaldetail", begin, end)
        rows = [parse_article(entry) for entry in answer.get("list") or [] if isinstance(entry, dict)]
        return Answer(rows, bool(answer.get("is_delay")))

    def getarticleread(self, begin: dt.date, end: dt.date) -> Answer:
        """Reads per day, by source: rows of ``{"ref_date", "user_source", "read_user", ...}`` as WeChat sends them."""
        answer = self._ask("getarticleread", begin, end)
        return Answer([row for row in answer.get("list") or [] if isinstance(row, dict)], bool(answer.get("is_delay")))

    def getarticleshare(self, day: dt.date) -> Answer:
        """Shares of one day (a one-day range; data from 2025-11-01 on)."""
        answer = self._ask("getarticleshare", day, day)
        return Answer([row for row in answer.get("list") or [] if isinstance(row, dict)], bool(answer.get("is_delay")))

    def getbizsummary(self, begin: dt.date, end: dt.date) -> Answer:
        """The account's totals per day."""
        answer = self._ask("getbizsummary", begin, end)
        return Answer([row for row in answer.get("list") or [] if isinstance(row, dict)], bool(answer.get("is_delay")))
