"""What the scheduler runs. APScheduler stores jobs by textual reference with primitive arguments, so
these are module-level functions; the running service gives them its context through :data:`SERVICE`."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

SERVICE = None  # the SchedulerService of this process, set when it starts


def push_scheduled(account: str, issue: int, path: str, publish_at: str) -> None:
    """The scheduled push of one issue of one account (a date job per issue: id ``<account>:issue-<n>``)."""
    if SERVICE is None:
        log.error("scheduled push of issue %s fired with no scheduler service in this process", issue)
        return
    SERVICE.run_push(account, issue, path, publish_at)


def sync_schedule() -> None:
    """Reread the articles' publish_at (an interval job: also keeps the scheduler awake)."""
    if SERVICE is not None:
        SERVICE.sync()


def prune_query_logs() -> None:
    """Keep each account's query log to webhook.query_log_days (an interval job, in the job threads: never on
    the thread that renews the scheduler's lease)."""
    if SERVICE is not None:
        SERVICE.prune_query_logs()
