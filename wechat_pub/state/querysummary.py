"""The query log's summaries (issue 27): what the console shows of a year of millions of queries, read from a few
thousand rows instead of the millions. They are written in the same transaction as the queries they count
(:func:`summarise`), so they are never behind the log, and read exactly (:class:`QuerySummary`):

- ``query_days``: per UTC day and query, how often it was asked and how often it found nothing. A period
  starting mid-day takes its whole days from here and its first, partial day from the queries themselves;
- ``query_askers``: per query and follower, when they last asked it (and last got nothing). A follower asked it
  since ``t`` exactly when their last time is at or after ``t``: the distinct followers of a period are a count;
- ``query_quarters``: queries per quarter of an hour, which the chart sorts into the account's local days
  (every time zone's midnight falls on a quarter hour).

Migration 0006 fills them for a log written before them, with the same arithmetic.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import threading
import zoneinfo
from collections import Counter, OrderedDict
from itertools import islice
from typing import Iterable

from sqlalchemy import Integer, case, cast, func, literal, select, union_all

from wechat_pub.state.schema import queries, query_askers, query_days, query_follower_days, query_quarters

DAY = 86400
QUARTER = 900


def day_of(at: float) -> int:
    """The UTC day of a time (``at`` is never before 1970): the migration's CAST(at / 86400 AS INTEGER)."""
    return int(at / DAY)


def quarter_of(at: float) -> int:
    return int(at / QUARTER)


_DAYS = ("INSERT INTO query_days (appid, day, query, asked, unanswered) VALUES (?, ?, ?, ?, ?) "
         "ON CONFLICT (appid, day, query) DO UPDATE SET asked = query_days.asked + excluded.asked, "
         "unanswered = query_days.unanswered + excluded.unanswered")
_ASKERS = ("INSERT INTO query_askers (appid, query, follower, last_at, last_unanswered_at) VALUES (?, ?, ?, ?, ?) "
           "ON CONFLICT (appid, query, follower) DO UPDATE SET "
           "last_at = CASE WHEN excluded.last_at > query_askers.last_at THEN excluded.last_at "
           "ELSE query_askers.last_at END, "
           "last_unanswered_at = CASE WHEN excluded.last_unanswered_at > query_askers.last_unanswered_at "
           "THEN excluded.last_unanswered_at ELSE query_askers.last_unanswered_at END")
_QUARTERS = ("INSERT INTO query_quarters (appid, quarter, asked, unanswered) VALUES (?, ?, ?, ?) "
             "ON CONFLICT (appid, quarter) DO UPDATE SET asked = query_quarters.asked + excluded.asked, "
             "unanswered = query_quarters.unanswered + excluded.unanswered")


_FOLLOWER_DAYS = ("INSERT INTO query_follower_days (appid, query, day, followers, unanswered) VALUES (?, ?, ?, ?, ?) "
                  "ON CONFLICT (appid, query, day) DO UPDATE SET followers = query_follower_days.followers + "
                  "excluded.followers, unanswered = query_follower_days.unanswered + excluded.unanswered")
# The followers' rows looked up one by one through the primary key (SQLite read the whole table for a
# "(appid, query, follower) IN (VALUES …)": every pair ever asked, at every batch)
ASKED_BEFORE = ("WITH asked (appid, query, follower) AS (VALUES {}) "
                 "SELECT a.appid, a.query, a.follower, a.last_at, a.last_unanswered_at FROM asked "
                 "JOIN query_askers a ON a.appid = asked.appid AND a.query = asked.query AND a.follower = asked.follower")


def summarise(cursor, driver_sql, rows: Iterable[tuple]) -> None:
    """Add ``rows`` (appid, at, query, matches, follower), queries just written to the log, to the summaries,
    on ``cursor``, in the transaction that wrote them, which holds the query log's write lock (the followers'
    last times are read, then moved: two writers at once would move one twice). Sorted by key: the rows'
    locks are taken in one order."""
    days: dict[tuple, list[int]] = {}  # key -> [asked, unanswered] (lists, not Counters: thousands a second)
    quarters: dict[tuple, list[int]] = {}
    askers: dict[tuple, list[float]] = {}
    for appid, at, query, matches, follower in rows:
        nothing = int(matches == 0)
        counts = days.setdefault((appid, day_of(at), query), [0, 0])
        counts[0] += 1
        counts[1] += nothing
        counts = quarters.setdefault((appid, quarter_of(at)), [0, 0])
        counts[0] += 1
        counts[1] += nothing
        last = askers.setdefault((appid, query, follower), [0.0, 0.0])
        last[0] = max(last[0], at)
        if nothing:
            last[1] = max(last[1], at)
    if not days:
        return
    moved = _moved_last_days(cursor, driver_sql, askers)
    cursor.executemany(driver_sql(_DAYS), [(*key, *counts) for key, counts in sorted(days.items())])
    cursor.executemany(driver_sql(_ASKERS), [(*key, *askers[key]) for key in sorted(askers)])
    cursor.executemany(driver_sql(_FOLLOWER_DAYS), [(*key, n["followers"], n["unanswered"])
                                                    for key, n in sorted(moved.items()) if any(n.values())])
    cursor.executemany(driver_sql(_QUARTERS), [(*key, *counts) for key, counts in sorted(quarters.items())])


def _moved_last_days(cursor, driver_sql, askers: dict[tuple, list[float]]) -> dict[tuple, Counter]:
    """(appid, query, day) -> change of its followers (and unanswered) when each follower's last time of each
    query becomes the later of the stored one and ``askers``' (their times in this batch)."""
    before: dict[tuple, tuple[float, float]] = {}
    keys = sorted(askers)
    for start in range(0, len(keys), 300):
        chunk = keys[start:start + 300]
        cursor.execute(driver_sql(ASKED_BEFORE.format(", ".join(["(?, ?, ?)"] * len(chunk)))),
                       [part for key in chunk for part in key])
        before.update({(appid, query, follower): (last, unanswered)
                       for appid, query, follower, last, unanswered in cursor.fetchall()})
    moved: dict[tuple, Counter] = {}
    for key, (last, last_unanswered) in askers.items():
        appid, query, _follower = key
        old_last, old_unanswered = before.get(key, (0.0, 0.0))
        for name, old, new in (("followers", old_last, last), ("unanswered", old_unanswered, last_unanswered)):
            if new > old:  # (0: never)
                if old:
                    moved.setdefault((appid, query, day_of(old)), Counter())[name] -= 1
                moved.setdefault((appid, query, day_of(new)), Counter())[name] += 1
    return moved


class QuerySummary:
    """One account's summaries, read. ``closed``: the account's :class:`ClosedDays` (kept by its query log);
    ``now``: the clock's time."""

    def __init__(self, db, appid: str, closed: "ClosedDays | None" = None, now=None):
        self.db = db
        self.appid = appid
        self.closed = closed or ClosedDays()
        self.now = now

    def top(self, limit: int, since: float, unanswered: bool) -> list[tuple[str, int, int]]:
        """(query, times asked, distinct followers) since ``since``, most asked first; ``unanswered``: of the
        queries that found nothing, counting only those times. The days before today come from
        :class:`ClosedDays`; the rest (today, the first day's part) from the tables."""
        return self.tops(limit, since, (unanswered,))[0]

    def tops(self, limit, since: float, kinds=(False, True)) -> list[list[tuple[str, int, int]]]:
        """:meth:`top` of each of ``kinds`` (``unanswered`` or not), read together: the followers page shows both,
        and the period's days, its first day's part and today are each read once for the two. ``limit``: one for
        all, or one for each kind."""
        limits = list(limit) if isinstance(limit, (tuple, list)) else [limit] * len(kinds)
        with self.db.connect() as conn:
            since = max(since, self._kept_since(conn))
            first = day_of(max(since, 0.0))
            last_closed = day_of(self.now()) - 1 if self.now else first
            live = self._live_counts(conn, since, max(first, last_closed), unanswered_only=all(kinds))
            closed = self.closed.counts(self, conn, first + 1, last_closed) if last_closed > first else None
            found = []
            for unanswered, limit in zip(kinds, limits):
                which = int(unanswered)
                candidates = {query: counts[which] for query, counts in live.items() if counts[which] > 0}
                if closed is not None:
                    counts, ranked = closed[which]
                    today = candidates
                    candidates = {query: counts.get(query, 0) + n for query, n in today.items()}
                    # of the queries not asked today, the first `limit` of the closed days' ranking are the best
                    candidates.update(islice(((query, n) for query, n in ranked if query not in today), limit))
                best = heapq.nsmallest(limit, candidates.items(), key=lambda r: (-r[1], r[0]))
                people = self._followers(conn, [query for query, _ in best], since, unanswered)
                found.append([(query, count, people.get(query, 0)) for query, count in best])
        return found

    def day_totals(self, conn, first: int, last: int) -> dict[int, tuple[int, int]]:
        """Day -> (asked, unanswered) of days ``first`` to ``last``, from the quarter hours (a few thousand rows)."""
        rows = conn.exec_driver_sql(self.db.driver_sql(
            "SELECT quarter / 96, SUM(asked), SUM(unanswered) FROM query_quarters WHERE appid = ? AND quarter >= ? "
            "AND quarter < ? GROUP BY quarter / 96"), (self.appid, first * 96, (last + 1) * 96))
        return {int(day): (int(asked), int(unanswered)) for day, asked, unanswered in rows}

    def day_counts(self, conn, first: int, last: int) -> tuple[Counter, Counter]:
        """(times asked, times unanswered) of each query over days ``first`` to ``last`` (a scan of their rows)."""
        asked, unanswered = Counter(), Counter()
        rows = conn.execute(select(query_days.c.query, func.sum(query_days.c.asked), func.sum(query_days.c.unanswered))
                            .where(query_days.c.appid == self.appid, query_days.c.day >= first,
                                   query_days.c.day <= last).group_by(query_days.c.query))
        for query, times, nothing in rows:
            asked[query], unanswered[query] = int(times), int(nothing)
        return asked, unanswered

    def _kept_since(self, conn) -> float:
        """The first second of the oldest day kept: a follower's last time before it is one whose queries the
        retention deleted (state/queryretention.py prunes whole days, the queries before the summaries)."""
        oldest = conn.execute(select(func.min(queries.c.at)).where(queries.c.appid == self.appid)).scalar()
        return day_of(oldest) * DAY if oldest is not None else 0.0

    def _live_counts(self, conn, since: float, after: int, unanswered_only: bool) -> dict[str, tuple[int, int]]:
        """Query -> (times asked, times it found nothing) since ``since`` but on the days ``after`` closes: whole
        days from ``query_days``, the first day's part from the queries (picked by the same day arithmetic, so no
        query counts twice). ``unanswered_only``: of the queries that found nothing (their times asked: 0)."""
        days, logged = query_days.c, queries.c
        whole = [days.appid == self.appid, days.day > after]
        part = self._first_day_queries(since)
        if unanswered_only:
            whole.append(days.unanswered > 0)
            part.append(logged.matches == 0)
        asked = (literal(0), literal(0)) if unanswered_only else (days.asked, literal(1))
        whole = select(days.query, asked[0].label("asked"), days.unanswered.label("unanswered")).where(*whole)
        part = select(logged.query, asked[1].label("asked"),
                      case((logged.matches == 0, 1), else_=0).label("unanswered")).where(*part)
        counted = union_all(whole, part).subquery()
        rows = conn.execute(select(counted.c.query, func.sum(counted.c.asked), func.sum(counted.c.unanswered))
                            .group_by(counted.c.query)).all()
        return {query: (int(asked), int(nothing)) for query, asked, nothing in rows}

    def _first_day_queries(self, since: float) -> list:
        """The conditions that pick this account's queries of the first, partial day of a period from ``since``
        (the range lets the index by time find them; the day arithmetic is the summaries' own, so no query is
        counted both here and in a whole day)."""
        first, logged = day_of(max(since, 0.0)), queries.c
        return [logged.appid == self.appid, logged.at >= since, logged.at < (first + 1) * DAY + 1,
                self._day(logged.at) == first]

    def _day(self, column):
        return cast(column / DAY if self.db.dialect == "sqlite" else func.floor(column / DAY), Integer)

    def _followers(self, conn, asked: list[str], since: float, unanswered: bool) -> dict[str, int]:
        """Distinct followers of each of ``asked`` since ``since`` (who last asked it since then): whole days from
        ``query_follower_days``; of the first day's part, those who asked then (the queries of that part) and
        not after that day (their last time, from ``query_askers`` by its key). Read so, the followers' last
        times need no index of their own, which every query moved into the log would have to update."""
        if not asked:
            return {}
        first = day_of(max(since, 0.0))
        days = query_follower_days
        whole = select(days.c.query, (days.c.unanswered if unanswered else days.c.followers).label("n")).where(
            days.c.appid == self.appid, days.c.query.in_(asked), days.c.day > first)
        logged, askers = queries.c, query_askers.c
        asked_then = select(logged.query, logged.follower).distinct().where(
            *self._first_day_queries(since), logged.query.in_(asked),
            *([logged.matches == 0] if unanswered else [])).subquery()
        last = askers.last_unanswered_at if unanswered else askers.last_at
        part = (select(asked_then.c.query, literal(1).label("n"))
                .join(query_askers, (askers.appid == self.appid) & (askers.query == asked_then.c.query)
                      & (askers.follower == asked_then.c.follower))
                .where(last >= since, self._day(last) == first))
        counted = union_all(whole, part).subquery()
        rows = conn.execute(select(counted.c.query, func.sum(counted.c.n)).group_by(counted.c.query))
        return {query: int(count) for query, count in rows}

    def per_quarter(self, since: float) -> list[tuple[float, int]]:
        """(start of the quarter hour, queries asked in it) of every quarter from the one holding ``since``."""
        statement = (select(query_quarters.c.quarter, query_quarters.c.asked)
                     .where(query_quarters.c.appid == self.appid, query_quarters.c.quarter >= quarter_of(max(since, 0)))
                     .order_by(query_quarters.c.quarter))
        with self.db.connect() as conn:
            return [(quarter * QUARTER, asked) for quarter, asked in conn.execute(statement)]


    def per_day(self, since: float, zone: zoneinfo.ZoneInfo) -> Counter:
        """Local date in ``zone`` -> queries asked, from the quarter hour holding ``since``: summed by the
        database a span of one UTC offset at a time (a zone changes offset a few times a year at most)."""
        first = quarter_of(max(since, 0.0))
        spans = offset_spans(first, quarter_of(self.now() if self.now else since) + 2 * 96, zone)
        if spans is None:  # an offset that is not whole quarter hours (a local mean time of old)
            return local_days(self.per_quarter(since), zone)
        counted: Counter = Counter()
        with self.db.connect() as conn:
            for start, end, shift in spans:  # (shift: an int, written into the statement: one expression twice)
                rows = conn.exec_driver_sql(self.db.driver_sql(
                    f"SELECT (quarter + {int(shift)}) / 96, SUM(asked) FROM query_quarters WHERE appid = ? "
                    f"AND quarter >= ? AND quarter < ? GROUP BY (quarter + {int(shift)}) / 96"),
                    (self.appid, start, end)).all()
                for day, asked in rows:
                    counted[EPOCH + dt.timedelta(days=int(day))] += int(asked)
        return counted


EPOCH = dt.date(1970, 1, 1)


def offset_spans(first: int, last: int, zone: zoneinfo.ZoneInfo) -> list[tuple[int, int, int]] | None:
    """(first quarter, end quarter, UTC offset in quarters) of each stretch of one offset from quarter ``first``
    (the last stretch runs on for ever); None when an offset is not whole quarter hours."""
    def shift(quarter: int) -> int | None:
        seconds = dt.datetime.fromtimestamp(quarter * QUARTER, zone).utcoffset().total_seconds()
        return None if seconds % QUARTER else int(seconds // QUARTER)

    spans, start, current = [], first, shift(first)
    for day_start in range(first, last, 96):
        following = min(day_start + 96, last)
        if current is None or shift(following) is None:
            return None
        if shift(following) != current:  # it changed within these 96 quarters: find where
            low, high = day_start, following
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if shift(middle) == current else (low, middle)
            spans.append((start, high, current))
            start, current = high, shift(high)
    return spans + [(start, 2**31 - 1, current)]


def local_days(quarters, zone: zoneinfo.ZoneInfo) -> Counter:
    """Local date -> queries, from (start, queries) of quarter hours, oldest first (the zone asked at each local
    midnight only)."""
    counted: Counter = Counter()
    day, next_day = None, -math.inf
    for start, asked in quarters:
        if start >= next_day:
            day = dt.datetime.fromtimestamp(start, zone).date()
            next_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).timestamp()
        counted[day] += asked
    return counted


class ClosedDays:
    """Per query, the times asked (and unanswered) over a range of days before today, kept between views of
    the followers page: those are a scan of a year's summaries, and such days rarely change. Never stale: an
    entry is used only while each of its days still has the totals it was counted with (the quarter hours',
    written with the same queries). Queries are only ever added to a day, and the retention deletes whole days,
    so equal totals mean the same queries; a day that changed (a spool moved after an outage) is counted again.
    """

    SIZE = 4  # ranges kept (the periods viewed lately)

    def __init__(self):
        self._entries: OrderedDict = OrderedDict()  # (first, last) -> (day totals, what counts() returns)
        self._lock = threading.Lock()

    def counts(self, summary: QuerySummary, conn, first: int, last: int) -> tuple[tuple[dict, list], ...]:
        """((asked, its ranking), (unanswered, its ranking)) per query over days ``first`` to ``last``; a ranking
        is (query, times) of those asked at least once, most first."""
        totals = summary.day_totals(conn, first, last)
        with self._lock:
            entry = self._entries.get((first, last))
        if entry is not None and entry[0] == totals:
            return entry[1]
        counted = tuple((counts, sorted(((q, n) for q, n in counts.items() if n > 0), key=lambda r: (-r[1], r[0])))
                        for counts in summary.day_counts(conn, first, last))
        if summary.day_totals(conn, first, last) != totals:  # queries came in meanwhile: count, do not keep
            return counted
        with self._lock:
            self._entries[(first, last)] = (totals, counted)
            self._entries.move_to_end((first, last))
            while len(self._entries) > self.SIZE:
                self._entries.popitem(last=False)
        return counted
