"""The query log at a year's scale (issue 27): the summaries the console reads say exactly what the queries say
(written with each batch, or filled by migration 0006 for a log written before them), the followers CSV is
written in pieces with every cell guarded, and the retention (`webhook.query_log_days`) prunes in batches while
the webhook answers. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import threading
import zoneinfo
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import FakeClock, stores_at
from wechat_pub.console.followers import LocalTime, csv_lines
from wechat_pub.errors import ConfigError
from wechat_pub.state import queryretention
from wechat_pub.state.database import open_engine
from wechat_pub.state.querylog import QueryLog, QuerySpool
from wechat_pub.state.queryretention import QueryRetention
from wechat_pub.state.querysummary import DAY, ClosedDays, QuerySummary

APPID = "wx_sandbox"
START = 1_800_000_000.0 - 7 * DAY - 3_333  # not on a day's edge


def random_queries(count: int, seed: int = 7) -> list[tuple[float, str, int, str]]:
    """(at, query, matches, follower) over ten days, oldest first: a few queries and followers, often repeated."""
    rng = random.Random(seed)
    times = sorted(START + rng.random() * 10 * DAY for _ in range(count))
    return [(at, rng.choice(["GDPR", "个人信息", "苹果", "=cmd", "nothing"]), rng.choice([0, 0, 1, 3]),
             f"f{rng.randrange(9)}") for at in times]


def write(db, rows, spool_folder) -> QuerySpool:
    """``rows`` through a process's spool, moved into the database in one batch (as the webhook's are)."""
    clock = FakeClock()
    spool = QuerySpool(lambda: db, spool_folder, delay=3600, clock=clock.clock)
    log = QueryLog(db, APPID, spool, clock.clock)
    for at, query, matches, follower in rows:
        clock.now = at
        log.add(query, matches, follower)
    spool.flush()
    return spool


def expected_top(rows, since: float, unanswered: bool) -> list[tuple[str, int, int]]:
    """The top queries as the query log's rows say them: counted one by one."""
    kept = [(query, follower) for at, query, matches, follower in rows
            if at >= since and (matches == 0 or not unanswered)]
    asked, people = Counter(query for query, _ in kept), {}
    for query, follower in kept:
        people.setdefault(query, set()).add(follower)
    return sorted(((query, n, len(people[query])) for query, n in asked.items()), key=lambda r: (-r[1], r[0]))


def periods(rows) -> list[float]:
    """Starts of periods: before everything, mid-day, on a day's first second, its last, after everything."""
    first_day = int(rows[0][0] / DAY)
    return [0.0, rows[0][0], START + 2.5 * DAY, (first_day + 3) * DAY, (first_day + 4) * DAY - 0.001,
            rows[len(rows) // 2][0], rows[-1][0], rows[-1][0] + 1]


def check_summaries(db, rows) -> None:
    """Top queries as the rows say, with every day read from the tables, and with the days before "yesterday"
    from a cache (yesterday in the middle of the queries, and after them)."""
    closed = ClosedDays()
    summaries = [QuerySummary(db, APPID)] + [QuerySummary(db, APPID, closed, lambda at=at: at)
                                             for at in (START + 6 * DAY, rows[-1][0] + 3 * DAY)]
    for since in periods(rows):
        for unanswered in (False, True):
            for summary in summaries + summaries[1:]:  # (the second time from the cache)
                assert summary.top(100, since, unanswered) == expected_top(rows, since, unanswered), (since, unanswered)
        for summary in summaries:  # both at once, as the followers page reads them: the same
            assert summary.tops(3, since) == [expected_top(rows, since, False)[:3], expected_top(rows, since, True)[:3]]
    for since in periods(rows):
        quarters = summaries[0].per_quarter(since)
        assert sum(n for _, n in quarters) == sum(1 for at, *_ in rows if at >= since // 900 * 900)


def test_the_summaries_count_what_the_queries_say(database_url, tmp_path):
    """Top queries, their followers and the quarter hours, from the summaries, equal the count of the rows
    themselves for periods starting anywhere (mid-day, on a day's edge); a spool moved twice (a crash between
    its insert and its removal) is counted once."""
    stores = stores_at(database_url)
    rows = random_queries(400)
    write(stores.db, rows[:150], tmp_path / "a")
    spool_folder = tmp_path / "b"
    write(stores.db, rows[150:], spool_folder)
    again = spool_folder / "dead-1-abcdef.jsonl"  # the same entries again, as a spool left by a crash
    with stores.db.engine.connect() as conn:
        line_rows = conn.execute(text(
            "SELECT entry_id, appid, at, query, matches, follower FROM queries ORDER BY id LIMIT 40")).all()
    again.write_text("".join(json.dumps(list(row), ensure_ascii=False) + "\n" for row in line_rows), encoding="utf-8")
    QuerySpool(lambda: stores.db, spool_folder, delay=3600).flush()
    assert len(stores.query_log().entries()) == 400
    check_summaries(stores.db, rows)


def test_a_followers_last_time_before_the_period_does_not_count_on_its_first_day(database_url, tmp_path):
    """The first, partial day of a period: a follower whose query found nothing before the period started, and
    something after, is one of its askers but not of its unanswered followers; one who asked only before is
    neither."""
    stores = stores_at(database_url)
    day = int(START / DAY) + 1
    rows = [(day * DAY + 3600, "GDPR", 0, "f1"), (day * DAY + 10 * 3600, "GDPR", 2, "f1"),
            (day * DAY + 3700, "GDPR", 0, "f2"), (day * DAY + 12 * 3600, "GDPR", 0, "f4"),
            (day * DAY + 20 * 3600, "苹果", 0, "f3")]
    write(stores.db, sorted(rows), tmp_path / "a")
    since = day * DAY + 5 * 3600
    summary = QuerySummary(stores.db, APPID)
    assert summary.top(10, since, False) == expected_top(rows, since, False) == [("GDPR", 2, 2), ("苹果", 1, 1)]
    assert summary.top(10, since, True) == expected_top(rows, since, True) == [("GDPR", 1, 1), ("苹果", 1, 1)]


def test_the_cached_days_follow_queries_that_arrive_late(database_url, tmp_path):
    """A spool moved days late (the database was away) adds to days the cache holds: the next view counts them."""
    stores = stores_at(database_url)
    rows = random_queries(200)
    write(stores.db, rows, tmp_path / "a")
    summary = QuerySummary(stores.db, APPID, ClosedDays(), lambda: rows[-1][0] + 5 * DAY)
    assert summary.top(100, START, False) == expected_top(rows, START, False)
    late = [(START + 2.2 * DAY, "GDPR", 0, "late"), (START + 4.7 * DAY, "late question", 1, "f1")]
    write(stores.db, late, tmp_path / "b")
    assert summary.top(100, START, False) == expected_top(rows + late, START, False)
    assert summary.top(100, START, True) == expected_top(rows + late, START, True)


def expected_first_asked(rows, since: float) -> dict[str, float]:
    """When each query first found nothing since ``since``, as the rows say."""
    found: dict[str, float] = {}
    for at, query, matches, _follower in rows:
        if at >= since and matches == 0:
            found.setdefault(query, at)
    return found


def test_when_a_query_first_found_nothing_is_read_from_its_first_day(database_url, tmp_path):
    """The Reach page's "first asked" of the queries that found nothing: read from the day the summaries say each
    first found nothing, not from the period's queries, and the same as the rows say: for a period starting
    anywhere (also after that day's first ones), and while the retention is deleting a day (its queries gone,
    its summaries not yet)."""
    from wechat_pub.state.analytics import AnalyticsStore

    stores = stores_at(database_url)
    rows = random_queries(400)
    write(stores.db, rows, tmp_path / "a")
    store = AnalyticsStore(stores.db, APPID)
    queries = ["GDPR", "个人信息", "苹果", "=cmd", "nothing", "never asked"]
    for since in periods(rows):
        assert store.first_asked(since, queries) == expected_first_asked(rows, since), since
    first_day = int(rows[0][0] / DAY)
    with stores.db.begin() as conn:  # the retention's first step on the first two days: their queries go
        conn.execute(text("DELETE FROM queries WHERE at < :end"), {"end": (first_day + 2) * DAY})
    kept = [row for row in rows if row[0] >= (first_day + 2) * DAY]
    for since in periods(rows):
        assert store.first_asked(since, queries) == expected_first_asked(kept, since), since
    assert store.first_asked(0.0, []) == {}


def test_migration_0006_fills_the_summaries_of_an_older_log(database_url):
    """A query log written before the summaries existed is summarised by the migration that makes them."""
    from alembic import command

    from wechat_pub.state import migrate

    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir()
    engine = open_engine(database_url)
    summaries = next(script for script in migrate.scripts().walk_revisions() if "query_log_scale" in script.path)
    before = summaries.down_revision
    with engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), before)
    rows = random_queries(300, seed=3)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO queries (entry_id, appid, at, query, matches, follower) "
                          "VALUES (:e, :a, :at, :q, :m, :f)"),
                     [{"e": f"old{n}", "a": APPID, "at": at, "q": q, "m": m, "f": f}
                      for n, (at, q, m, f) in enumerate(rows)])
    migrate.upgrade(engine)
    engine.dispose()
    check_summaries(stores_at(database_url).db, rows)


# ---- the CSV ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe",
                                  "Europe/Amsterdam", "Africa/Monrovia"])
def test_csv_times_are_as_datetime_writes_them(zone):
    """The CSV's times, written from an offset looked up once per quarter hour, are datetime's own, across
    daylight-saving changes, in 45- and 30-minute zones, and in a zone whose old offset was not a quarter hour."""
    tz, rng = zoneinfo.ZoneInfo(zone), random.Random(zone)
    local_time = LocalTime(tz)
    for at in sorted([rng.uniform(-2e9, 2.2e9) for _ in range(20_000)] + [1_711_846_799.5, 1_711_846_800.0]):
        assert local_time(at) == dt.datetime.fromtimestamp(at, tz).isoformat(timespec="seconds"), at


def test_the_csv_comes_in_pieces_with_every_cell_guarded():
    """Written a batch at a time (never the whole period in memory); a query that could start a formula (issue
    21) is still a text cell in every piece."""
    rows = [(1_800_000_000.0 + n, "=HYPERLINK(\"x\")" if n % 2 else "GDPR", n % 3, "+abc") for n in range(25)]
    pieces = list(csv_lines(iter(rows), zoneinfo.ZoneInfo("Asia/Shanghai"), batch=10))
    assert len(pieces) == 4 and pieces[0].startswith("\ufefftime,query")  # the header, then 10, 10 and 5 rows
    parsed = list(csv.reader(io.StringIO("".join(pieces).lstrip("\ufeff"))))
    assert len(parsed) == 26 and parsed[2][1] == "'=HYPERLINK(\"x\")" and parsed[1][1] == "GDPR"
    assert all(row[3] == "'+abc" for row in parsed[1:]) and parsed[1][0] == "2027-01-15T16:00:00+08:00"


# ---- the retention -----------------------------------------------------------------------------------------


class Stopwatch(FakeClock):
    """A clock whose monotonic time moves a second each time it is read (a prune that takes long)."""

    def monotonic(self) -> float:
        self.mono += 1
        return self.mono


def test_the_retention_prunes_whole_old_days_in_batches(database_url, tmp_path, monkeypatch):
    """Queries older than webhook.query_log_days go, whole days at a time, a few rows per transaction, and
    within a time budget (the next prune goes on); what is left and its summaries still agree."""
    monkeypatch.setattr(queryretention, "BATCH", 7)
    stores = stores_at(database_url)
    rows = random_queries(300, seed=11)
    write(stores.db, rows, tmp_path)
    clock = Stopwatch(start=START + 6 * DAY)  # keep 3 days: the days before day 3 of the ten go
    retention = QueryRetention(stores.db, APPID, 3, clock.clock)
    cutoff = int((START + 3 * DAY) / DAY) * DAY
    old = sum(1 for at, *_ in rows if at < cutoff)
    first = retention.prune(budget=5)  # a few batches of 7 rows, then it stops for now
    assert 0 < first < old and first % 7 == 0
    assert retention.prune_if_due(budget=1000) == old - first
    assert retention.prune_if_due(budget=1000) == 0  # an hour has not passed
    kept = [row for row in rows if row[0] >= cutoff]
    assert len(stores.query_log().entries()) == len(kept)
    check_summaries(stores.db, kept)
    with stores.db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM query_askers WHERE last_at < :c"), {"c": cutoff}).scalar() == 0


def test_query_log_days_is_checked(tmp_path, monkeypatch):
    from wechat_pub.config import load_config

    monkeypatch.chdir(tmp_path)
    assert load_config()["webhook.query_log_days"] == 730
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__QUERY_LOG_DAYS", "0")
    with pytest.raises(ConfigError, match="query_log_days must be between 1 and 36500"):
        load_config()


def test_the_webhook_answers_while_a_prune_holds_its_batch(stored_site, monkeypatch, tmp_path, run_cli):
    """A prune's batch holds its transaction open (on SQLite, the database's write lock; on PostgreSQL, the
    rows'); a follower's question in the meantime is answered from the index, and the prune then finishes."""
    from test_webhook import serve

    site, database_url = stored_site
    stores = stores_at(database_url)
    write(stores.db, random_queries(50), tmp_path / "old")
    inside, release = threading.Event(), threading.Event()
    batch = QueryRetention._batch

    def held(self, statement, before):
        with self.db.begin() as conn:
            deleted = conn.exec_driver_sql(self.db.driver_sql(statement), (self.appid, before, 1000)).rowcount
            inside.set()
            release.wait(60)
        return deleted or batch(self, statement, before)

    monkeypatch.setattr(QueryRetention, "_batch", held)
    monkeypatch.chdir(site)
    run_cli("index", "--scope", "all")  # (the scope serve() gives the webhook: its first answer need not make it)
    retention = QueryRetention(stores.db, APPID, 1, FakeClock(start=START + 30 * DAY).clock)
    pruned = []
    pruning = threading.Thread(target=lambda: pruned.append(retention.prune(budget=60)))
    webhook, server = serve(site, monkeypatch, query_log_delay=0.2)
    try:
        assert "公安部" in webhook.ask("个人信息")
        pruning.start()
        assert inside.wait(30)
        assert "公安部" in webhook.ask("个人信息")  # answered while the batch is open
        assert pruning.is_alive() and not pruned
    finally:
        release.set()
        pruning.join(60)
        server.shutdown()
    assert pruned == [50]


@pytest.fixture
def stored_site(firm_dir, database_url):
    import shutil

    from conftest import SEED_ARTICLE, use_database

    (firm_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, firm_dir / "articles")
    use_database(firm_dir, database_url)
    return firm_dir, database_url


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe"])
def test_the_chart_counts_each_local_day(zone, database_url, tmp_path):
    """The followers chart's local days, summed by the database a UTC offset at a time (across daylight-saving
    changes, in 45- and 30-minute zones), are the days datetime gives each query; an offset of old that is not
    whole quarter hours is left to the quarter hours' walk in Python."""
    from wechat_pub.state.querysummary import local_days, offset_spans

    assert offset_spans(-2_400_000_000 // 900, -2_400_000_000 // 900 + 96, zoneinfo.ZoneInfo("Africa/Monrovia")) is None
    tz, rng = zoneinfo.ZoneInfo(zone), random.Random(zone)
    rows = [(at, "q", 1, "f") for at in sorted(1_790_000_000.0 + rng.random() * 400 * DAY for _ in range(3000))]
    counted = Counter(dt.datetime.fromtimestamp(at, tz).date() for at, *_ in rows)
    assert local_days(sorted(Counter(int(at // 900) * 900 for at, *_ in rows).items()), tz) == counted
    stores = stores_at(database_url)
    write(stores.db, rows, tmp_path)
    summary = QuerySummary(stores.db, APPID, now=lambda: rows[-1][0] + DAY)
    assert summary.per_day(0.0, tz) == counted
    assert summary.per_day(rows[1000][0], tz) == Counter(
        dt.datetime.fromtimestamp(at, tz).date() for at, *_ in rows if at >= rows[1000][0] // 900 * 900)
