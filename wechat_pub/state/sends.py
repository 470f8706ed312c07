"""The send ledger: each mass send (群发) of an issue, recorded BEFORE ``message/mass/sendall`` is called, and moved
only by named transitions, each writing its line of the issue's history (the push ledger's ``history`` table) in
the same transaction:

    (none) | refused ──requested──> requested ──accepted──> accepted ──finished──> sent | failed
    requested ──refused──> refused (WeChat refused the call: nothing was sent, the same id may try again)
    accepted | sent ──deleted──> deleted        (none) ──marked_sent──> sent (by hand in mp.weixin.qq.com)

A send is keyed by its ``clientmsgid``, which comes from (account, issue, draft version): whoever sends a version
(a rerun after a crash, a second host, a second click), the row is the same, and so is the id WeChat dedupes by.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass

from sqlalchemy import delete, select, update

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import history, send_events, sends

LIVE = ("requested", "accepted", "sent")  # a send that happened or may have happened


@dataclass(frozen=True)
class SendRecord:
    appid: str
    issue: int
    clientmsgid: str
    content_hash: str
    tag_id: str
    state: str
    msg_id: str
    msg_data_id: str
    status: str
    total: int
    filtered: int
    sent_count: int
    errors: int
    check_state: int
    article_urls: list[str]
    error: str
    hint: str
    by: str
    requested_at: float
    updated_at: float

    @property
    def audience(self) -> str:
        return f"followers with tag {self.tag_id}" if self.tag_id else "all followers"


@dataclass(frozen=True)
class SendResult:
    """What WeChat reported of a send (MASSSENDJOBFINISH, or message/mass/get)."""

    status: str
    total: int = 0
    filtered: int = 0
    sent_count: int = 0
    errors: int = 0
    check_state: int = 0
    article_urls: tuple[str, ...] = ()
    counted: bool = True  # False: WeChat gave a status and no counts (message/mass/get)

    def reached(self) -> str:
        """Its counts in words: 'N/M sent', or that WeChat gave none."""
        return f"{self.sent_count}/{self.total} sent" if self.counted else "no counts from WeChat"


EVENT_DAYS = 3  # a kept MASSSENDJOBFINISH waits this long for its send to be recorded


class SendLedger:
    def __init__(self, db: StateDatabase, appid: str, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.clock = clock

    # ---- reading -------------------------------------------------------------------------------------

    def get(self, issue: int, clientmsgid: str) -> SendRecord | None:
        return self._one(sends.c.issue == issue, sends.c.clientmsgid == clientmsgid)

    def latest(self, issue: int) -> SendRecord | None:
        """The issue's newest send that happened or may have (not failed, not deleted)."""
        found = [r for r in self.of_issue(issue) if r.state in LIVE]
        return found[-1] if found else None

    def of_issue(self, issue: int) -> list[SendRecord]:
        return self._many(sends.c.issue == issue)

    def by_msg_id(self, msg_id: str) -> SendRecord | None:
        return self._one(sends.c.msg_id == str(msg_id)) if str(msg_id) else None

    def waiting(self) -> list[SendRecord]:
        """Sends WeChat accepted whose outcome has not come yet."""
        return self._many(sends.c.state == "accepted")

    def all(self) -> list[SendRecord]:
        return self._many()

    def _one(self, *where) -> SendRecord | None:
        with self.db.connect() as conn:
            row = conn.execute(select(sends).where(sends.c.appid == self.appid, *where)).first()
        return _record(row) if row else None

    def _many(self, *where) -> list[SendRecord]:
        with self.db.connect() as conn:
            rows = conn.execute(select(sends).where(sends.c.appid == self.appid, *where)
                                .order_by(sends.c.requested_at)).all()
        return [_record(row) for row in rows]

    # ---- transitions ---------------------------------------------------------------------------------

    def requested(self, issue: int, clientmsgid: str, content_hash: str, tag_id: str, by: str) -> bool:
        """About to call sendall: True when this caller recorded it now, False when it was recorded before
        (a rerun: the same clientmsgid goes to WeChat again, which answers 45065 if the first call got there)."""
        now = self.clock.time()
        with self.db.begin() as conn:
            inserted = conn.execute(self.db.insert_ignore(sends, {
                "appid": self.appid, "issue": issue, "clientmsgid": clientmsgid, "content_hash": content_hash,
                "tag_id": tag_id, "state": "requested", "by": by, "requested_at": now, "updated_at": now})).first()
            again = inserted is None and conn.execute(  # refused before (quota, rights): this is a new try
                update(sends).where(sends.c.appid == self.appid, sends.c.issue == issue,
                                    sends.c.clientmsgid == clientmsgid, sends.c.state == "refused")
                .values(state="requested", tag_id=tag_id, by=by, error="", hint="", updated_at=now)).rowcount == 1
            if inserted is not None or again:
                self._log(conn, issue, "send-requested", f"clientmsgid {clientmsgid} to "
                                                         f"{'tag ' + tag_id if tag_id else 'all followers'}")
        return inserted is not None or again

    def accepted(self, issue: int, clientmsgid: str, msg_id: str, msg_data_id: str, repeated: bool) -> None:
        how = " (WeChat already had it: 45065)" if repeated else ""
        self._move(issue, clientmsgid, "send-accepted", f"msg_id {msg_id or 'unknown'}{how}", state="accepted",
                   msg_id=msg_id, msg_data_id=msg_data_id, error="", hint="")

    def refused(self, issue: int, clientmsgid: str, error: str, hint: str) -> None:
        """WeChat refused the call (quota, rights, confirmation): nothing was sent; a later try may send."""
        self._move(issue, clientmsgid, "send-refused", error, state="refused", error=error, hint=hint)

    def pending(self, issue: int, clientmsgid: str, error: str, hint: str) -> None:
        """The call's outcome is unknown (answer lost, 45066, an admin's confirmation): it stays requested."""
        self._move(issue, clientmsgid, "send-unknown", error, error=error, hint=hint)

    def finished(self, issue: int, clientmsgid: str, result: SendResult, ok: bool, meaning: str) -> None:
        self._move(issue, clientmsgid, "sent" if ok else "send-failed",
                   f"{result.status}: {result.reached()}" + (f"; {meaning}" if meaning else ""),
                   state="sent" if ok else "failed", status=result.status, total=result.total,
                   filtered=result.filtered, sent_count=result.sent_count, errors=result.errors,
                   check_state=result.check_state, article_urls=list(result.article_urls),
                   error="" if ok else meaning)

    def deleted(self, issue: int, clientmsgid: str, by: str) -> None:
        self._move(issue, clientmsgid, "send-deleted", f"by {by}" if by else "", state="deleted")

    def marked_sent(self, issue: int, url: str, by: str) -> None:
        now = self.clock.time()
        clientmsgid = f"by-hand-{uuid.uuid4().hex[:16]}"  # no WeChat id: a send marked by hand is its own row
        with self.db.begin() as conn:
            conn.execute(sends.insert().values(appid=self.appid, issue=issue, clientmsgid=clientmsgid, state="sent",
                                               status="marked sent by hand", article_urls=json.dumps([url]), by=by,
                                               requested_at=now, updated_at=now))
            self._log(conn, issue, "marked-sent", f"{url} by {by}" if by else url)

    def keep_event(self, msg_id: str, result: SendResult) -> None:
        """A result for a msg_id no send carries yet, kept until one does (sends made by hand in mp.weixin.qq.com
        never will: what is older than EVENT_DAYS goes)."""
        now = self.clock.time()
        with self.db.begin() as conn:
            conn.execute(delete(send_events).where(send_events.c.received_at < now - EVENT_DAYS * 86400))
            conn.execute(self.db.insert_ignore(send_events, {"appid": self.appid, "msg_id": msg_id[:40],
                                                             "result": json.dumps(asdict(result)), "received_at": now}))

    def take_event(self, msg_id: str) -> SendResult | None:
        """The result kept for ``msg_id`` (and no longer kept), or None."""
        where = (send_events.c.appid == self.appid) & (send_events.c.msg_id == msg_id)
        with self.db.begin() as conn:
            row = conn.execute(select(send_events.c.result).where(where)).first()
            conn.execute(delete(send_events).where(where))
        if row is None:
            return None
        data = json.loads(row.result)
        return SendResult(**{**data, "article_urls": tuple(data.get("article_urls", ()))})

    def _move(self, issue: int, clientmsgid: str, event: str, detail: str, **fields) -> None:
        if "article_urls" in fields:
            fields["article_urls"] = json.dumps(fields["article_urls"], ensure_ascii=False)
        with self.db.begin() as conn:
            conn.execute(update(sends).where(sends.c.appid == self.appid, sends.c.issue == issue,
                                             sends.c.clientmsgid == clientmsgid)
                         .values(updated_at=self.clock.time(), **fields))
            self._log(conn, issue, event, detail)

    def _log(self, conn, issue: int, event: str, detail: str) -> None:
        conn.execute(history.insert().values(appid=self.appid, issue=issue, at=self.clock.time(), event=event,
                                             detail=detail))


def _record(row) -> SendRecord:
    data = dict(row._mapping)
    data["article_urls"] = json.loads(data["article_urls"] or "[]")
    return SendRecord(**data)
