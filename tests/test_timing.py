"""When a scheduled issue runs, decided without a clock of its own: due, missed, finished, retried (issue 9)."""

from __future__ import annotations

from wechat_pub.publish.timing import (
    Slot,
    Verdict,
    may_retry,
    missed_detail,
    retry_delay,
    slot_status,
    slots_of,
    verdict,
)
from wechat_pub.state.runs import Run

SLOT = Slot(135, "articles/issue-135.md", "2026-12-02T09:00:00+08:00")
AT = SLOT.timestamp
GRACE = 6 * 3600


def run(state: str, attempts: int = 1, started_at: float = AT) -> Run:
    return Run(135, SLOT.publish_at, state, "host:1", attempts, "", started_at, started_at)


def test_a_slot_waits_for_its_time_then_runs():
    assert verdict(SLOT, None, AT - 1, GRACE) is Verdict.WAIT
    assert verdict(SLOT, None, AT, GRACE) is Verdict.RUN
    assert verdict(SLOT, None, AT + GRACE, GRACE) is Verdict.RUN  # back within the grace period: still runs


def test_a_slot_nobody_ran_within_grace_is_missed():
    assert verdict(SLOT, None, AT + GRACE + 1, GRACE) is Verdict.MISSED
    detail = missed_detail(SLOT, AT + GRACE + 1800, GRACE)
    assert "grace period of 6 h had passed (6.5 h late)" in detail and "wechat-pub push" in detail


def test_a_slot_that_ran_never_runs_again():
    for state in ("done", "failed", "missed", "canceled"):
        assert verdict(SLOT, run(state), AT + 10, GRACE) is Verdict.FINISHED
        assert verdict(SLOT, run(state), AT + GRACE * 10, GRACE) is Verdict.FINISHED


def test_a_started_run_is_resumed_even_after_the_grace_period():
    """A run left 'running' (its scheduler died) or 'retrying' is taken up again: its push recovers."""
    for state in ("running", "retrying"):
        assert verdict(SLOT, run(state), AT + GRACE * 2, GRACE) is Verdict.RUN


def test_retries_back_off_doubling_up_to_ten_minutes():
    assert [retry_delay(n, 60) for n in (1, 2, 3, 4, 5, 6)] == [60, 120, 240, 480, 600, 600]
    assert retry_delay(1, 0.5) == 0.5


def test_retries_stop_when_the_window_is_over():
    on_time = run("running")
    assert may_retry(SLOT, on_time, AT + 60, 120, retry_minutes=30)
    assert not may_retry(SLOT, on_time, AT + 1700, 120, retry_minutes=30)  # the next attempt: 30+ min late
    caught_up = run("running", started_at=AT + 3600)  # first ran an hour late, after an outage (within grace)
    assert may_retry(SLOT, caught_up, AT + 3600 + 60, 120, retry_minutes=30)  # it still gets its retries
    assert not may_retry(SLOT, caught_up, AT + 3600 + 1700, 120, retry_minutes=30)


def test_status_for_people():
    assert slot_status(SLOT, None, AT - 60, GRACE) == ("scheduled", "")
    assert slot_status(SLOT, None, AT + 60, GRACE)[0] == "due"
    assert slot_status(SLOT, None, AT + GRACE + 60, GRACE)[0] == "missed"
    assert slot_status(SLOT, run("done"), AT + 60, GRACE)[0] == "done"


def test_only_issues_with_a_time_have_slots():
    class Issue:
        def __init__(self, number, publish_at):
            self.number, self.path, self.publish_at = number, f"{number}.md", publish_at

    assert slots_of([Issue(1, None), Issue(2, SLOT.publish_at)]) == [Slot(2, "2.md", SLOT.publish_at)]
