"""The figures as the team reads them: per issue (its parts added up), reads by source, shares, likes, 在看,
comments and favourites, the reads of its first 1, 3, 7 and 30 days, its curve; the week's best items by the
followers' queries that found them; the queries that found nothing beside the issues that went out after them.
Read from the state database in a bounded number of queries (one per kind, never one per issue)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field

from wechat_pub.state.analytics import FIGURES, SOURCE_COLUMNS

SOURCES = tuple(SOURCE_COLUMNS)  # chat, home, share, search, other
MILESTONES = (1, 3, 7, 30)  # reads in the first N days
HISTORY_DAYS = 400  # how far back the page and `stats` look
TOP_QUERIES = 50  # the week's most asked queries that are searched again to credit items


@dataclass
class IssueReach:
    issue: int
    title: str
    ref_date: str  # the Beijing day it went out
    days_since: int  # days from publication to today
    parts: int
    delayed: bool  # its newest figures were not final when fetched
    latest: dict[str, int]
    curve: list[tuple[int, dict[str, int]]] = field(default_factory=list)  # (day after publication, totals)

    def reads_in(self, days: int) -> int | None:
        """Readers in the first ``days`` days (the totals of that day); None while the issue is younger."""
        found = [totals["read_user"] for day, totals in self.curve if day == days - 1]
        return found[0] if found else None

    def by_source(self) -> dict[str, int]:
        return {name: self.latest[SOURCE_COLUMNS[name]] for name in SOURCES}


def today(site) -> dt.date:
    return dt.datetime.fromtimestamp(site.clock.time(), zoneinfo.ZoneInfo(site.timezone)).date()


def issue_reach(site, days: int = HISTORY_DAYS) -> list[IssueReach]:
    """Every issue with figures whose figures run into the last ``days`` days, newest first."""
    now = today(site)
    since = (now - dt.timedelta(days=days)).isoformat()
    stored = site.analytics.issues(since)
    titles = {row.number: row.title for row in site.library.store.all(texts=False)} if stored else {}
    found = []
    for number, figures in stored.items():
        ref = dt.date.fromisoformat(figures.ref_date)
        curve = sorted(((dt.date.fromisoformat(day) - ref).days, totals) for day, totals in figures.days.items())
        found.append(IssueReach(number, titles.get(number, ""), figures.ref_date, (now - ref).days, len(figures.parts),
                                figures.delayed, figures.latest, curve))
    return sorted(found, key=lambda reach: (reach.ref_date, reach.issue), reverse=True)


def empty_totals() -> dict[str, int]:
    return {name: 0 for name in FIGURES}


# ---- what followers asked -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BestItem:
    issue: int
    position: int
    headline: str
    asked: int  # times the queries that found it were asked
    queries: tuple[str, ...]


def best_items(site, since: float, limit: int = 10, top: list | None = None) -> list[BestItem]:
    """The items the followers' queries since ``since`` found most, by times asked: each of the period's most
    asked queries (:data:`TOP_QUERIES` of them; ``top``: those, when the caller has read them) is searched again in
    today's archive. Empty until the search index exists (the webhook or `wechat-pub index` makes it; the page
    never builds it)."""
    archive = site.archive()
    if not archive.index_path.exists():
        return []
    asked: Counter = Counter()
    found_by: dict[tuple[int, int], list[str]] = {}
    headlines: dict[tuple[int, int], str] = {}
    for query, count, _followers in top if top is not None else site.query_log.top(TOP_QUERIES, since):
        for hit in archive.search(query, limit=5).hits:
            key = (hit.issue, hit.position)
            asked[key] += count
            found_by.setdefault(key, []).append(query)
            headlines[key] = hit.headline_zh or hit.headline_en
    return [BestItem(issue, position, headlines[(issue, position)], times, tuple(found_by[(issue, position)][:5]))
            for (issue, position), times in asked.most_common(limit)]


@dataclass(frozen=True)
class Unanswered:
    query: str
    asked: int
    first_asked: str  # the day (the publisher's zone)
    followed_by: tuple[int, ...]  # issues that went out on or after that day


def unanswered_queries(site, since: float, reach: list[IssueReach], limit: int = 20,
                       top: list | None = None) -> list[Unanswered]:
    """The queries since ``since`` that found nothing, most asked first, each beside the issues that followed
    (two grouped queries, whatever the period); ``top``: those queries when the caller has read them."""
    zone = zoneinfo.ZoneInfo(site.timezone)
    top = top if top is not None else site.query_log.top(limit, since, unanswered=True)
    first = site.analytics.first_asked(since, [query for query, _count, _followers in top])
    found = []
    for query, times, _followers in top:
        day = dt.datetime.fromtimestamp(first.get(query, since), zone).date().isoformat()
        found.append(Unanswered(query, times, day, tuple(sorted({r.issue for r in reach if r.ref_date >= day}))))
    return found
