"""The push ledger: where each issue's draft stands in WeChat, per account, moved only by named transitions.

    new ──adding_draft──> (marker set) ──draft_added / draft_recovered──> draft
    draft ──draft_updated──> draft ──submitting──> publishing (no publish_id: WeChat's answer not had yet)
          ──publishing──> publishing ──published──> published     (submit refused: submit_refused──> draft)
    draft | published ──sending──> sending ──sent──> sent   (a mass send: state/sends.py keeps the send itself)
    any ──failed──> failed (an issue that has a draft keeps its state; the error is recorded beside it)
    publishing ──publish_failed──> failed (the draft's media_id kept: the next push finds it, or makes a new one)
    publishing, no publish_id, no article in an hour ──publish_failed(given_up)──> failed, publish_id "lost"
          (its article is still taken if it comes: its event, or the next push finding it by the push's marker)

The issue's text goes with its draft (``adding_draft``: pending until the draft exists; ``draft_updated``) and out
with it (``published``, ``sent``; a deleted send gives back the text of the article still online): followers find what went out
(:meth:`PushLedger.live_texts`), not an edit made to the file since.

Each transition writes its line of history in the same transaction, and nothing else writes history: the
record and its history never disagree, whoever pushed (the CLI, the scheduler, the webhook's PUBLISHJOBFINISH).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import delete, func, or_, select, update

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import history, pushed_texts, pushes


class PushState(str, Enum):
    NEW = "new"  # known, nothing in WeChat yet (or a draft/add in flight: see PushRecord.marker)
    DRAFT = "draft"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    SENDING = "sending"  # mass-sent: WeChat accepted it, the outcome has not come yet
    SENT = "sent"  # mass-sent to the followers (it has its URLs, and is found like a published issue)
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PushedText:
    """The text of an issue as pushed (``text_hash`` empty: not known, e.g. pushed by an older wechat-pub)."""

    text_hash: str = ""
    text: str = ""


HAS_DRAFT = (PushState.DRAFT, PushState.PUBLISHING, PushState.PUBLISHED, PushState.SENDING, PushState.SENT)
OUT = (PushState.PUBLISHING, PushState.PUBLISHED, PushState.SENDING, PushState.SENT)  # gone out of the draft box
FINDABLE = (PushState.PUBLISHED.value, PushState.SENT.value)  # what followers' search counts as published
GIVEN_UP = "lost"  # publish_id of a publish whose answer was lost and whose article never came: it may still come


def on_the_calendar(appid: str, since: float, until: float):
    """The condition on ``pushes`` rows of what a calendar of the moments ``since`` to ``until`` shows besides
    the issues that have a publish time: an issue not gone out (the schedule dialog offers it), or published or
    sent in that time (:meth:`IssueStore.on_the_calendar`, :meth:`PushLedger.on_the_calendar`)."""
    from sqlalchemy import and_, or_

    return and_(pushes.c.appid == appid, or_(pushes.c.state.not_in([state.value for state in OUT]),
                                             and_(pushes.c.state.in_(FINDABLE), pushes.c.updated_at >= since,
                                                  pushes.c.updated_at <= until)))


@dataclass(frozen=True)
class PushRecord:
    appid: str
    issue: int
    path: str
    state: PushState
    content_hash: str
    marker: str  # set while a draft/add is in flight: the next push looks for a draft carrying it
    pending_hash: str  # the content that in-flight draft/add carries
    draft_media_id: str
    article_count: int
    publish_id: str
    article_urls: list[str]
    cover_url: str
    wechat_hash: str  # what WeChat held right after our last draft/add or draft/update ('' before any)
    error: str
    hint: str
    updated_at: float

    @property
    def published(self) -> bool:
        return self.state in OUT


@dataclass(frozen=True)
class HistoryEntry:
    at: float
    event: str
    detail: str


class PushLedger:
    def __init__(self, db: StateDatabase, appid: str, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.clock = clock

    # ---- reading -------------------------------------------------------------------------------------

    def get(self, issue: int) -> PushRecord | None:
        with self.db.connect() as conn:
            row = conn.execute(select(pushes).where(pushes.c.appid == self.appid, pushes.c.issue == issue)).first()
        return _record(dict(row._mapping)) if row else None

    def all(self, low: int | None = None, high: int | None = None) -> list[PushRecord]:
        """Every record of the account; with ``low`` and ``high``, those of issues ``low`` to ``high`` (a page)."""
        statement = select(pushes).where(pushes.c.appid == self.appid).order_by(pushes.c.issue)
        if low is not None:
            statement = statement.where(pushes.c.issue >= low, pushes.c.issue <= high)
        with self.db.connect() as conn:
            result = conn.execute(statement)
            names = tuple(result.keys())  # once, not per row: two thousand rows a console view
            return [_record(dict(zip(names, row))) for row in result.all()]

    def on_the_calendar(self, since: float, until: float) -> list[PushRecord]:
        """The records of what a calendar of the moments ``since`` to ``until`` shows (not all two thousand): an
        issue's not gone out, or published or sent in that time, or of an issue with a publish time."""
        from sqlalchemy import or_

        from wechat_pub.state.schema import issues

        scheduled = select(issues.c.number).where(issues.c.appid == self.appid, issues.c.publish_at.is_not(None))
        statement = select(pushes).where(pushes.c.appid == self.appid, or_(
            on_the_calendar(self.appid, since, until), pushes.c.issue.in_(scheduled))).order_by(pushes.c.issue)
        with self.db.connect() as conn:
            result = conn.execute(statement)
            names = tuple(result.keys())
            return [_record(dict(zip(names, row))) for row in result.all()]

    def by_publish_id(self, publish_id: str) -> PushRecord | None:
        with self.db.connect() as conn:
            row = conn.execute(select(pushes).where(pushes.c.appid == self.appid,
                                                    pushes.c.publish_id == str(publish_id))).first()
        return _record(dict(row._mapping)) if row else None

    def published_urls(self) -> dict[int, list[str]]:
        """Issue number -> article URLs, for every issue WeChat reported published or sent (a correction of one
        in the draft box included: its article is still online)."""
        with self.db.connect() as conn:
            rows = conn.execute(select(pushes.c.issue, pushes.c.article_urls).where(
                pushes.c.appid == self.appid, or_(pushes.c.state.in_(FINDABLE),
                                                  pushes.c.article_urls.not_in(["", "[]"])))).all()
        return {row.issue: json.loads(row.article_urls or "[]") for row in rows}

    def cover_urls(self) -> dict[int, str]:
        with self.db.connect() as conn:
            rows = conn.execute(select(pushes.c.issue, pushes.c.cover_url).where(pushes.c.appid == self.appid)).all()
        return {row.issue: row.cover_url for row in rows if row.cover_url}

    def history(self, issue: int) -> list[HistoryEntry]:
        with self.db.connect() as conn:
            rows = conn.execute(select(history.c.at, history.c.event, history.c.detail).where(
                history.c.appid == self.appid, history.c.issue == issue).order_by(history.c.id)).all()
        return [HistoryEntry(*row) for row in rows]

    # ---- transitions ---------------------------------------------------------------------------------

    def cover_uploaded(self, issue: int, path: str, cover_url: str) -> None:
        """The cover the draft will carry (the webhook's news card shows it)."""
        self._move(issue, None, "", path=path, cover_url=cover_url)

    def adding_draft(self, issue: int, path: str, marker: str, pending_hash: str,
                     text: PushedText = PushedText()) -> None:
        """A draft/add is about to be sent: if its answer is lost, the next push finds it by ``marker``. ``text``:
        what the draft is made of."""
        self._move(issue, None, "", also=self._keep_text(issue, "pending", text), path=path, marker=marker,
                   pending_hash=pending_hash)

    def draft_added(self, issue: int, path: str, media_id: str, content_hash: str, article_count: int) -> None:
        """A new draft. Of an issue that went out (a correction, however many drafts it takes): its article stays
        online, and its addresses stay the issue's (followers find it by them) until a new publish or send brings
        others."""
        record = self.get(issue)
        live = record.article_urls if record else []
        self._move(issue, "draft-added", media_id, also=self._pending_is_draft(issue), state=PushState.DRAFT,
                   path=path, draft_media_id=media_id, marker="", pending_hash="", content_hash=content_hash,
                   article_count=article_count, error="", hint="", publish_id="", article_urls=live, wechat_hash="")

    def draft_read_back(self, issue: int, wechat_hash: str, changes: str = "") -> None:
        """What WeChat holds right after our push (its editor rewrites some markup): the next push compares the
        draft with it, to find edits made in WeChat. ``changes``: what WeChat changed of what we sent."""
        self._move(issue, "draft-read-back" if changes else None, changes, wechat_hash=wechat_hash)

    def draft_recovered(self, issue: int, media_id: str) -> None:
        """The draft of an interrupted draft/add was found in WeChat: adopt it, with the content it carries."""
        record = self.get(issue)
        self._move(issue, "draft-recovered", media_id, also=self._pending_is_draft(issue), state=PushState.DRAFT,
                   draft_media_id=media_id, marker="",
                   content_hash=record.pending_hash if record else "", pending_hash="", error="", hint="",
                   wechat_hash="")

    def add_abandoned(self, issue: int) -> None:
        """An interrupted draft/add left no draft in WeChat: forget it."""
        self._move(issue, None, "", marker="", pending_hash="")

    def draft_updated(self, issue: int, path: str, content_hash: str, text: PushedText = PushedText()) -> None:
        record = self.get(issue)
        self._move(issue, "draft-updated", record.draft_media_id if record else "", also=self._keep_text(issue, "draft", text),
                   state=PushState.DRAFT, path=path, content_hash=content_hash, error="", hint="")

    def submitting(self, issue: int, media_id: str) -> None:
        """freepublish/submit is about to be called: from here the draft may be gone into a publish, whatever
        becomes of the answer (the next push looks for the article before doing anything else)."""
        self._move(issue, "publish-submitting", media_id, state=PushState.PUBLISHING, publish_id="")

    def submit_refused(self, issue: int, why: str) -> None:
        """WeChat did not take the publish: the issue is a draft again. Only from its own mark (a publish another
        process recorded meanwhile, having taken over the push, stands)."""
        lost = (pushes.c.state == PushState.PUBLISHING.value) & (pushes.c.publish_id == "")
        self._move(issue, "publish-not-submitted", why, only_if=lost, state=PushState.DRAFT)

    def submitted_at(self, issue: int) -> float:
        """When the issue's last publish was asked of WeChat (0: never)."""
        with self.db.connect() as conn:
            at = conn.execute(select(func.max(history.c.at)).where(
                history.c.appid == self.appid, history.c.issue == issue,
                history.c.event == "publish-submitting")).scalar()
        return at or 0.0

    def lost_submits(self) -> list[PushRecord]:
        """The issues whose publish was asked of WeChat and whose answer never came (no publish_id), given up
        on or not."""
        lost = or_((pushes.c.state == PushState.PUBLISHING.value) & (pushes.c.publish_id == ""),
                   (pushes.c.state == PushState.FAILED.value) & (pushes.c.publish_id == GIVEN_UP))
        with self.db.connect() as conn:
            rows = conn.execute(select(pushes).where(pushes.c.appid == self.appid, lost)).all()
        return [_record(dict(row._mapping)) for row in rows]

    def publishing(self, issue: int, publish_id: str) -> None:
        self._move(issue, "publish-submitted", publish_id, state=PushState.PUBLISHING, publish_id=publish_id)

    def published(self, issue: int, article_urls: list[str], how: str = "", text: PushedText = PushedText()) -> None:
        """``text``: what went out when no draft of ours carried it (an issue published by hand and marked so)."""
        detail = " ".join(article_urls) + (f" ({how})" if how else "")
        self._move(issue, "published", detail, also=self._text_went_out(issue, text, published=True),
                   state=PushState.PUBLISHED,
                   article_urls=article_urls, error="", hint="")

    def publish_failed(self, issue: int, error: str, hint: str, gone: bool = False, given_up: bool = False) -> None:
        """WeChat's publish job failed: nothing new is online (a correction's earlier article still is, and keeps its
        addresses), the draft (if WeChat kept it) stays ours. ``gone``: the article it made was deleted or blocked
        in WeChat since (its addresses lead nowhere). ``given_up``: a publish whose answer was lost and whose
        article did not come: marked, so that its article is still taken if it comes (:meth:`lost_submits`)."""
        self._move(issue, "published-gone" if gone else "publish-failed", error, state=PushState.FAILED, error=error,
                   hint=hint, **({"article_urls": []} if gone else {}), **({"publish_id": GIVEN_UP} if given_up else {}))

    def sending(self, issue: int) -> None:
        self._move(issue, None, "", state=PushState.SENDING, publish_id="", error="", hint="")

    def sent(self, issue: int, article_urls: list[str], how: str = "", text: PushedText = PushedText()) -> None:
        """Mass-sent: followers have it (and find it, with these URLs). ``text``: as for :meth:`published`."""
        self._move(issue, None, "", also=self._text_went_out(issue, text), state=PushState.SENT,
                   article_urls=article_urls, error="", hint="")

    def unsent(self, issue: int) -> None:
        """The send was deleted in WeChat: followers no longer find it; the issue counts as a draft again (with the
        addresses of an article published before the send, which is still online)."""
        record = self.get(issue)
        if record is not None and record.state is PushState.PUBLISHED:  # published since that send: it stays so
            return
        urls = self.still_published(issue)
        self._move(issue, None, "", also=self._text_taken_back(issue, urls), state=PushState.DRAFT, article_urls=urls)

    def still_published(self, issue: int) -> list[str]:
        """The addresses of the issue's last publish (its history's), unless it was deleted or blocked in WeChat
        since (a failed publish of a correction took nothing offline)."""
        with self.db.connect() as conn:
            row = conn.execute(select(history.c.event, history.c.detail).where(
                history.c.appid == self.appid, history.c.issue == issue,
                history.c.event.in_(("published", "published-gone"))).order_by(history.c.at.desc(),
                                                                               history.c.id.desc())).first()
        if row is None or row.event != "published":
            return []
        return [word for word in row.detail.split() if word.startswith(("https://", "http://"))]

    def send_failed(self, issue: int) -> None:
        """The send reached no follower: a draft again; an article published before it stays online, and found."""
        self._move(issue, None, "", state=PushState.DRAFT)

    def failed(self, issue: int, path: str, error: str, hint: str = "") -> None:
        """A push failed: an issue that has a draft keeps its state, with the error beside it."""
        record = self.get(issue)
        state = record.state if record and record.state in HAS_DRAFT else PushState.FAILED
        self._move(issue, "failed", error, state=state, path=path, error=error, hint=hint)

    def note(self, issue: int, event: str, detail: str = "") -> None:
        """An event of the issue's life that does not move its push (the scheduler's: done, missed, failed)."""
        with self.db.begin() as conn:
            self._log(conn, issue, event, detail)

    def live_texts(self) -> dict[int, str]:
        """Issue number -> the hash of the text that went out last (issues whose text is known)."""
        with self.db.connect() as conn:
            rows = conn.execute(select(pushed_texts.c.issue, pushed_texts.c.text_hash).where(
                pushed_texts.c.appid == self.appid, pushed_texts.c.role == "live", pushed_texts.c.text_hash != ""))
            return {row.issue: row.text_hash for row in rows}

    def live_text(self, issue: int) -> PushedText | None:
        with self.db.connect() as conn:
            row = conn.execute(select(pushed_texts.c.text_hash, pushed_texts.c.text).where(
                *self._text_key(issue), pushed_texts.c.role == "live")).first()
        return PushedText(row.text_hash, row.text) if row and row.text_hash else None

    def _text_key(self, issue: int) -> tuple:
        return pushed_texts.c.appid == self.appid, pushed_texts.c.issue == issue

    def _keep_text(self, issue: int, role: str, text: PushedText):
        """``text`` as the issue's text of ``role``: 'pending' (a draft/add asked), 'draft' (in the draft box)."""
        def keep(conn) -> None:
            self._put_text(conn, issue, role, text)
        return keep

    def _pending_is_draft(self, issue: int):
        """The draft/add went through (or its draft was found): what it asked with is the draft's text."""
        def moved(conn) -> None:
            self._rename_text(conn, issue, "pending", "draft")
        return moved

    def _text_went_out(self, issue: int, fallback: PushedText = PushedText(), published: bool = False):
        """The draft's text is what went out now (``published``: also the text of the article online, which a
        deleted send gives back); no draft's text: ``fallback`` when known, else what went out before stays."""
        def went_out(conn) -> None:
            draft = self._text_row(conn, issue, "draft")
            text = PushedText(draft.text_hash, draft.text) if draft is not None else fallback
            if draft is None and not text.text_hash:
                return
            for role in ("live", "online") if published else ("live",):  # (online: the published article's)
                self._put_text(conn, issue, role, text)
            conn.execute(delete(pushed_texts).where(*self._text_key(issue), pushed_texts.c.role == "draft"))
        return went_out

    def _text_taken_back(self, issue: int, still_online: list[str]):
        """A send deleted: the text of the article still online is what is out (none online: nothing is)."""
        def taken_back(conn) -> None:
            conn.execute(delete(pushed_texts).where(*self._text_key(issue), pushed_texts.c.role == "live"))
            published = self._text_row(conn, issue, "online")
            if still_online and published is not None:
                self._put_text(conn, issue, "live", PushedText(published.text_hash, published.text))
        return taken_back

    def _text_row(self, conn, issue: int, role: str):
        return conn.execute(select(pushed_texts.c.text_hash, pushed_texts.c.text).where(
            *self._text_key(issue), pushed_texts.c.role == role)).first()

    def _put_text(self, conn, issue: int, role: str, text: PushedText) -> None:
        conn.execute(delete(pushed_texts).where(*self._text_key(issue), pushed_texts.c.role == role))
        conn.execute(pushed_texts.insert().values(appid=self.appid, issue=issue, role=role, text_hash=text.text_hash,
                                                  text=text.text))

    def _rename_text(self, conn, issue: int, role: str, to: str) -> None:
        """The text of ``role`` becomes that of ``to`` (replacing it); none of ``role``: nothing changes."""
        if self._text_row(conn, issue, role) is None:
            return
        conn.execute(delete(pushed_texts).where(*self._text_key(issue), pushed_texts.c.role == to))
        conn.execute(update(pushed_texts).where(*self._text_key(issue), pushed_texts.c.role == role).values(role=to))

    def _move(self, issue: int, event: str | None, detail: str, only_if=None, also=None, **fields) -> None:
        """``fields`` set (and ``event`` written) in one transaction; ``only_if``: a condition the row must meet,
        else nothing changes; ``also(conn)``: done in the same transaction when the row changed."""
        now = self.clock.time()
        if "article_urls" in fields:
            fields["article_urls"] = json.dumps(fields["article_urls"], ensure_ascii=False)
        if "state" in fields:
            fields["state"] = PushState(fields["state"]).value
        with self.db.begin() as conn:  # insert-or-update and its history, in one transaction
            conn.execute(self.db.insert_ignore(pushes, {"appid": self.appid, "issue": issue,
                                                        "state": PushState.NEW.value, "updated_at": now}))
            statement = update(pushes).where(pushes.c.appid == self.appid, pushes.c.issue == issue)
            if only_if is not None:
                statement = statement.where(only_if)
            changed = conn.execute(statement.values(updated_at=now, **fields)).rowcount
            if event and changed:
                self._log(conn, issue, event, detail)
            if also is not None and changed:
                also(conn)

    def _log(self, conn, issue: int, event: str, detail: str) -> None:
        conn.execute(history.insert().values(appid=self.appid, issue=issue, at=self.clock.time(), event=event,
                                             detail=detail))


def _record(data: dict) -> PushRecord:
    urls = data["article_urls"]
    data["article_urls"] = json.loads(urls) if urls not in (None, "", "[]") else []
    data["state"] = PushState(data["state"])
    return PushRecord(**data)
