"""Sending an issue to the followers (群发), exactly once: the draft is pushed if needed, then
``message/mass/sendall`` goes out with the draft's media_id and a ``clientmsgid`` derived from (account, issue,
draft version), recorded in the send ledger BEFORE the call.

Whatever happens, one send: a rerun after a crash (before the call: it is made; after it: WeChat answers 45065
with the first send's msg_id, 45066 within a minute), a second host or a second click (a shared lock per issue,
then the ledger says it is sent) all meet the same row and the same id. Once WeChat accepted a send, wechat-pub
never calls sendall for that issue again (a failed send may be tried again, under a new id).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from dataclasses import dataclass, field

from wechat_pub import model as m
from wechat_pub.crash import crash_point
from wechat_pub.errors import WechatPubError
from wechat_pub.publish.outcome import IssueBusy
from wechat_pub.publish.sendresult import apply_kept
from wechat_pub.wechat.errors import NetworkError, WeChatAPIError

UNKNOWN_OUTCOME = {45066, 89504, 89505}  # the send may go out (just made / waiting for an admin's confirmation)
DEDUPE_HOURS = 24  # WeChat remembers a clientmsgid this long (reference/wechat-reach.md §2)
# The per-issue lock's lease is the deployment's (schedule.lease_seconds, 30 s), renewed while its holder runs
# (a push through a slow WeChat outlives any lease): short, because a process killed while holding it (nothing
# can release it) makes the next sender wait this long. Just before sendall the holder renews it once more and
# stops if it is no longer its own: the ledger row is written only after the push, and the clientmsgid follows
# the content, so two holders of one lock could each send their own version.
LOCK_WAIT = 150


@dataclass
class SendOutcome:
    issue: int
    action: str  # sent (WeChat accepted it now), repeated (WeChat had it: 45065), already (sent before)
    msg_id: str
    audience: str
    draft: str = ""  # what the draft push did
    notes: list[str] = field(default_factory=list)


def clientmsgid_for(appid: str, issue: int, content_hash: str, attempt: int = 0) -> str:
    """32 ASCII characters (the longest WeChat is reported to take): the same for every sender of a version."""
    raw = f"{appid}:{issue}:{content_hash}:{attempt}"
    return "wp" + hashlib.sha256(raw.encode()).hexdigest()[:30]


def tag_id_of(tag: str) -> str:
    """A tag's id as sendall takes it (digits), or '' for everyone; anything else is refused."""
    tag = (tag or "").strip()
    if tag and not (tag.isascii() and tag.isdigit() and len(tag) <= 10):
        raise WechatPubError(f"--tag {tag[:40]!r} is not a tag id.", "Give the tag's number, from mp.weixin.qq.com → "
                                                                     "用户管理 → 标签 (or leave it out: everyone).")
    return tag


def approval_missing(site, issue: int) -> str | None:
    """With console.require_approval, why this version may not go out ('nobody approved it'), or None."""
    if not site.require_approval:
        return None
    row = site.library.row(issue)
    approval = site.approvals.get(issue)
    if row is None or approval is None or approval.text_hash != row.text_hash:
        return "it was approved, but changed since" if approval else "nobody approved it"
    return None


def require_approved(site, issue: int) -> None:
    """With console.require_approval, only an approved version is sent."""
    why = approval_missing(site, issue)
    if why:
        raise WechatPubError(f"issue {issue} is not sent: console.require_approval is on and {why}.",
                             "An approver approves this version in the console first, then send it.")


def send_issue(site, account, issue: m.Issue, tag: str = "", by: str = "", progress=None,
               go_ahead=None) -> SendOutcome:
    """``go_ahead``: called just before sendall; raises when the send should not go (its scheduled time was
    canceled meanwhile)."""
    tag_id = tag_id_of(tag)
    site.library.sync()
    require_approved(site, issue.number)
    busy = IssueBusy(f"issue {issue.number} is being sent by another process (a colleague, the schedule or another "
                     f"host) that did not finish within {LOCK_WAIT} seconds.", "Nothing was sent by this attempt. "
                     "Look at the issue's page in a few minutes: it says whether the other send went out.")
    with site.services.locks.lock(f"send:{site.appid}:{issue.number}", lease=site.cfg["schedule.lease_seconds"],
                                  wait=LOCK_WAIT, renewed=True, busy=lambda: busy) as held:
        return _send_held(site, account, issue, tag_id, by, progress, go_ahead, held)


def _send_held(site, account, issue: m.Issue, tag_id: str, by: str, progress, go_ahead, held) -> SendOutcome:
    earlier = site.sends.latest(issue.number)
    if earlier is not None and earlier.state in ("accepted", "sent"):
        return SendOutcome(issue.number, "already", earlier.msg_id, earlier.audience,
                           notes=[f"it was sent before ({earlier.status or earlier.state}); nothing was sent again"])
    pushed = site.pusher(account, progress=progress).push(issue, need_draft=True)
    record = site.pushes.get(issue.number)
    if earlier is not None:  # requested: its outcome is unknown, so the same id goes again
        check_not_stale(site, earlier)
        clientmsgid, tag_id = earlier.clientmsgid, earlier.tag_id
    else:
        attempt = sum(1 for r in site.sends.of_issue(issue.number) if r.state in ("failed", "deleted"))
        clientmsgid = clientmsgid_for(site.appid, issue.number, record.content_hash, attempt)
    if go_ahead is not None:
        go_ahead()
    if not held.still_held():  # (renewed now: sendall runs within the lease)
        raise IssueBusy(f"issue {issue.number}: another process took over its send while this one was pushing "
                        "(its lease ran out).", "Nothing was sent by this attempt. Look at the issue's page: "
                        "it says whether the other send went out; send again only if it did not.")
    site.sends.requested(issue.number, clientmsgid, record.content_hash, tag_id, by)
    crash_point("before-sendall")
    accepted = call_sendall(site, account, issue.number, record.draft_media_id, clientmsgid, tag_id)
    crash_point("after-sendall")
    # Together: the MASSSENDJOBFINISH event (the webhook's, another thread or host) finds the send by its
    # msg_id only once the issue is 'sending' too, so its outcome is never written over by this call.
    with site.services.db.together():
        site.sends.accepted(issue.number, clientmsgid, accepted.msg_id, accepted.msg_data_id, accepted.repeated)
        site.pushes.sending(issue.number)
    apply_kept(site, accepted.msg_id)  # (WeChat's report of it, if it came before this record)
    audience = f"followers with tag {tag_id}" if tag_id else "all followers"
    return SendOutcome(issue.number, "repeated" if accepted.repeated else "sent", accepted.msg_id, audience,
                       draft=f"{pushed.action} draft {pushed.media_id}")


def call_sendall(site, account, issue: int, media_id: str, clientmsgid: str, tag_id: str):
    try:
        return account.api.mass.sendall(media_id, clientmsgid, int(tag_id) if tag_id else None)
    except NetworkError as exc:  # the answer was lost: it may have gone out
        site.sends.pending(issue, clientmsgid, exc.message, exc.hint)
        exc.hint = ("Run it again: the same send id goes to WeChat, which answers with the first send if this one "
                    "got there; it is never sent twice.")
        raise
    except WeChatAPIError as exc:
        if exc.errcode in UNKNOWN_OUTCOME:
            site.sends.pending(issue, clientmsgid, exc.message, exc.hint)
        else:
            if exc.errcode == 45028:
                exc.hint = f"Next possible send: {next_quota_day(site)}. {exc.hint}"
            site.sends.refused(issue, clientmsgid, exc.message, exc.hint)
        raise


def check_not_stale(site, earlier) -> None:
    """WeChat forgets a clientmsgid after 24 h: a send whose outcome stayed unknown that long is not tried
    again blindly (it could go out twice)."""
    if site.clock.time() - earlier.requested_at < (DEDUPE_HOURS - 1) * 3600:
        return
    raise WechatPubError(f"issue {earlier.issue}: a send was started over a day ago and its outcome is unknown "
                         f"({earlier.error or 'no answer was recorded'}).",
                         "Look in mp.weixin.qq.com → 内容与互动 → 已发表/群发记录: if it went out, run `wechat-pub "
                         "mark-sent FILE --url URL`; if not, send it by hand there, then mark it sent.")


def next_quota_day(site) -> str:
    """When the daily send quota is back: midnight Beijing time, shown in the publisher's zone."""
    beijing = zoneinfo.ZoneInfo("Asia/Shanghai")
    now = dt.datetime.fromtimestamp(site.clock.time(), beijing)
    midnight = (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    local = midnight.astimezone(zoneinfo.ZoneInfo(site.timezone))
    return f"{local.strftime('%a %Y-%m-%d %H:%M')} ({site.timezone}) for a subscription account"


def unsend(site, account, issue: int, by: str = "", article: int = 0) -> str:
    """Delete a sent issue from the followers' chats (``message/mass/delete``); returns the msg_id deleted."""
    record = site.sends.latest(issue)
    if record is None or not record.msg_id:
        raise WechatPubError(f"issue {issue} has no send wechat-pub knows the msg_id of.",
                             "Delete it by hand in mp.weixin.qq.com → 已发表 (a send marked by hand has no msg_id).")
    status = account.api.mass.get(record.msg_id)  # (WeChat deletes only a send that went out)
    if status == "SENDING":
        raise WechatPubError(f"issue {issue} is still being sent to the followers.",
                             "WeChat deletes only a send that has gone out: try again in a few minutes.")
    if status == "SEND_FAIL":
        raise WechatPubError(f"issue {issue}'s send failed: it reached no follower, so there is nothing to delete.",
                             "To reach the followers, send it again.")
    if status == "DELETE":  # (deleted in mp.weixin.qq.com meanwhile: recorded so)
        article = 0
    else:
        account.api.mass.delete(record.msg_id, article)
    if article == 0:
        site.sends.deleted(issue, record.clientmsgid, by)
        site.pushes.unsent(issue)
    else:
        site.pushes.note(issue, "send-deleted", f"article {article} of msg_id {record.msg_id}, by {by or '?'}")
    return record.msg_id


def mark_sent(site, issue: m.Issue, url: str, by: str = "") -> None:
    """The team sent the issue by hand in mp.weixin.qq.com (the unverified account's path): record it, with its
    URL, so followers find it."""
    from wechat_pub.state.pushes import PushedText
    from wechat_pub.urls import safe_link

    if safe_link(url) is None:
        raise WechatPubError(f"{url!r} is not the article's link.", "Copy it from the sent article: "
                                                                   "https://mp.weixin.qq.com/s/…")
    site.sends.marked_sent(issue.number, url, by)
    text = site.library.text_of(issue)  # what went out, unless a draft of ours says otherwise
    site.pushes.sent(issue.number, [url], how="marked by hand",
                     text=PushedText(issue.text_sha256, text) if text is not None else PushedText())
