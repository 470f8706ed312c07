"""When a scheduled issue runs: pure decisions on slots, runs and the time, with no I/O and no clock of their
own, so they are tested by passing ``now``. The scheduler acts on them; ``schedule list`` shows them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from wechat_pub import model as m
from wechat_pub.state.runs import Run

RETRY_CAP_SECONDS = 600.0


@dataclass(frozen=True)
class Slot:
    """One issue's publish time: (issue, publish_at) runs at most once."""

    issue: int
    path: str
    publish_at: str  # ISO 8601 with offset, as normalised by the parser
    problems: tuple[str, ...] = ()  # the issue's text has errors: at its time it is blocked, not pushed

    @property
    def blocked(self) -> bool:
        return bool(self.problems)

    @property
    def moment(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.publish_at)

    @property
    def timestamp(self) -> float:
        return self.moment.timestamp()


def slots_of(issues) -> list[Slot]:
    """The slots of the issues that have a publish time."""
    return [Slot(issue.number, issue.path, issue.publish_at) for issue in issues if issue.publish_at]


def slot_of(issue: m.Issue) -> Slot | None:
    return Slot(issue.number, issue.path, issue.publish_at) if issue.publish_at else None


class Verdict(Enum):
    WAIT = "wait"  # its time has not come: keep a job for it
    RUN = "run"  # due (or a retry is pending): keep a job, APScheduler runs it now
    MISSED = "missed"  # its time and the grace period passed with no run: record it, run nothing
    FINISHED = "finished"  # it ran (done, failed, missed, canceled): nothing more


def verdict(slot: Slot, run: Run | None, now: float, grace_seconds: float) -> Verdict:
    if run is not None and run.final:
        return Verdict.FINISHED
    late = now - slot.timestamp
    if late < 0:
        return Verdict.WAIT
    if run is None and late > grace_seconds:
        return Verdict.MISSED
    return Verdict.RUN


def missed_detail(slot: Slot, now: float, grace_seconds: float) -> str:
    late = now - slot.timestamp
    return (f"not pushed: the service was not running at {slot.publish_at} and the grace period of "
            f"{grace_seconds / 3600:g} h had passed ({late / 3600:.1f} h late). Push it with `wechat-pub push` "
            "or set a new publish_at.")


def retry_delay(attempts: int, base_seconds: float) -> float:
    """Seconds before the next attempt of a transient failure: doubling from ``base``, at most 10 minutes."""
    return min(base_seconds * 2 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)


def may_retry(slot: Slot, run: Run, now: float, delay: float, retry_minutes: float) -> bool:
    """A transient failure is retried while the next attempt still falls within ``retry_minutes`` of the slot's
    time, or of the run's first attempt when that came later (a slot caught up after an outage gets its retries)."""
    started = max(slot.timestamp, run.started_at)
    return now + delay - started <= retry_minutes * 60


def blocked_detail(slot: Slot) -> str:
    return (f"its article has {len(slot.problems)} error(s), so it will not be pushed: "
            + "; ".join(f"line {p}" for p in slot.problems[:3]) + ". Fix them (`wechat-pub check`).")


def slot_status(slot: Slot, run: Run | None, now: float, grace_seconds: float) -> tuple[str, str]:
    """(state, what it means) of a slot, for people: scheduled, due, missed, blocked, or what its run became."""
    if run is not None:
        return run.state, run.detail
    if slot.blocked:
        return "blocked", blocked_detail(slot)
    late = now - slot.timestamp
    if late <= 0:
        return "scheduled", ""
    if late <= grace_seconds:
        return "due", "runs as soon as `wechat-pub run` is running"
    return "missed", "its time and the grace period passed; push it by hand or set a new time"


class ScheduleMoved(Exception):
    """The issue's time was changed or canceled while its scheduled run was under way."""


def moved_to(row, slot: Slot) -> str | None:
    """Where the slot's issue (``row``: the library's row of it) is scheduled now when that is not the slot
    ('': no time, or the issue is gone); None while the slot still stands."""
    if row is None or row.removed:
        return ""
    return None if row.publish_at == slot.publish_at else (row.publish_at or "")
