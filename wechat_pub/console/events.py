"""What the issue page's history and the audit log say, in the team's words: each event's name, and its detail
where the detail is one the console or the pusher wrote in a known form (a schedule's plan, a push's draft, a
version); any other detail (a URL, an error as WeChat said it) is shown as recorded, its times written out."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from wechat_pub.console.words import N_, moments, plan

# Each event the history and the audit log record (push events and console actions) -> the team's words
EVENTS = {
    "draft-added": N_("pushed to the draft box"), "draft-updated": N_("draft updated"),
    "draft-read-back": N_("WeChat changed the draft"), "draft-recovered": N_("draft found again"),
    "publish-submitting": N_("publishing asked of WeChat"),
    "publish-not-submitted": N_("WeChat did not take the publish"), "publish-submitted": N_("publishing started"),
    "published": N_("published"), "publish-failed": N_("publish failed"),
    "published-gone": N_("article deleted or blocked in WeChat"),
    "failed": N_("failed"), "approve": N_("approved"), "unapprove": N_("approval withdrawn (its pictures changed)"),
    "import": N_("imported"), "save": N_("saved"),
    "save-refused": N_("save refused (someone saved first)"), "schedule": N_("scheduled"),
    "unschedule": N_("unscheduled"), "push": N_("pushed to the draft box"), "push-failed": N_("push failed"),
    "publish": N_("published"), "send": N_("sent to followers"), "send-failed": N_("send failed"),
    "unsend": N_("send deleted"), "phone-preview": N_("phone preview"), "mark-sent": N_("marked sent"),
    "mark-published": N_("marked published"), "rights-checked": N_("asked WeChat what the account may do"),
    "sign-in": N_("signed in"), "sign-out": N_("signed out"), "sign-out-everywhere": N_("signed out everywhere"),
    "user-add": N_("user added"), "user-remove": N_("user removed"), "user-password": N_("password changed"),
    "user-role": N_("role changed"), "sign-in-failed": N_("wrong password at sign-in"),
    "sign-in-locked": N_("sign-in locked"), "sign-in-unlock": N_("sign-in lock lifted"),
    "send-requested": N_("send requested"), "send-accepted": N_("send accepted by WeChat"),
    "send-refused": N_("send refused by WeChat"), "send-unknown": N_("send: WeChat's answer lost (asked again)"),
    "sent": N_("sent to followers"), "send-deleted": N_("send deleted"), "marked-sent": N_("marked sent"),
    "schedule-done": N_("scheduled run done"), "schedule-failed": N_("scheduled run failed"),
    "schedule-attempt-failed": N_("scheduled attempt failed (tried again)"),
    "schedule-blocked": N_("scheduled run blocked"), "schedule-missed": N_("scheduled run missed"),
}


def event_name(event: str) -> str:
    return _(EVENTS[event]) if event in EVENTS else event


def schedule_detail(action: str, tag: str, publish_at: str) -> str:
    """How a schedule is recorded (the history and audit show it in each reader's language and zone)."""
    return f"{action}{':' + tag if tag else ''} {publish_at}"


_SCHEDULED = re.compile(r"^(?P<action>draft|publish|send)(?::(?P<tag>\d+))? (?P<at>\S+)$")
_PUSHED = re.compile(r"^(?P<action>[a-z-]+) draft (?P<id>\S*)(?:, publish job (?P<job>\S+))?$")
_VERSION = re.compile(r"^version (?P<version>\d+)$")
_SENT = re.compile(r"^to (?P<audience>.+), msg_id (?P<id>\S+)$")
_REQUESTED = re.compile(r"^clientmsgid \S+ to (?P<audience>.+)$")
_REACHED = re.compile(r"^[^:]*: (?:(?P<sent>\d+)/(?P<total>\d+) sent|no counts from WeChat)(?:; (?P<meaning>.*))?$",
                      re.S)
_WRONG = re.compile(r"^(?P<unknown>unknown name, )?from (?P<address>\S+)$")
_LOCKED = re.compile(r"^the (?P<kind>name|address) (?P<who>.+), for (?P<minutes>\d+) minutes$")
BY = re.compile(r"^by (?P<who>.+)$")  # a detail that only names who did it (phone previews, deleted sends)
PUSH_ACTIONS = {
    "created": N_("new draft %(id)s"), "updated": N_("draft %(id)s updated"), "unchanged": N_("draft %(id)s unchanged"),
    "recreated": N_("draft %(id)s made anew"), "replaced": N_("draft replaced by %(id)s"),
    "published-already": N_("already published (draft %(id)s)"),
    "publishing-already": N_("already being published (draft %(id)s)"),
}


def event_detail(event: str, detail: str) -> str:
    """``detail`` of ``event`` in the page's language where its form is known, else as recorded (times written)."""
    detail = str(detail or "")
    if event == "schedule" and (found := _SCHEDULED.match(detail)):
        return plan(found["action"], found["tag"] or "", found["at"])
    if event in ("push", "publish") and (found := _PUSHED.match(detail)) and found["action"] in PUSH_ACTIONS:
        words = _(PUSH_ACTIONS[found["action"]], id=found["id"])
        return _("%(draft)s; publish job %(job)s", draft=words, job=found["job"]) if found["job"] else words
    if event in ("save", "approve", "save-refused") and (found := _VERSION.match(detail)):
        return _("version %(version)s", version=found["version"])
    if event == "send" and (found := _SENT.match(detail)):
        return _("to %(audience)s, msg_id %(id)s", audience=_audience(found["audience"]), id=found["id"])
    if event == "send-requested" and (found := _REQUESTED.match(detail)):
        return _("to %(audience)s", audience=_audience(found["audience"]))
    if event in ("sent", "send-failed") and (found := _REACHED.match(detail)):
        reached = (_("%(sent)s of %(total)s followers reached", sent=found["sent"], total=found["total"])
                   if found["sent"] else _("WeChat gave no counts"))
        return f"{reached}; {found['meaning']}" if found["meaning"] else reached
    if event == "sign-in-failed" and (found := _WRONG.match(detail)):
        return (_("unknown name, from %(address)s", address=found["address"]) if found["unknown"]
                else _("from %(address)s", address=found["address"]))
    if event == "sign-in-locked" and (found := _LOCKED.match(detail)):
        words = (N_("the name %(who)s, for %(minutes)s minutes") if found["kind"] == "name"
                 else N_("the address %(who)s, for %(minutes)s minutes"))
        return _(words, who=found["who"], minutes=found["minutes"])
    return moments(detail)


def _audience(audience: str) -> str:
    tag = re.fullmatch(r"(?:followers with )?tag (\d+)", audience)
    return _("followers with tag %(tag)s", tag=tag[1]) if tag else _("all followers")


def init_events(app) -> None:
    app.add_template_global(event_name)
    app.add_template_global(event_detail)
