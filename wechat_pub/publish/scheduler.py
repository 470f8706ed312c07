"""The scheduler service: pushes each issue at its ``publish_at``, exactly once, surviving restarts, for every
account of the deployment.

- APScheduler 3.11 with its SQLAlchemy job store in the state database: jobs survive restarts; a job missed
  while the service was down runs once on start within the grace period, else it is marked missed.
- Exactly one scheduler acts, however many processes (gunicorn workers) or hosts share the database: a
  lease in the state database elects it, and the others take over if it stops renewing (APScheduler
  itself cannot share a job store: reference/scale-search.md §1.6).
- Whatever APScheduler does, a run claims its (issue, publish_at) slot in ``schedule_runs`` first:
  a slot that ran is never run again, and runs of one issue never overlap.
- The issues are the source of truth: each host's articles folder is kept in step with the shared database
  (:mod:`wechat_pub.library`) by every service process, and the leader's sync (at start and every
  ``schedule.sync_seconds``) adds, moves and removes jobs to match the database's publish times, whichever
  host an issue came from. An issue whose text broke keeps its time, and is blocked (not pushed) then.
- What to do with a slot (wait, run, missed, finished) and when to retry are decided by
  :mod:`wechat_pub.publish.timing`, on the injected clock's time.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from typing import Callable

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from wechat_pub.deployment import Deployment
from wechat_pub.errors import WechatPubError
from wechat_pub.notify import done_event
from wechat_pub.preflight import image_errors
from wechat_pub.publish import jobs, timing
from wechat_pub.publish.failed import PublishFailed
from wechat_pub.publish.send import approval_missing
from wechat_pub.publish.timing import Slot, Verdict, blocked_detail, may_retry, missed_detail, retry_delay, verdict
from wechat_pub.site import Site
from wechat_pub.state.outage import is_outage
from wechat_pub.wechat.errors import RETRY_LATER, NetworkError, WeChatAPIError

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
ANALYTICS_EVERY = 60.0  # seconds between two looks at what analytics has due (figures, the weekly note)
PRUNE_JOB = "prune-query-log"  # keeps each account's query log to webhook.query_log_days


def job_id(site: Site, slot: Slot) -> str:
    return f"{site.name}:issue-{slot.issue}"


class SchedulerService:
    def __init__(self, deployment: Deployment, on_event: Callable[[str, str], None] | None = None):
        self.deployment = deployment
        self.clock = deployment.clock
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = deployment.lease_seconds
        self.scheduler: BackgroundScheduler | None = None
        self.slots: dict[str, tuple[Site, Slot]] = {}  # job id -> what it runs
        self.on_event = on_event or (lambda kind, detail: None)  # tests and `run` watch what happens
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sync_lock = threading.Lock()
        self._signatures: dict[str, str] = {}
        self._active: set[str] = set()  # job ids of the pushes running in this process now
        self._retries: dict[str, dict] = {}  # job id -> the retry its running push asked for (added when it ends)
        self._active_lock = threading.Lock()
        self.retry_base_seconds = 60.0  # first retry of a transient failure; doubles up to 10 minutes
        self._analytics_at: float | None = None  # when this process last looked (monotonic)

    # ---- leadership -----------------------------------------------------------------------------------

    def start(self) -> None:
        jobs.SERVICE = self
        self._thread = threading.Thread(target=self._lead_while_running, name="wechat-pub-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        self._step_down()
        try:
            self.deployment.services.leases.drop_lease(LEASE_NAME, self.identity)
        except Exception:  # the database is away: the lease runs out by itself
            log.warning("could not give up the scheduler's lease; it expires in %s s", self.lease)
        if jobs.SERVICE is self:
            jobs.SERVICE = None

    def _lead_while_running(self) -> None:
        synced = 0.0
        while not self._stop.is_set():
            try:
                if self.deployment.services.leases.take_lease(LEASE_NAME, self.identity, self.lease):
                    if self.scheduler is None:
                        self._become_leader()
                elif self.scheduler is not None:
                    self._step_down()  # the lease went to another process: never two schedulers
            except Exception as exc:  # the database was busy or away: try again on the next beat
                log.warning("scheduler lease check failed: %s: %s", type(exc).__name__, exc)
            if self.scheduler is None and self.clock.monotonic() - synced >= self.deployment.sync_seconds:
                synced = self.clock.monotonic()  # followers too: this host's folder reaches the database
                self._sync_folders()
            self._stop.wait(min(self.lease / 3, self.deployment.sync_seconds))

    def _sync_folders(self) -> None:
        for site in self.deployment.sites.values():
            try:
                for line in site.library.sync().conflicts:
                    self.on_event("conflict", f"{site.name}: {line}")
            except Exception as exc:
                log.warning("articles of account %s not synced: %s: %s", site.name, type(exc).__name__, exc)

    def _become_leader(self) -> None:
        deployment = self.deployment
        grace = min(site.schedule.grace_seconds for site in deployment.sites.values())
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=deployment.services.db.engine, tablename="apscheduler_jobs")},
            job_defaults={"misfire_grace_time": int(grace) or 1, "coalesce": True, "max_instances": 1},
            timezone=deployment.timezone)
        scheduler.add_listener(self._job_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        scheduler.start(paused=True)
        self.scheduler = scheduler
        scheduler.add_job("wechat_pub.publish.jobs:sync_schedule", "interval", seconds=deployment.sync_seconds,
                          id="sync-schedule", replace_existing=True, misfire_grace_time=None)
        scheduler.add_job("wechat_pub.publish.jobs:prune_query_logs", "interval", seconds=deployment.sync_seconds,
                          id=PRUNE_JOB, replace_existing=True, misfire_grace_time=None)
        self.sync(force=True)
        scheduler.resume()
        log.info("this process (%s) now runs the schedule", self.identity)
        self.on_event("leader", self.identity)

    def _step_down(self) -> None:
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=False)
            self.on_event("follower", self.identity)

    # ---- keeping the jobs in step with the articles ---------------------------------------------------

    def sync(self, force: bool = False) -> None:
        scheduler = self.scheduler
        if scheduler is None:
            return
        self._check_sends()
        self._analytics()
        with self._sync_lock:
            self._sync_folders()
            signatures = {name: site.library.store.revision() for name, site in self.deployment.sites.items()}
            if not force and signatures == self._signatures:
                return
            self._signatures = signatures
            with self._active_lock:
                active = set(self._active)  # (their pushes may add a retry while this runs: left to them)
            wanted: dict[str, tuple[Site, Slot]] = {}
            for site in self.deployment.sites.values():
                wanted.update(self._wanted_jobs(site, active))
            for job in scheduler.get_jobs():
                if job.id not in ("sync-schedule", PRUNE_JOB, *active) and job.id not in wanted:
                    job.remove()  # publish_at removed, the slot already ran, or a job of an older version
                    self.on_event("unscheduled", job.id)
            for key, (site, slot) in wanted.items():
                self._keep_job(scheduler, key, site, slot)
            self.slots = wanted

    def prune_query_logs(self) -> None:
        """Followers' queries older than webhook.query_log_days go (hourly; a backlog a couple of seconds at a
        time, in a job thread of its own)."""
        for site in self.deployment.sites.values():
            try:
                site.query_retention.prune_if_due()
            except Exception as exc:  # the database busy or away: pruned on a later sync
                log.warning("query log of account %s not pruned: %s: %s", site.name, type(exc).__name__, exc)

    def _check_sends(self) -> None:
        from wechat_pub.publish.sendresult import check_every_site

        check_every_site(self.deployment.sites.values(), self.on_event)

    def _analytics(self) -> None:
        """Yesterday's figures when due, the weekly note when due (:mod:`wechat_pub.analytics.service`)."""
        from wechat_pub.analytics.service import run_due

        if self._analytics_at is not None and self.clock.monotonic() - self._analytics_at < ANALYTICS_EVERY:
            return
        self._analytics_at = self.clock.monotonic()
        for site in self.deployment.sites.values():
            try:
                for line in run_due(site):
                    self.on_event("analytics", f"{site.name}: {line}")
            except Exception as exc:  # WeChat or the database away: tried again on the next sync, not a minute on
                self._analytics_at = None
                log.warning("analytics of account %s: %s: %s", site.name, type(exc).__name__, exc)

    def _wanted_jobs(self, site: Site, active: set[str]) -> dict[str, tuple[Site, Slot]]:
        wanted = {}
        now = self.clock.time()
        for slot in site.library.slots():
            run = site.runs.get(slot.issue, slot.publish_at)
            decision = verdict(slot, run, now, site.schedule.grace_seconds)
            if decision is Verdict.MISSED:
                self._missed(site, slot)
            elif decision in (Verdict.WAIT, Verdict.RUN) and job_id(site, slot) not in active:
                wanted[job_id(site, slot)] = (site, slot)
        return wanted

    def _keep_job(self, scheduler: BackgroundScheduler, key: str, site: Site, slot: Slot) -> None:
        job = scheduler.get_job(key)
        args = [site.name, slot.issue, slot.path, slot.publish_at]
        if job is not None and list(job.args) == args:
            return
        run = site.runs.get(slot.issue, slot.publish_at)
        if job is not None and run and run.state == "retrying":
            return  # a retry is already waiting for its time
        # A run begun elsewhere (its retry lost when that leader stepped down, or its scheduler died) goes on now,
        # not at its slot's time: that may be past APScheduler's grace, which would call it missed.
        when = slot.moment if run is None else max(slot.moment, dt.datetime.now(dt.timezone.utc))
        scheduler.add_job("wechat_pub.publish.jobs:push_scheduled", "date", run_date=when, args=args, id=key,
                          replace_existing=True)
        self.on_event("scheduled", f"{key} at {slot.publish_at}")

    def _missed(self, site: Site, slot: Slot) -> None:
        detail = missed_detail(slot, self.clock.time(), site.schedule.grace_seconds)
        site.runs.finish(slot.issue, slot.publish_at, "missed", detail)
        site.pushes.note(slot.issue, "schedule-missed", detail)
        site.notifier.notify(site.notice(slot.issue, "missed", detail))
        self.on_event("missed", job_id(site, slot))

    def _job_event(self, event) -> None:
        found = self.slots.get(event.job_id)
        if found is None:
            return
        site, slot = found
        if event.code == EVENT_JOB_MISSED:
            self._missed(site, slot)
        else:
            site.runs.finish(slot.issue, slot.publish_at, "failed", f"internal error: {event.exception}")

    # ---- the push itself ---------------------------------------------------------------------------------

    def run_push(self, account: str, issue: int, path: str, publish_at: str) -> None:
        site = self.deployment.site(account)
        slot = Slot(issue, path, publish_at)
        key = job_id(site, slot)
        with self._active_lock:  # (a retry due at once waits here until the push that asked for it has ended)
            if key in self._active:
                return
            self._active.add(key)
        try:
            self._run_slot(site, slot, key)
        except Exception as exc:  # recording the outcome failed (the database went away): resumed later
            if not is_outage(exc):
                raise
            log.warning("scheduled push of issue %s: the state database is away (%s); it resumes when it is back",
                        issue, type(exc).__name__)
            self.on_event("interrupted", key)
        finally:
            self._ended(key)

    def _ended(self, key: str) -> None:
        """A push of this process has ended: the retry it asked for is added now (added while it ran, under its job
        id, APScheduler skipped it when due before the push returned: 'retrying' for ever), and the next sync looks
        at every slot again (one of this issue, moved meanwhile, was left to this push)."""
        with self._active_lock:
            retry, scheduler = self._retries.pop(key, None), self.scheduler
            try:  # max_instances 2: the push that asked may not be counted as ended yet when the retry is due
                if retry is not None and scheduler is not None:
                    scheduler.add_job("wechat_pub.publish.jobs:push_scheduled", "date", id=key, replace_existing=True,
                                      max_instances=2, **retry)
            except Exception as exc:  # the job store's database away: the next sync schedules the slot again
                log.warning("retry of %s not scheduled (%s: %s); the next sync takes it up", key,
                            type(exc).__name__, exc)
            finally:
                self._active.discard(key)
                self._signatures = {}

    def _run_slot(self, site: Site, slot: Slot, key: str) -> None:
        before = site.runs.get(slot.issue, slot.publish_at)
        # take_own: a run of ours left 'running' by an outage (no push of it is active here) is resumed
        run = site.runs.claim(slot.issue, slot.publish_at, self.identity, take_own=True, quiet_for=3 * self.lease)
        if run is None:
            current = site.runs.get(slot.issue, slot.publish_at)
            if current is not None and current.state == "running":  # another scheduler's push: look again later
                log.info("issue %s at %s runs elsewhere; looked at in %g s", slot.issue, slot.publish_at, self.lease)
                self._retries[key] = {"run_date": dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=self.lease),
                                      "args": [site.name, slot.issue, slot.path, slot.publish_at]}
                return
            log.info("issue %s at %s already ran; not again", slot.issue, slot.publish_at)
            return
        with site.runs.kept_fresh(slot.issue, slot.publish_at, self.identity, every=self.lease / 3):
            self._run_claimed(site, slot, key, before, run)

    def _run_claimed(self, site: Site, slot: Slot, key: str, before, run) -> None:
        if before is not None and before.state == "running":  # its attempt never recorded how it ended
            self._attempt_failed(site, slot, before, WechatPubError(
                "it was cut short (the state database went away, or its scheduler stopped, before it ended)"),
                f"attempt {run.attempts} resumes it")
        self.on_event("running", key)
        try:
            outcome = self._push(site, slot)
        except Exception as exc:
            self._after_failure(site, slot, run, exc)
            return
        if outcome is None:
            return
        site.runs.finish(slot.issue, slot.publish_at, "done", outcome)
        site.pushes.note(slot.issue, "schedule-done", outcome)
        site.notifier.notify(site.notice(slot.issue, done_event(outcome), outcome))
        self.on_event("done", f"{key}: {outcome}")

    def _after_failure(self, site: Site, slot: Slot, run, exc: Exception) -> None:
        """Transient failures (WeChat busy or over quota, the network, the state database or Redis away) are
        retried within schedule.retry_minutes; the rest fail the slot, with what to do."""
        if isinstance(exc, WeChatAPIError) and exc.errcode not in RETRY_LATER:
            self._fail(site, slot, exc)
        elif isinstance(exc, (NetworkError, WeChatAPIError)) or getattr(exc, "retry_later", False):
            self._retry_or_fail(site, slot, run, exc)
        elif is_outage(exc):
            from wechat_pub.state.outage import explain_outage

            self._retry_or_fail(site, slot, run, explain_outage(exc, "reach the state it needs"))
        elif isinstance(exc, WechatPubError):
            self._fail(site, slot, exc)
        else:  # a bug must not kill the scheduler: record it, say where to look
            log.exception("scheduled push of issue %s failed", slot.issue)
            self._fail(site, slot, WechatPubError(f"internal error: {type(exc).__name__}: {exc}",
                                                  "See the service's log, and report it."))

    def _push(self, site: Site, slot: Slot) -> str | None:
        site.library.sync()  # the latest text, and its images in this host's folder
        row = site.library.row(slot.issue)
        moved = timing.moved_to(row, slot)
        if moved is not None:
            site.runs.finish(slot.issue, slot.publish_at, "canceled", f"moved to {moved or 'no time'} before it ran")
            return None
        issue = site.library.catalogue().issue(slot.issue)
        problems = ((row.problems or ("-: it cannot be read",)) if issue is None or not row.valid
                    else image_errors(issue, site.render_options()))  # its images too: a push would refuse them
        if problems:
            return self._blocked(site, slot, blocked_detail(Slot(slot.issue, slot.path, slot.publish_at, problems)))
        unapproved = approval_missing(site, slot.issue)
        if unapproved:
            return self._blocked(site, slot, f"console.require_approval is on and {unapproved}: an approver must "
                                             "approve this version, then push it or set a new time.")
        from wechat_pub.publish.deliver import deliver

        def go_ahead() -> None:  # (the push may have taken minutes: the team may have canceled the time meanwhile)
            site.library.sync()
            if timing.moved_to(site.library.row(slot.issue), slot) is not None:
                raise timing.ScheduleMoved()
        try:
            with site.connect() as account:
                return deliver(site, account, issue, go_ahead)  # draft, publish or send, as the issue or account says
        except timing.ScheduleMoved:
            site.runs.finish(slot.issue, slot.publish_at, "canceled", "its time was changed or canceled while it was "
                                                                      "being pushed: it was not published or sent")
            return None

    def _blocked(self, site: Site, slot: Slot, detail: str) -> None:
        site.runs.finish(slot.issue, slot.publish_at, "blocked", detail)
        site.pushes.note(slot.issue, "schedule-blocked", detail)
        site.notifier.notify(site.notice(slot.issue, "blocked", detail))
        self.on_event("blocked", f"{job_id(site, slot)}: {detail}")

    def _retry_or_fail(self, site: Site, slot: Slot, run, exc: WechatPubError) -> None:
        now = self.clock.time()
        delay = retry_delay(run.attempts, self.retry_base_seconds)
        if not may_retry(slot, run, now, delay, site.schedule.retry_minutes):
            self._fail(site, slot, exc)
            return
        site.runs.finish(slot.issue, slot.publish_at, "retrying", f"attempt {run.attempts}: {exc.message}")
        key = job_id(site, slot)
        stepped_down = self.scheduler is None  # (meanwhile: the leader takes the 'retrying' run up)
        then = "the leader tries again" if stepped_down else f"tried again in {delay:g} s"
        self._attempt_failed(site, slot, run, exc, then)
        if stepped_down:
            return
        self._retries[key] = {"run_date": dt.datetime.fromtimestamp(now + delay, dt.timezone.utc),
                              "args": [site.name, slot.issue, slot.path, slot.publish_at]}
        self.on_event("retrying", f"{key} in {delay:g} s")

    def _attempt_failed(self, site: Site, slot: Slot, run, exc: WechatPubError, then: str) -> None:
        """Every failed attempt is logged and kept in the issue's history (the console's issue page shows it),
        also those a later retry makes good: the run's own row keeps only how it ended."""
        detail = f"attempt {run.attempts} of the push at {slot.publish_at} failed: {exc.message}; {then}"
        log.warning("scheduled push of issue %s: %s", slot.issue, detail)
        site.pushes.note(slot.issue, "schedule-attempt-failed", detail)

    def _fail(self, site: Site, slot: Slot, exc: WechatPubError) -> None:
        detail = exc.message + (f" → {exc.hint}" if exc.hint else "")
        log.warning("scheduled push of issue %s at %s failed for good: %s", slot.issue, slot.publish_at, detail)
        site.runs.finish(slot.issue, slot.publish_at, "failed", detail)
        site.pushes.note(slot.issue, "schedule-failed", detail)
        pushed_not_published = isinstance(exc, PublishFailed)  # the draft is there; WeChat refused to publish it
        site.notifier.notify(site.notice(slot.issue, "publish-failed" if pushed_not_published else "failed", detail))
        self.on_event("failed", f"{job_id(site, slot)}: {detail}")

