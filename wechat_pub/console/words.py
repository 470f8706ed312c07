"""The product's words as the console says them, in the page's language: statuses, what a schedule does, what an
account may do, WeChat's error codes, and the messages of the shared code (publish, rights, the library), which
speak English for the command line. Each is translated here, at the console's boundary; a message this module
does not know is shown after a translated lead, never as the page's only words."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from wechat_pub.console.dates import written

STATUSES = {
    "not pushed": _l("not pushed"), "scheduled": _l("scheduled"), "awaiting approval": _l("awaiting approval"),
    "draft": _l("in the draft box"), "publishing": _l("publishing"), "published": _l("published"),
    "sending": _l("sending to followers"), "sent": _l("sent to followers"), "failed": _l("failed"),
    "missed": _l("missed"), "blocked": _l("blocked"), "invalid": _l("has errors"),
}

# status.py's advice (English for the CLI's `status`) -> the console's words
ADVICE = {
    "WeChat accepted the send; its counts and links come when it is done.":
        _l("WeChat accepted the send; its counts and links come when it is done."),
    "WeChat is publishing it; the links come when it is done.":
        _l("WeChat is publishing it; the links come when it is done."),
    "Its article has errors: fix them, or it is not pushed at its time.":
        _l("Its article has errors: fix them, or it is not pushed at its time."),
    "An approver must approve this version before its time.":
        _l("An approver must approve this version before its time."),
    "In the draft box: publish it (here, as an approver, or in mp.weixin.qq.com).":
        _l("In the draft box: publish it (here, as an approver, or in mp.weixin.qq.com)."),
    "Schedule it, or push it to the draft box now.": _l("Schedule it, or push it to the draft box now."),
}

# WeChat's error codes the team meets, by meaning; the code itself is only a detail after it
ERRCODES = {
    40001: _l("WeChat refused the account's credentials: ask your admin to check the AppSecret."),
    40164: _l("WeChat refused this server's address: ask your admin to add it to the account's IP whitelist."),
    45003: _l("The title is too long for WeChat: shorten it."),
    45004: _l("The digest is too long for WeChat: shorten it."),
    45009: _l("The account has used today's calls of this kind: try again tomorrow."),
    45110: _l("The author is too long for WeChat: shorten it."),
    48001: _l("This account may not do this through the API (it is not verified): do it by hand in "
              "mp.weixin.qq.com, then mark it here. Drafts still work."),
    53503: _l("The draft is not ready to publish in WeChat: open it in the draft box and check it."),
}
CODE = re.compile(r"\b(4\d{4}|5\d{4}|8\d{4})\b")

CAPABILITIES = {"draft": _l("push to the draft box"), "publish": _l("publish"), "send": _l("send to followers"),
                "preview": _l("phone preview"), "analytics": _l("statistics")}
DELIVERY = {"draft": _l("into the draft box"), "publish": _l("publish (no follower is told)"),
            "send": _l("send to all followers")}


def status_name(status: str) -> str:
    return str(STATUSES.get(status, status))


def advice(words: str) -> str:
    """Known advice in the page's language; other advice (a WeChat error kept by a run) by its code's meaning."""
    if not words:
        return ""
    known = ADVICE.get(words)
    return str(known) if known else wechat_error(words)


def wechat_error(message: str) -> str:
    """A message of the shared code: a WeChat code's meaning in the page's language with the code as a detail,
    else the message after a lead that says it comes from the publishing code (as it was written)."""
    found = CODE.search(message or "")
    if found and int(found.group(1)) in ERRCODES:
        return _("%(meaning)s (WeChat error %(code)s)", meaning=ERRCODES[int(found.group(1))], code=found.group(1))
    return _("Details: %(message)s", message=message) if message else ""


def delivery(action: str, tag: str = "") -> str:
    """What a schedule does at its time (a Delivery's action and tag)."""
    if action == "send" and tag:
        return _("send to followers with tag %(tag)s", tag=tag)
    return str(DELIVERY.get(action, action))


def plan(action: str, tag: str, publish_at: str | None) -> str:
    """'send to all followers at 2026年12月8日 周二 09:00', in the page's zone and language."""
    if not publish_at:
        return delivery(action, tag)
    return _("%(what)s at %(when)s", what=delivery(action, tag), when=written(publish_at))


def right(capability_right) -> str:
    """One line of what the account may do: allowed (with today's quota), not allowed, or not known."""
    if capability_right.allowed is None:
        return _("not known: WeChat does not say")
    if not capability_right.allowed:
        return _("not allowed: the account is not verified; do it by hand in mp.weixin.qq.com, then mark it here")
    if capability_right.limit:
        return _("allowed; %(remain)s of %(limit)s left today", remain=capability_right.remain,
                 limit=capability_right.limit)
    return _("allowed")


def capability(name: str) -> str:
    return str(CAPABILITIES.get(name, name))


def init_words(app) -> None:
    for function in (status_name, advice, wechat_error, delivery, plan, right, capability):
        app.add_template_global(function)
