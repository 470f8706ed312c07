"""The push pipeline: images and cover (:mod:`.uploader`) -> render -> draft/add or draft/update -> (publish).
A push is a :class:`PushRun` handed through the steps; the Pusher itself holds only the account's parts.

Exactly once, and durable: every step is recorded in the state store as soon as it happens, so a
rerun after a crash continues where the last one stopped. Uploads are cached by content hash per
app id (an unchanged image is never sent twice). A draft carries a marker; when the answer to
draft/add was lost (crash, timeout, busy), the next run finds the draft by its marker instead of
adding a second one. One push of an issue at a time, on every host (a lock renewed while it runs: the console's
Push, the scheduler, a phone preview and a double click take turns). A publish is recorded before it is
submitted: when WeChat's answer is lost, the next run looks for the published article instead of publishing
the issue again.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from wechat_pub import model as m
from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.crash import crash_point
from wechat_pub.errors import WechatPubError
from wechat_pub.publish import failed
from wechat_pub.publish.leftbehind import refuse_if_left_behind
from wechat_pub.publish.lost import recover_lost_submit
from wechat_pub.publish.markers import digest, marker_for, too_long, with_marker
from wechat_pub.publish.outcome import DraftEditedInWeChat, IssueBusy, PushError, PushOutcome
from wechat_pub.publish.readback import differences, edited_in_wechat, wechat_digest
from wechat_pub.publish.uploader import ImageUploader, Uploaded
from wechat_pub.render.options import RenderOptions
from wechat_pub.render.split import render_issue
from wechat_pub.state.pushes import PushedText, PushLedger, PushRecord, PushState
from wechat_pub.state.uploads import UploadCache
from wechat_pub.urls import safe_links
from wechat_pub.wechat import WeChatAPI
from wechat_pub.wechat.errors import NetworkError, WeChatAPIError
from wechat_pub.wechat.fieldlimits import explain_field_error

MAX_DRAFT_PAGES = 50  # draft/batchget pages (20 each) searched for a draft whose answer was lost
LOCK_WAIT = 150  # seconds a push waits for another push of the same issue (a slow WeChat) before it gives up


@dataclass
class PushRun:
    """One push of one issue, passed through its steps: what was asked (``force``), what it makes (the
    articles and their hash) and what it reports."""

    issue: m.Issue
    force: bool
    outcome: PushOutcome
    articles: list[dict] = field(default_factory=list)
    content_hash: str = ""
    need_draft: bool = False  # a draft in the draft box is wanted even when the issue went out (to send it)


class Pusher:
    """Pushes issues of one account: its API client, push ledger and upload cache (from its Site)."""

    def __init__(self, api: WeChatAPI, ledger: PushLedger, uploads: UploadCache, options: RenderOptions,
                 brand: str = "", progress: Callable[[str], None] | None = None, poll_seconds: float = 20.0,
                 clock: Clock = SYSTEM_CLOCK, keep_dir: Path | None = None, locks=None, lease: float = 30.0,
                 text_of: Callable[[m.Issue], str | None] | None = None, left_behind: PushLedger | None = None):
        """``keep_dir``: where a draft edited in WeChat is saved before ``push(force=True)`` replaces it.
        ``locks``: the deployment's shared locks (one push of an issue at a time), with ``lease``. ``text_of``:
        the text an issue was read from (None: not known), kept with its draft (followers find what went out).
        ``left_behind``: the records of the state database the deployment used before (see services.left_behind)."""
        self.api = api
        self.left_behind = left_behind
        self.text_of = text_of or (lambda issue: None)
        self.locks = locks
        self._held = None  # the issue's push lock while a push holds it
        self.lease = lease
        self.keep_dir = keep_dir
        self.ledger = ledger
        self.uploads = uploads
        self.appid = api.appid
        self.options = options
        self.brand = brand
        self.progress = progress or (lambda message: None)
        self.poll_seconds = poll_seconds
        self.clock = clock

    # ---- the pipeline -------------------------------------------------------------------------------

    def push(self, issue: m.Issue, publish: bool = False, force: bool = False,
             go_ahead: Callable[[], None] | None = None, need_draft: bool = False) -> PushOutcome:
        """``force``: replace a draft even when it was edited in WeChat since the last push (its version is
        kept under ``keep_dir`` first). ``go_ahead``: called just before the publish is submitted; raises when
        it should not be (the scheduled time was canceled meanwhile). ``need_draft``: the issue must end in the
        draft box (a send goes out from a draft: one WeChat published has left it)."""
        with self.holding(issue.number):
            run = PushRun(issue, force, PushOutcome(issue.number, "", "", 0), need_draft=need_draft)
            return self._push(run, publish, go_ahead)

    @contextmanager
    def holding(self, number: int):
        """The issue's push lock, renewed while held (nothing: no shared locks, one process alone)."""
        if self.locks is None:
            yield
            return
        busy = IssueBusy(f"issue {number} is being pushed by another process (a colleague, the schedule or another "
                         f"host) and it did not finish within {LOCK_WAIT} seconds.",
                         "Nothing was changed by this push. Try again in a few minutes.")
        with self.locks.lock(f"push:{self.appid}:{number}", lease=self.lease, wait=LOCK_WAIT, renewed=True,
                             busy=lambda: busy) as self._held:
            try:
                yield
            finally:
                self._held = None

    def _push(self, run: PushRun, publish: bool, go_ahead) -> PushOutcome:
        issue = run.issue
        refuse_if_left_behind(self.ledger, self.left_behind, issue)  # (before anything is recorded here)
        try:
            uploader = ImageUploader(self.api, self.uploads, self.options, self.brand, self.progress)
            uploaded = uploader.upload(issue)
            self.ledger.cover_uploaded(issue.number, issue.path, uploaded.cover_url)
            run.outcome.uploaded, run.outcome.cached = uploaded.uploaded, uploaded.cached
            run.outcome.cover = uploaded.cover_source
            run.articles = self.draft_articles(issue, uploaded)
            run.content_hash = digest(run.articles)
            self.save_draft(run)
            if publish:
                self.publish(run, go_ahead)
        except WechatPubError as exc:
            if isinstance(exc, WeChatAPIError) and exc.errcode == 45002:
                exc = too_long(exc, run.articles)
            elif isinstance(exc, WeChatAPIError):
                exc = explain_field_error(exc, run.articles)  # 45003/45110/45004: which field, how long
            if not isinstance(exc, IssueBusy):  # (busy: nothing was done, nothing failed; the push is to be retried)
                self.record_failure(issue, exc)
            raise exc from None
        return run.outcome

    def draft_articles(self, issue: m.Issue, uploaded: Uploaded) -> list[dict]:
        result = render_issue(issue, replace(self.options, images=uploaded.images))
        errors = [p for p in result.problems if p.severity == "error"]
        if errors:
            raise PushError(f"{issue.path} does not fit WeChat's limits:", "\n".join(str(p) for p in errors))
        return [{**article.payload(), **uploaded.cover} for article in result.articles]

    # ---- the draft ----------------------------------------------------------------------------------

    def save_draft(self, run: PushRun) -> None:
        issue, outcome, content_hash = run.issue, run.outcome, run.content_hash
        record = recover_lost_submit(self, issue, self.recover_lost_add(issue, self.ledger.get(issue.number)))
        if record and record.state is PushState.PUBLISHING and record.publish_id and (
                record.content_hash != content_hash or run.need_draft):
            record = self.settle_publish(issue, record)
        outcome.articles = len(run.articles)
        if record and record.published and record.content_hash == content_hash and not run.need_draft:
            pending = record.state is PushState.PUBLISHING and not record.publish_id  # (WeChat's answer lost)
            outcome.action = "publishing-already" if pending else "published-already"
            outcome.media_id = record.draft_media_id
            outcome.article_urls = record.article_urls
            return
        if record and record.published and record.content_hash == content_hash:
            outcome.notes.append("the issue was published, which took its draft out of the draft box; a new "
                                 "draft was made to send it from")
            outcome.action = "recreated"
        elif record and record.draft_media_id and not record.published:
            existing = self.existing_draft(record.draft_media_id)
            if existing is not None:
                self.change_draft(run, record, existing)
                return
            outcome.notes.append(f"the old draft {record.draft_media_id} is gone (deleted or published in WeChat); "
                                 "a new draft was created")
            outcome.action = "recreated"
        elif record and record.published:
            outcome.notes.append("the issue was already published; the changed issue went into a new draft")
            outcome.action = "recreated"
        outcome.media_id = self.add_draft(run)
        outcome.action = outcome.action or "created"

    def change_draft(self, run: PushRun, record: PushRecord, existing: list[dict]) -> None:
        issue, outcome, articles, content_hash = run.issue, run.outcome, run.articles, run.content_hash
        outcome.media_id = record.draft_media_id
        edited = edited_in_wechat(record.wechat_hash, existing)
        if record.content_hash == content_hash:
            outcome.action = "unchanged"
            if edited:
                outcome.notes.append("the draft was edited in WeChat since the last push; the article file did not "
                                     "change, so nothing was sent")
            return
        if edited:
            self.keep_edited(run, record, existing)
        if len(existing) == len(articles):
            marked = with_marker(articles, marker_for(self.appid, issue.number, content_hash))
            try:
                for index, article in enumerate(marked):
                    self.api.draft.update(record.draft_media_id, index, article)
            except WechatPubError:
                self.note_cut_short(issue, record.draft_media_id)
                raise
            self.ledger.draft_updated(issue.number, issue.path, content_hash, self.pushed_text(issue))
            self.read_back(issue, record.draft_media_id, marked, outcome)
            outcome.action = "updated"
            return
        new_id = self.add_draft(run)
        self.api.draft.delete(record.draft_media_id)  # after the new one exists: nothing is lost
        outcome.notes.append(f"the number of articles changed ({len(existing)} → {len(articles)}): draft "
                             f"{record.draft_media_id} was replaced by {new_id}")
        outcome.action, outcome.media_id = "replaced", new_id

    def keep_edited(self, run: PushRun, record: PushRecord, existing: list[dict]) -> None:
        """A draft edited in WeChat since our last push: stop, unless forced; forced, keep WeChat's version."""
        issue = run.issue
        if not run.force or self.keep_dir is None:
            raise DraftEditedInWeChat(
                f"draft {record.draft_media_id} of issue {issue.number} was edited in WeChat since the last push; "
                "pushing would overwrite that work.",
                "Copy the edits into the article file and push again, or push with --force to replace it (WeChat's "
                "version is saved under state/wechat-drafts/ first).")
        self.keep_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock.time()))
        kept = self.keep_dir / f"issue-{issue.number}-{stamp}.json"
        kept.write_text(json.dumps(existing, ensure_ascii=False, indent=2), encoding="utf-8")
        run.outcome.notes.append(f"the draft had been edited in WeChat; that version was saved as {kept} and "
                                 "replaced")

    def note_cut_short(self, issue: m.Issue, media_id: str) -> None:
        """An update WeChat stopped part way (some articles new, the rest old): what the draft holds now is ours,
        not a colleague's edit, so its fingerprint is kept (the next push updates it again, without stopping)."""
        try:
            kept = self.api.draft.get(media_id)
        except WechatPubError:  # (WeChat away: the next push will say the draft changed, and why it may have)
            return
        self.ledger.draft_read_back(issue.number, wechat_digest(kept))

    def read_back(self, issue: m.Issue, media_id: str, sent: list[dict], outcome: PushOutcome) -> None:
        """What WeChat kept of what was just sent: its changes are reported and recorded, and its fingerprint
        kept, so the next push notices edits made in WeChat."""
        kept = self.api.draft.get(media_id)
        outcome.wechat_changes = differences(sent, kept) if wechat_digest(sent) != wechat_digest(kept) else []
        self.ledger.draft_read_back(issue.number, wechat_digest(kept), "; ".join(outcome.wechat_changes))

    def pushed_text(self, issue: m.Issue) -> PushedText:
        text = self.text_of(issue)
        return PushedText(issue.text_sha256, text) if text is not None and issue.text_sha256 else PushedText()

    def add_draft(self, run: PushRun) -> str:
        issue, articles, content_hash = run.issue, run.articles, run.content_hash
        marker = marker_for(self.appid, issue.number, content_hash)
        self.ledger.adding_draft(issue.number, issue.path, marker, content_hash, self.pushed_text(issue))
        crash_point("before-draft-add")
        marked = with_marker(articles, marker)
        try:
            media_id = self.api.draft.add(marked)
        except (NetworkError, WeChatAPIError) as exc:
            if isinstance(exc, WeChatAPIError) and exc.errcode != -1:
                raise
            media_id = self.find_draft(marker)  # the answer was lost; the draft may exist anyway
            if media_id is None:
                raise
        crash_point("after-draft-add")
        self.ledger.draft_added(issue.number, issue.path, media_id, content_hash, len(articles))
        self.read_back(issue, media_id, marked, run.outcome)
        return media_id

    def recover_lost_add(self, issue: m.Issue, record: PushRecord | None) -> PushRecord | None:
        """A draft/add whose answer was never recorded: adopt the draft if WeChat has it."""
        if record is None or not record.marker:
            return record
        found = self.find_draft(record.marker)
        if found:
            self.progress(f"found draft {found} from an interrupted push")
            self.ledger.draft_recovered(issue.number, found)
        else:
            self.ledger.add_abandoned(issue.number)
        return self.ledger.get(issue.number)

    def existing_draft(self, media_id: str) -> list[dict] | None:
        try:
            return self.api.draft.get(media_id)
        except WeChatAPIError as exc:
            if exc.errcode == 40007:
                return None
            raise

    def find_draft(self, marker: str) -> str | None:
        needle = f'data-wechat-pub="{marker}"'
        offset = 0
        for _ in range(MAX_DRAFT_PAGES):
            page = self.api.draft.batchget(offset, 20)
            for item in page.get("item", []):
                if any(needle in a.get("content", "") for a in item["content"]["news_item"]):
                    return item["media_id"]
            offset += 20
            if offset >= page.get("total_count", 0):
                return None
        return None

    # ---- publishing ---------------------------------------------------------------------------------

    def publish(self, run: PushRun, go_ahead: Callable[[], None] | None = None) -> None:
        issue, outcome = run.issue, run.outcome
        record = self.ledger.get(issue.number)
        if record.published:
            outcome.publish_id, outcome.article_urls = record.publish_id, record.article_urls
            if record.state is PushState.PUBLISHING and not record.publish_id:
                outcome.notes.append(f"WeChat took draft {record.draft_media_id} to publish it, but its answer "
                                     "was lost; the published article was not found yet (it is recorded when "
                                     "WeChat lists it: run this again in a few minutes)")
            return
        if go_ahead is not None:
            go_ahead()
        if self._held is not None and not self._held.still_held():  # (renewed now: the submit runs within it)
            raise IssueBusy(f"issue {issue.number}: another process took over its push while this one ran (its "
                            "lease ran out).", "Nothing was published by this push. Look at the issue's page: it "
                            "says whether the other one published it.")
        self.progress(f"publishing draft {record.draft_media_id}")
        # Recorded first: if WeChat's answer is lost, the draft may be published already (WeChat takes it out of
        # the draft box), and the next run must look for it, not make a new draft and publish that too.
        self.ledger.submitting(issue.number, record.draft_media_id)
        crash_point("before-submit")
        try:
            publish_id = self.api.freepublish.submit(record.draft_media_id)
        except WeChatAPIError as exc:  # an answer, if a refusal ("busy" too): nothing was published
            self.ledger.submit_refused(issue.number, exc.message)
            raise
        self.ledger.publishing(issue.number, publish_id)
        outcome.publish_id = publish_id
        outcome.article_urls = self.wait_for_publish(issue, publish_id)

    def settle_publish(self, issue: m.Issue, record: PushRecord) -> PushRecord:
        """A publish job still running when a changed issue is pushed: its result first (a new draft now would lose
        the job's PUBLISHJOBFINISH, and the issue would be online with wechat-pub calling it a draft)."""
        status = self.api.freepublish.get(record.publish_id)
        if status.get("publish_status", 1) == 1:
            raise IssueBusy(f"issue {issue.number} is being published: WeChat is still reviewing publish job "
                            f"{record.publish_id}, so the changed issue was not pushed.",
                            "Nothing was changed. Push it again once the publish has finished (the issue's page "
                            "says when): it then goes into a new draft, a correction of the published article.")
        self.record_publish(issue, status)
        return self.ledger.get(issue.number)

    def wait_for_publish(self, issue: m.Issue, publish_id: str) -> list[str]:
        """Poll sparingly (freepublish/get allows 100 calls a day); the webhook's PUBLISHJOBFINISH also
        records the result when polling gives up first."""
        deadline = self.clock.monotonic() + self.poll_seconds
        delay = 1.0
        while self.clock.monotonic() < deadline:
            self.clock.sleep(delay)
            status = self.api.freepublish.get(publish_id)
            if status.get("publish_status", 1) != 1:
                urls, failure = self.record_publish(issue, status)
                if failure is not None:
                    raise failed.PublishFailed(failure.message, failure.hint)
                return urls
            delay = min(delay * 2, 8.0)
        return []

    def record_publish(self, issue: m.Issue, status: dict):
        """A finished publish job's ``freepublish/get`` answer, recorded: (its article URLs, None) when it
        succeeded; ([], the failure: which article, why, and where the draft is) when it failed."""
        if status.get("publish_status") == 0:
            items = status.get("article_detail", {}).get("item", [])
            urls = safe_links([item.get("article_url", "") for item in items])  # shown as links: web only
            self.ledger.published(issue.number, urls, how="freepublish/get")
            return urls, None
        failure = failed.examine(self.api, issue.number, int(status["publish_status"]),
                                 failed.read_fail_idx(status.get("fail_idx")),
                                 self.ledger.get(issue.number).draft_media_id)
        failed.record(self.ledger, failure)
        return [], failure

    def record_failure(self, issue: m.Issue, exc: WechatPubError) -> None:
        self.ledger.failed(issue.number, issue.path, exc.message, exc.hint)

