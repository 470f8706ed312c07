"""What wechat-pub keeps of the analytics (datacube): each article's totals per day, tied to its issue and part;
which (publication day, day asked for) pairs were fetched, so each is fetched once however many processes or
hosts ask; the day's datacube calls, so the quota is never passed; an account's standing note ("analytics need a
verified account"); and the weeks the weekly note went out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import func, select, update

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.querysummary import DAY, day_of
from wechat_pub.state.schema import (
    analytics_accounts,
    analytics_fetches,
    article_stats,
    queries,
    query_days,
    weekly_notes,
)

FIGURES = ("read_user", "read_chat", "read_home", "read_share", "read_search", "read_other", "share_user",
           "like_user", "zaikan_user", "comment_count", "collection_user")
SOURCE_COLUMNS = {"chat": "read_chat", "home": "read_home", "share": "read_share", "search": "read_search",
                  "other": "read_other"}


@dataclass
class IssueFigures:
    """An issue's totals (its parts added up) by the day they run to, from its publication on."""

    issue: int
    ref_date: str
    parts: set[int] = field(default_factory=set)
    days: dict[str, dict[str, int]] = field(default_factory=dict)  # stat_date -> figure -> total
    delayed: bool = False  # the newest figures were not final when fetched

    @property
    def latest(self) -> dict[str, int]:
        return self.days[max(self.days)] if self.days else {name: 0 for name in FIGURES}

    @property
    def last_date(self) -> str:
        return max(self.days) if self.days else self.ref_date


class AnalyticsStore:
    def __init__(self, db: StateDatabase, appid: str, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.clock = clock

    # ---- figures ------------------------------------------------------------------------------------------

    def save(self, articles, issue_of: dict[str, int], is_delay: bool) -> int:
        """Keep every day's totals of ``articles`` (:class:`~wechat_pub.wechat.datacube.ArticleTotals`);
        ``issue_of`` ties a msg_data_id to its issue. Returns the rows written."""
        now, written = self.clock.time(), 0
        with self.db.begin() as conn:
            for article in articles:
                for day in article.days:
                    row = {"appid": self.appid, "msgid": article.msgid[:64], "stat_date": day.stat_date[:10],
                           "ref_date": article.ref_date[:10], "issue": issue_of.get(article.msg_data_id, 0),
                           "part": article.index, "publish_type": article.publish_type,
                           "read_user": day.read_user, "share_user": day.share_user, "like_user": day.like_user,
                           "zaikan_user": day.zaikan_user, "comment_count": day.comment_count,
                           "collection_user": day.collection_user, "is_delay": int(is_delay), "fetched_at": now,
                           "extra": json.dumps(day.extra, ensure_ascii=False, default=str)[:4000]}
                    row.update({column: day.by_source.get(name, 0) for name, column in SOURCE_COLUMNS.items()})
                    conn.execute(self.db.upsert(article_stats, row))
                    written += 1
        return written

    def issues(self, since_date: str = "") -> dict[int, IssueFigures]:
        """Every issue's figures whose days run from ``since_date`` on (one query, bounded by the index)."""
        where = [article_stats.c.appid == self.appid, article_stats.c.issue > 0]
        if since_date:
            where.append(article_stats.c.stat_date >= since_date)
        columns = [article_stats.c[name] for name in ("issue", "part", "ref_date", "stat_date", "is_delay", *FIGURES)]
        with self.db.connect() as conn:
            rows = conn.execute(select(*columns).where(*where)).all()
        found: dict[int, IssueFigures] = {}
        for row in rows:
            figures = found.setdefault(row.issue, IssueFigures(row.issue, row.ref_date))
            figures.ref_date = min(figures.ref_date, row.ref_date)
            figures.parts.add(row.part)
            day = figures.days.setdefault(row.stat_date, {name: 0 for name in FIGURES})
            for name in FIGURES:
                day[name] += getattr(row, name)
        for row in rows:  # delayed: the issue's newest day was not final
            if row.is_delay and row.stat_date == found[row.issue].last_date:
                found[row.issue].delayed = True
        return found

    def first_asked(self, since: float, asked: list[str]) -> dict[str, float]:
        """When each of ``asked`` (queries that found nothing) was first asked since ``since``. The query log's
        summary of days (``query_days``, written with the queries) says on which day each first found nothing, so
        only those days' queries are read (a grouped query a day, over the log's (appid, at) index), not the
        period's (a week of a busy account is a hundred thousand queries: the Reach page read them all)."""
        start = {query: day_of(max(since, 0.0)) for query in asked}  # the first day each may have been asked on
        found: dict[str, float] = {}
        with self.db.connect() as conn:
            while start:
                days: dict[int, list[str]] = {}  # day -> the queries that first found nothing on it (by the summary)
                for first, wanted in _grouped(start).items():
                    rows = conn.execute(select(query_days.c.query, func.min(query_days.c.day)).where(
                        query_days.c.appid == self.appid, query_days.c.query.in_(wanted), query_days.c.day >= first,
                        query_days.c.unanswered > 0).group_by(query_days.c.query))
                    for query, day in rows:
                        days.setdefault(int(day), []).append(query)
                for day, wanted in days.items():
                    # (a second either side of the day: day_of's arithmetic is the summary's; `since` bounds it)
                    rows = conn.execute(select(queries.c.query, func.min(queries.c.at)).where(
                        queries.c.appid == self.appid, queries.c.at >= max(since, day * DAY - 1),
                        queries.c.at < (day + 1) * DAY + 1, queries.c.matches == 0, queries.c.query.in_(wanted))
                        .group_by(queries.c.query))
                    found.update({query: at for query, at in rows})
                # a first day with none since `since` (its earlier part), or whose queries the retention is
                # deleting: the next day that has some
                start = {query: day + 1 for day, wanted in days.items() for query in wanted if query not in found}
        return found

    # ---- what was fetched ------------------------------------------------------------------------------

    def fetched(self, ref_date: str, as_of: str) -> str | None:
        """'final', 'delayed', or None (never fetched)."""
        with self.db.connect() as conn:
            return conn.execute(select(analytics_fetches.c.state).where(
                analytics_fetches.c.appid == self.appid, analytics_fetches.c.ref_date == ref_date,
                analytics_fetches.c.as_of == as_of)).scalar()

    def delayed(self) -> list[tuple[str, str, float]]:
        """(ref_date, as_of, updated_at) of the fetches WeChat said were not final."""
        with self.db.connect() as conn:
            rows = conn.execute(select(analytics_fetches).where(analytics_fetches.c.appid == self.appid,
                                                                analytics_fetches.c.state == "delayed")).all()
        return [(row.ref_date, row.as_of, row.updated_at) for row in rows]

    def mark_fetched(self, ref_date: str, as_of: str, state: str) -> None:
        row = {"appid": self.appid, "ref_date": ref_date, "as_of": as_of, "state": state, "attempts": 0,
               "updated_at": self.clock.time()}
        with self.db.begin() as conn:
            conn.execute(self.db.upsert(analytics_fetches, row, update=("state", "updated_at")))
            conn.execute(update(analytics_fetches).where(
                analytics_fetches.c.appid == self.appid, analytics_fetches.c.ref_date == ref_date,
                analytics_fetches.c.as_of == as_of).values(attempts=analytics_fetches.c.attempts + 1))

    def fetch_count(self) -> int:
        """How many times any day was fetched (tests: each day once)."""
        with self.db.connect() as conn:
            rows = conn.execute(select(analytics_fetches.c.attempts).where(
                analytics_fetches.c.appid == self.appid)).all()
        return sum(row.attempts for row in rows)

    # ---- the day's calls and the standing note -----------------------------------------------------------

    def _account_row(self, conn) -> None:
        conn.execute(self.db.insert_ignore(analytics_accounts, {
            "appid": self.appid, "quota_day": "", "calls": 0, "note": "", "note_at": 0,
            "updated_at": self.clock.time()}))

    def take_call(self, day: str, limit: int) -> bool:
        """Count one datacube call on ``day`` (a Beijing date); False when ``limit`` calls were made that day."""
        table = analytics_accounts
        with self.db.begin() as conn:
            self._account_row(conn)
            conn.execute(update(table).where(table.c.appid == self.appid, table.c.quota_day != day)
                         .values(quota_day=day, calls=0))
            taken = conn.execute(update(table).where(table.c.appid == self.appid, table.c.calls < limit)
                                 .values(calls=table.c.calls + 1, updated_at=self.clock.time())).rowcount
        return taken == 1

    def use_up_calls(self, day: str, limit: int) -> None:
        """WeChat said the quota is spent (45009): no more calls that day."""
        with self.db.begin() as conn:
            self._account_row(conn)
            conn.execute(update(analytics_accounts).where(analytics_accounts.c.appid == self.appid)
                         .values(quota_day=day, calls=limit))

    def calls(self, day: str) -> int:
        with self.db.connect() as conn:
            row = conn.execute(select(analytics_accounts).where(analytics_accounts.c.appid == self.appid)).first()
        return row.calls if row is not None and row.quota_day == day else 0

    def note(self) -> tuple[str, float]:
        """The account's standing note and when it was written ('' when none)."""
        with self.db.connect() as conn:
            row = conn.execute(select(analytics_accounts).where(analytics_accounts.c.appid == self.appid)).first()
        return (row.note, row.note_at) if row is not None else ("", 0.0)

    def set_note(self, note: str) -> None:
        with self.db.begin() as conn:
            self._account_row(conn)
            conn.execute(update(analytics_accounts).where(analytics_accounts.c.appid == self.appid)
                         .values(note=note, note_at=self.clock.time() if note else 0))

    # ---- the weekly note ------------------------------------------------------------------------------

    def claim_week(self, week: str) -> bool:
        """True for the one caller that may send ``week``'s note (at most once, whichever host asks)."""
        with self.db.begin() as conn:
            return conn.execute(self.db.insert_ignore(weekly_notes, {
                "appid": self.appid, "week": week, "state": "sending", "detail": "",
                "at": self.clock.time()})).first() is not None

    def sent_week(self, week: str) -> bool:
        """Whether ``week``'s note was claimed (sent, or being sent) already: a read, no write."""
        with self.db.connect() as conn:
            return conn.execute(select(weekly_notes.c.state).where(
                weekly_notes.c.appid == self.appid, weekly_notes.c.week == week)).first() is not None

    def week_done(self, week: str, state: str, detail: str = "") -> None:
        with self.db.begin() as conn:
            conn.execute(update(weekly_notes).where(weekly_notes.c.appid == self.appid, weekly_notes.c.week == week)
                         .values(state=state, detail=detail[:2000], at=self.clock.time()))

    def weeks(self) -> list[tuple[str, str]]:
        with self.db.connect() as conn:
            rows = conn.execute(select(weekly_notes.c.week, weekly_notes.c.state).where(
                weekly_notes.c.appid == self.appid).order_by(weekly_notes.c.week)).all()
        return [(row.week, row.state) for row in rows]


def _grouped(values: dict) -> dict:
    """value -> the keys of ``values`` that have it."""
    groups: dict = {}
    for key, value in values.items():
        groups.setdefault(value, []).append(key)
    return groups
