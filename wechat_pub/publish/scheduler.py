"""The scheduler service: pushes each issue at its ``publish_at``, exactly once, surviving restarts.

- APScheduler 3.11 with its SQLAlchemy job store in the state database: jobs survive restarts; a job
  missed while the service was down runs once on start within the grace period, else it is marked missed.
- Exactly one scheduler acts, however many processes (gunicorn workers) or hosts share the database: a
  lease in the state database elects it, and the others take over if it stops renewing (APScheduler
  itself cannot share a job store: reference/scale-search.md §1.6).
- Whatever APScheduler does, a run claims its (issue, publish_at) slot in ``schedule_runs`` first:
  a slot that ran is never run again, and runs of one issue never overlap.
- The articles are the source of truth: a sync (at start and every ``schedule.sync_seconds``) adds,
  moves and removes jobs to match their publish_at; the job store is derived from them.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from wechat_pub.config import Config
from wechat_pub.errors import WechatPubError
from wechat_pub.publish import jobs
from wechat_pub.publish.schedule import Scheduled, scheduled_issues
from wechat_pub.store import Store
from wechat_pub.wechat.errors import RETRYABLE, NetworkError, WeChatAPIError

log = logging.getLogger(__name__)
LEASE_NAME = "scheduler"
FINAL_STATES = ("done", "missed", "failed", "canceled")


class SchedulerService:
    def __init__(self, cfg: Config, store: Store | None = None, on_event=None):
        self.cfg = cfg
        self.store = store or Store(cfg.database_url())
        self.appid = cfg["wechat.appid"] or "wx_sandbox"
        self.identity = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = cfg["schedule.lease_seconds"]
        self.grace = cfg["schedule.grace_hours"] * 3600
        self.scheduler: BackgroundScheduler | None = None
        self.slots: dict[str, Scheduled] = {}
        self.on_event = on_event or (lambda kind, detail: None)  # tests and `run` watch what happens
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sync_lock = threading.Lock()
        self._signature = ""
        self.retry_base_seconds = 60.0  # first retry of a transient failure; doubles up to 10 minutes

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
        self.store.drop_lease(LEASE_NAME, self.identity)
        if jobs.SERVICE is self:
            jobs.SERVICE = None

    @property
    def is_leader(self) -> bool:
        return self.scheduler is not None

    def _lead_while_running(self) -> None:
        while not self._stop.is_set():
            try:
                if self.store.take_lease(LEASE_NAME, self.identity, self.lease):
                    if self.scheduler is None:
                        self._become_leader()
                elif self.scheduler is not None:
                    self._step_down()  # the lease went to another process: never two schedulers
            except Exception:  # the database was busy or away: try again on the next beat
                log.exception("scheduler lease check failed")
            self._stop.wait(self.lease / 3)

    def _become_leader(self) -> None:
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=self.cfg.database_url(), tablename="apscheduler_jobs")},
            job_defaults={"misfire_grace_time": int(self.grace) or 1, "coalesce": True, "max_instances": 1},
            timezone=self.cfg["publisher.timezone"])
        scheduler.add_listener(self._job_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        scheduler.start(paused=True)
        self.scheduler = scheduler
        scheduler.add_job("wechat_pub.publish.jobs:sync_schedule", "interval", seconds=self.cfg["schedule.sync_seconds"],
                          id="sync-schedule", replace_existing=True, misfire_grace_time=None)
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
        from wechat_pub.bot.search import articles_signature

        scheduler = self.scheduler
        if scheduler is None:
            return
        with self._sync_lock:
            signature, _ = articles_signature(self.cfg.resolve_path("paths.articles"))
            if not force and signature == self._signature:
                return
            self._signature = signature
            desired, broken = scheduled_issues(self.cfg)
            for path in broken:
                log.warning("not scheduling %s: it has errors (run wechat-pub check)", path)
            wanted = {}
            for slot in desired:
                if self._wants_job(slot):
                    wanted[f"issue-{slot.issue}"] = slot
            for job in scheduler.get_jobs():
                if job.id.startswith("issue-") and job.id not in wanted:
                    job.remove()  # publish_at removed, or the slot already ran
                    self.on_event("unscheduled", job.id)
            for job_id, slot in wanted.items():
                job = scheduler.get_job(job_id)
                if job is not None and tuple(job.args) == (slot.issue, slot.path, slot.publish_at):
                    continue
                retrying = self.store.run_get(self.appid, slot.issue, slot.publish_at)
                if job is not None and retrying and retrying["state"] == "retrying":
                    continue  # a retry is already waiting for its time
                scheduler.add_job("wechat_pub.publish.jobs:push_scheduled", "date", run_date=slot.moment,
                                  args=[slot.issue, slot.path, slot.publish_at], id=job_id, replace_existing=True)
                self.on_event("scheduled", f"{job_id} at {slot.publish_at}")
            self.slots = wanted

    def _wants_job(self, slot: Scheduled) -> bool:
        run = self.store.run_get(self.appid, slot.issue, slot.publish_at)
        if run and run["state"] in FINAL_STATES:
            return False
        late = time.time() - slot.moment.timestamp()
        if late > self.grace and not run:
            self._missed(slot, late)
            return False
        return True

    def _missed(self, slot: Scheduled, late: float) -> None:
        detail = (f"not pushed: the service was not running at {slot.publish_at} and the grace period of "
                  f"{self.grace / 3600:g} h had passed ({late / 3600:.1f} h late). Push it with `wechat-pub push` "
                  "or set a new publish_at.")
        self.store.run_finish(self.appid, slot.issue, slot.publish_at, "missed", detail)
        self.store.log(self.appid, slot.issue, "schedule-missed", detail)
        self.on_event("missed", f"issue-{slot.issue}")

    def _job_event(self, event) -> None:
        slot = self.slots.get(event.job_id)
        if slot is None:
            return
        if event.code == EVENT_JOB_MISSED:
            self._missed(slot, time.time() - slot.moment.timestamp())
        else:
            self.store.run_finish(self.appid, slot.issue, slot.publish_at, "failed", f"internal error: {event.exception}")

    # ---- the push itself ---------------------------------------------------------------------------------

    def run_push(self, issue: int, path: str, publish_at: str) -> None:
        run = self.store.run_claim(self.appid, issue, publish_at, self.identity)
        if run is None:
            log.info("issue %s at %s already ran (or runs elsewhere); not again", issue, publish_at)
            return
        self.on_event("running", f"issue-{issue}")
        try:
            outcome = self._push(issue, path, publish_at)
        except (NetworkError, WeChatAPIError) as exc:
            if isinstance(exc, WeChatAPIError) and exc.errcode not in RETRYABLE:
                self._fail(issue, publish_at, exc)
            else:
                self._retry_or_fail(issue, path, publish_at, run["attempts"], exc)
            return
        except WechatPubError as exc:
            self._fail(issue, publish_at, exc)
            return
        except Exception as exc:  # a bug must not kill the scheduler: record it, say where to look
            log.exception("scheduled push of issue %s failed", issue)
            self._fail(issue, publish_at, WechatPubError(f"internal error: {type(exc).__name__}: {exc}",
                                                         "See the service's log, and report it."))
            return
        if outcome is None:
            return
        self.store.run_finish(self.appid, issue, publish_at, "done", outcome)
        self.store.log(self.appid, issue, "schedule-done", outcome)
        self.on_event("done", f"issue-{issue}: {outcome}")

    def _push(self, issue: int, path: str, publish_at: str) -> str | None:
        from wechat_pub.publish.account import connect
        from wechat_pub.publish.push import Pusher
        from wechat_pub.render.options import options_from_config
        from wechat_pub.source.article import read_article

        parsed = read_article(path, self.cfg["publisher.timezone"])
        if parsed.issue is None or parsed.errors:
            raise WechatPubError(f"{path} has {len(parsed.errors)} error(s) at its scheduled time.",
                                 "Run `wechat-pub check` on it, fix it, and set a new publish_at.")
        if parsed.issue.publish_at != publish_at or parsed.issue.number != issue:
            self.store.run_finish(self.appid, issue, publish_at, "canceled",
                                  f"moved to {parsed.issue.publish_at or 'no time'} before it ran")
            return None
        account = connect(self.cfg, self.store)
        try:
            brand = " · ".join(x for x in (self.cfg["publisher.newsletter_zh"], self.cfg["publisher.newsletter_en"]) if x)
            pusher = Pusher(account, options_from_config(self.cfg), brand)
            outcome = pusher.push(parsed.issue, publish=self.cfg["schedule.publish"])
        finally:
            account.close()
        return f"{outcome.action} draft {outcome.media_id}" + (f", publish job {outcome.publish_id}"
                                                             if outcome.publish_id else "")

    def _retry_or_fail(self, issue: int, path: str, publish_at: str, attempts: int, exc: WechatPubError) -> None:
        started = dt.datetime.fromisoformat(publish_at).timestamp()
        delay = min(self.retry_base_seconds * 2 ** (attempts - 1), 600)
        if time.time() + delay - max(started, 0) > self.cfg["schedule.retry_minutes"] * 60 or self.scheduler is None:
            self._fail(issue, publish_at, exc)
            return
        self.store.run_finish(self.appid, issue, publish_at, "retrying", f"attempt {attempts}: {exc.message}")
        self.scheduler.add_job("wechat_pub.publish.jobs:push_scheduled", "date",
                               run_date=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay),
                               args=[issue, path, publish_at], id=f"issue-{issue}", replace_existing=True)
        self.on_event("retrying", f"issue-{issue} in {delay} s")

    def _fail(self, issue: int, publish_at: str, exc: WechatPubError) -> None:
        detail = exc.message + (f" → {exc.hint}" if exc.hint else "")
        self.store.run_finish(self.appid, issue, publish_at, "failed", detail)
        self.store.log(self.appid, issue, "schedule-failed", detail)
        self.on_event("failed", f"issue-{issue}: {detail}")
