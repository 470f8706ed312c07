"""How long followers' queries are kept (``webhook.query_log_days``): older queries and their summaries are
deleted a few thousand rows at a time, each batch its own short transaction, so the spools' writes wait at most
one batch and the webhook (which never waits for the database: it answers from its index and spools the query)
goes on answering. Whole UTC days go at once, so the summaries (per day) and the queries they count stay equal.
"""

from __future__ import annotations

import logging

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.querysummary import DAY, QUARTER, day_of

log = logging.getLogger(__name__)
BATCH = 5000  # rows deleted per transaction
EVERY = 3600.0  # seconds between prunes once the log is within its retention
_QUARTERS_PER_BATCH = 96 * 7  # a week of quarter hours

# Each deletes one batch of rows older than a time, or nothing once there are none.
_OLD_QUERIES = "DELETE FROM queries WHERE id IN (SELECT id FROM queries WHERE appid = ? AND at < ? ORDER BY at LIMIT ?)"
_OLD_ASKERS = ("DELETE FROM query_askers WHERE (appid, query, follower) IN (SELECT appid, query, follower "
               "FROM query_askers WHERE appid = ? AND last_at < ? LIMIT ?)")


class QueryRetention:
    """One account's query log, kept to ``days`` days."""

    def __init__(self, db, appid: str, days: int, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.days = days
        self.clock = clock
        self._done_at: float | None = None  # (monotonic) when a prune last reached the cutoff

    def prune_if_due(self, budget: float = 2.0) -> int:
        """Prune when the last prune finished an hour ago or more (or never ran, or ran out of time); the
        queries deleted."""
        if self._done_at is not None and self.clock.monotonic() - self._done_at < EVERY:
            return 0
        return self.prune(budget)

    def prune(self, budget: float = 2.0) -> int:
        """Delete what is older than the retention, batch by batch, for at most ``budget`` seconds (the caller,
        the scheduler's loop, also renews its lease); the queries deleted. Done when none is left."""
        cutoff_day = day_of(self.clock.time() - self.days * DAY)
        before = cutoff_day * DAY
        steps = (lambda: self._batch(_OLD_QUERIES, before), lambda: self._batch(_OLD_ASKERS, before),
                 lambda: self._oldest_day("query_days", cutoff_day),
                 lambda: self._oldest_day("query_follower_days", cutoff_day), lambda: self._oldest_week(cutoff_day))
        started, deleted = self.clock.monotonic(), 0
        for step in steps:
            while count := step():
                deleted += count if step is steps[0] else 0
                if self.clock.monotonic() - started > budget:
                    log.info("query log: pruned %s queries; more next time", deleted)
                    return deleted
        self._done_at = self.clock.monotonic()
        if deleted:
            log.info("query log: pruned %s queries older than %s days", deleted, self.days)
        return deleted

    def _batch(self, statement: str, before: float) -> int:
        with self.db.begin() as conn:
            return conn.exec_driver_sql(self.db.driver_sql(statement), (self.appid, before, BATCH)).rowcount

    def _oldest_day(self, table: str, cutoff_day: int) -> int:
        """The oldest day of ``table`` (a summary by day) before the cutoff: a few thousand rows, one per query
        asked that day."""
        with self.db.begin() as conn:
            return conn.exec_driver_sql(self.db.driver_sql(
                f"DELETE FROM {table} WHERE appid = ? AND day = (SELECT MIN(day) FROM {table} WHERE appid = ? "
                "AND day < ?)"), (self.appid, self.appid, cutoff_day)).rowcount

    def _oldest_week(self, cutoff_day: int) -> int:
        """The oldest week of ``query_quarters`` before the cutoff."""
        cutoff = cutoff_day * DAY // QUARTER
        with self.db.begin() as conn:
            return conn.exec_driver_sql(self.db.driver_sql(
                "DELETE FROM query_quarters WHERE appid = ? AND quarter < ? AND quarter < (SELECT MIN(quarter) FROM "
                "query_quarters WHERE appid = ?) + ?"), (self.appid, cutoff, self.appid, _QUARTERS_PER_BATCH)).rowcount
