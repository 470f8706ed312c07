"""Scheduled runs: one row per (issue, publish_at) slot of an account, claimed before a scheduled push starts.
A slot that ran is never run again, and two schedulers can never run one slot at once: while a push runs, its
scheduler keeps the row fresh (:meth:`ScheduleRuns.kept_fresh`), and another takes the run over only once the
row has gone quiet (its scheduler died, or lost the database) — not merely because it lost the leader's lease."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import schedule_runs

log = logging.getLogger(__name__)
FINAL_STATES = ("done", "missed", "failed", "canceled", "blocked")


@dataclass(frozen=True)
class Run:
    issue: int
    publish_at: str
    state: str  # running, retrying, done, missed, failed, canceled, blocked
    owner: str
    attempts: int
    detail: str
    started_at: float
    updated_at: float

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


class ScheduleRuns:
    def __init__(self, db: StateDatabase, appid: str, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.clock = clock

    def get(self, issue: int, publish_at: str) -> Run | None:
        with self.db.connect() as conn:
            row = conn.execute(select(schedule_runs).where(*self._slot(issue, publish_at))).first()
        return _run(row) if row else None

    def claim(self, issue: int, publish_at: str, owner: str, take_own: bool = False,
              quiet_for: float = 0.0) -> Run | None:
        """Start (or resume) the run of one slot; None when it is finished, or running elsewhere.
        ``take_own``: also resume a run this owner left 'running' (an outage cut it short). Another owner's
        'running' run is taken over only when its row was not touched for ``quiet_for`` seconds."""
        now = self.clock.time()
        try:
            with self.db.begin() as conn:
                conn.execute(schedule_runs.insert().values(appid=self.appid, issue=issue, publish_at=publish_at,
                                                           state="running", owner=owner, attempts=1,
                                                           detail="", started_at=now, updated_at=now))
            return self.get(issue, publish_at)
        except IntegrityError:
            pass
        runs = schedule_runs.c
        abandoned = (runs.owner != owner) & (runs.updated_at <= now - quiet_for)  # its scheduler died
        running = (runs.owner == owner) | abandoned if take_own else abandoned
        resumable = (runs.state == "retrying") | ((runs.state == "running") & running)
        with self.db.begin() as conn:
            taken = conn.execute(update(schedule_runs).where(*self._slot(issue, publish_at), resumable).values(
                state="running", owner=owner, attempts=runs.attempts + 1, updated_at=now)).rowcount
        return self.get(issue, publish_at) if taken else None

    @contextmanager
    def kept_fresh(self, issue: int, publish_at: str, owner: str, every: float):
        """While the block runs, touch the run's row every ``every`` seconds (real time), so that nobody takes
        over a push that is slow but alive."""
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(every):
                try:
                    with self.db.begin() as conn:
                        conn.execute(update(schedule_runs).where(
                            *self._slot(issue, publish_at), schedule_runs.c.owner == owner,
                            schedule_runs.c.state == "running").values(updated_at=self.clock.time()))
                except Exception as exc:  # (the database away: the row goes quiet; the push ledger still holds)
                    log.info("run of issue %s not kept fresh: %s", issue, type(exc).__name__)

        thread = threading.Thread(target=beat, name=f"run-{issue}-fresh", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def finish(self, issue: int, publish_at: str, state: str, detail: str = "") -> None:
        """Record what became of a slot (also a slot that never started: missed, canceled)."""
        row = {"appid": self.appid, "issue": issue, "publish_at": publish_at, "state": state, "owner": "",
               "attempts": 0, "detail": detail, "updated_at": self.clock.time()}
        with self.db.begin() as conn:
            conn.execute(self.db.upsert(schedule_runs, row, update=("state", "detail", "updated_at")))

    def all(self, low: int | None = None, high: int | None = None) -> list[Run]:
        """Every run of the account; with ``low`` and ``high``, those of issues ``low`` to ``high`` (a page)."""
        statement = select(schedule_runs).where(schedule_runs.c.appid == self.appid).order_by(schedule_runs.c.publish_at)
        if low is not None:
            statement = statement.where(schedule_runs.c.issue >= low, schedule_runs.c.issue <= high)
        with self.db.connect() as conn:
            rows = conn.execute(statement).all()
        return [_run(row) for row in rows]

    def _slot(self, issue: int, publish_at: str):
        return (schedule_runs.c.appid == self.appid, schedule_runs.c.issue == issue,
                schedule_runs.c.publish_at == publish_at)


def _run(row) -> Run:
    data = dict(row._mapping)
    data.pop("appid")
    return Run(**data)
