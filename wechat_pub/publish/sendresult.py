"""How a send ended: the ``MASSSENDJOBFINISH`` event (the webhook hands its fields here, once per delivery key like
every event), or ``message/mass/get`` when no event came within ``schedule.send_check_minutes``. A send that
reached the followers makes the issue "sent" with its URLs (followers then find it like a published one); a
failure is recorded with its meaning, and the team is told either way."""

from __future__ import annotations

import logging

from wechat_pub.state.sends import SendResult
from wechat_pub.urls import safe_links

log = logging.getLogger(__name__)

# Status err(N) of MASSSENDJOBFINISH: why WeChat did not send. From WeChat's 群发 documentation (Batch_Sends,
# "事件推送群发结果"); only err(10001) is quoted in reference/wechat-reach.md §4, the rest as that page lists them.
REASONS = {
    "10001": "suspected advertising", "20001": "suspected political content", "20002": "suspected pornography",
    "20004": "suspected social issues", "20006": "suspected illegal or criminal content",
    "20008": "suspected fraud", "20013": "suspected copyright infringement", "22000": "suspected mutual promotion",
    "21000": "suspected other problems", "30001": "the originality check failed and reprints are not sent",
    "30002": "the originality check found it may not be mass-sent", "30003": "the originality check found it a reprint",
    "40001": "an administrator refused the send", "40002": "no administrator confirmed the send within 30 minutes",
}
CHECK_REFUSED = 3  # CopyrightCheckResult CheckState: reprinted and not allowed, so not sent


def event_result(fields: dict[str, str]) -> SendResult:
    """The event's fields as the webhook parsed them (``mass_article_urls``: the ArticleUrl items, one a line)."""
    def number(name: str) -> int:
        value = fields.get(name, "")
        return int(value) if value.isdigit() else 0

    urls = safe_links([u for u in fields.get("mass_article_urls", "").split("\n") if u])
    return SendResult(fields.get("Status", "")[:80], number("TotalCount"), number("FilterCount"),
                      number("SentCount"), number("ErrorCount"), number("CheckState"), tuple(urls))


def judge(result: SendResult) -> tuple[bool, str]:
    """(did it reach the followers, what it means in words)."""
    status = result.status.strip()
    if result.check_state == CHECK_REFUSED:
        return False, ("not sent: WeChat's originality check found it reprinted from an article that may not be "
                       "reprinted (CheckState 3); remove or credit the reprinted text, then send again")
    if status.startswith("send success"):
        note = f"{result.errors} could not be reached" if result.errors else ""
        return True, note
    if status.startswith("err(") and status.endswith(")"):
        code = status[4:-1]
        return False, f"not sent: {REASONS.get(code, 'WeChat refused it')} ({status}); see mp.weixin.qq.com"
    return False, f"not sent: WeChat reports {status or 'a failure'}; see mp.weixin.qq.com → 群发记录"


def record_result(site, msg_id: str, result: SendResult, how: str) -> bool:
    """Record the outcome of the send ``msg_id`` (once: a later report of a finished send changes nothing);
    False when wechat-pub did not make that send."""
    record = site.sends.by_msg_id(msg_id)
    if record is None:  # (not yet: its sendall's answer may be lost, or slower than the event; kept till then)
        log.warning("%s for msg_id %s, which no send recorded carries (yet): kept for its send", how, msg_id)
        site.sends.keep_event(msg_id, result)
        return False
    if record.state != "accepted":
        return True
    ok, meaning = judge(result)
    with site.services.db.together():  # the issue's state and the send's outcome: seen together, or neither
        if ok:
            site.pushes.sent(record.issue, list(result.article_urls), how=how)
        else:
            site.pushes.send_failed(record.issue)
        site.sends.finished(record.issue, record.clientmsgid, result, ok, meaning)
    if ok:
        reached = (f"{result.sent_count} of {result.total} followers reached" if result.counted
                   else "sent; WeChat gave no counts (they are on the Reach page once its figures come)")
        detail = (f"{reached} ({record.audience})"
                  + (f"; {meaning}" if meaning else "") + ("\n" + " ".join(result.article_urls)
                                                           if result.article_urls else ""))
        site.notifier.notify_later(site.notice(record.issue, "sent", detail))
    else:
        site.notifier.notify_later(site.notice(record.issue, "send-failed", meaning))
    return True


def on_mass_finished(site, replier=None):
    """The webhook's effect of a MASSSENDJOBFINISH (run once per delivery)."""
    def record(fields: dict[str, str]) -> None:
        if record_result(site, fields.get("MsgID", ""), event_result(fields), "MASSSENDJOBFINISH") and replier:
            replier.forget_urls()  # the sent issue's links reach followers' answers now

    return record


def apply_kept(site, msg_id: str) -> bool:
    """A send just recorded as accepted with ``msg_id``: the result WeChat reported before, if one was kept."""
    result = site.sends.take_event(msg_id) if msg_id else None
    return result is not None and record_result(site, msg_id, result, "MASSSENDJOBFINISH (kept)")


def check_waiting(site, account, minutes: float) -> list[str]:
    """Ask ``message/mass/get`` about sends with no result this long after WeChat accepted them; what changed."""
    changed = []
    for record in site.sends.waiting():
        if apply_kept(site, record.msg_id):
            changed.append(f"issue {record.issue}: its result, reported before it was recorded")
            continue
        if not record.msg_id or site.clock.time() - record.updated_at < minutes * 60:
            continue
        status = account.api.mass.get(record.msg_id)
        if status == "SEND_SUCCESS":
            record_result(site, record.msg_id, SendResult("send success (message/mass/get)", counted=False), "message/mass/get")
        elif status == "SEND_FAIL":
            record_result(site, record.msg_id, SendResult("send fail (message/mass/get)", counted=False), "message/mass/get")
        elif status == "DELETE":
            site.sends.deleted(record.issue, record.clientmsgid, "WeChat (message/mass/get)")
            site.pushes.unsent(record.issue)
        else:
            continue
        changed.append(f"issue {record.issue}: {status}")
    return changed


def check_every_site(sites, on_event) -> None:
    """Sends with no MASSSENDJOBFINISH after schedule.send_check_minutes, of every account: ask
    message/mass/get (the scheduler's sync; ``on_event(kind, detail)`` hears what changed)."""
    for site in sites:
        try:
            if not site.sends.waiting():
                continue
            with site.connect() as account:
                for change in check_waiting(site, account, site.schedule.send_check_minutes):
                    on_event("send-checked", f"{site.name}: {change}")
        except Exception as exc:  # WeChat or the database away: asked again on the next sync
            log.warning("sends of account %s not checked: %s: %s", site.name, type(exc).__name__, exc)
