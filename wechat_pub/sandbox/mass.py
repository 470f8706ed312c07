"""Mass send (群发) and phone preview: ``message/mass/*`` and ``openapi/quota/get``, as reference/wechat-reach.md
§2–§5 and §7 describe them.

- sendall takes a draft's media_id (``mpnews``), else 40007; unverified accounts get 48001.
- ``clientmsgid``: a second send with the same id within 24 h is refused with 45065 and the first send's msg_id
  (45066 within a minute of the first): what lets a sender stay exactly-once across crashes and hosts.
- A subscription account may send once a day, a service account 4 times a month (counted per account here,
  where WeChat counts per follower): 45028 after.
- An accepted send finishes after ``mass_delay`` seconds with a MASSSENDJOBFINISH to the account's webhook
  (:mod:`.massevents`), its outcome as ``mass_outcome`` says (success, fail, check_fail, err(N)).
- Preview: to a WeChat ID that follows the account (``phones``; else 43004), 100 a day, no send quota used.
- Delete: only a send that went out (SEND_SUCCESS), as WeChat documents; else -1 (its code is not documented).
"""

from __future__ import annotations

import threading
import time

from flask import current_app, request

from wechat_pub.sandbox.api import MESSAGES, WxError, body, caller, endpoint, state
from wechat_pub.sandbox.drafts import existing_draft
from wechat_pub.sandbox.massstore import MassStore

MESSAGES.update({40003: "invalid openid", 40152: "invalid tag_id", 43004: "require subscribe",
                 45028: "has no masssend quota", 45065: "clientmsgid exist", 45066: "clientmsgid retry too fast",
                 45067: "clientmsgid size out of limit", 76021: "cgi_path not found"})
CLIENTMSGID_MAX = 64  # reported limits are 32 or 64 bytes (UNCONFIRMED): the sandbox refuses above the larger
PREVIEWS_A_DAY = 100
SENDS_A_MONTH = 4
DATACUBE_A_DAY = 1000  # UNCONFIRMED: the analytics' daily limit is not documented in our reference  # a service account's followers each get at most 4 a month
DAY, MONTH = 86400, 30 * 86400
# APIs an unverified account may not call (48001), by cgi path: publishing, mass send, preview, analytics
VERIFIED_ONLY = ("/cgi-bin/freepublish/", "/cgi-bin/message/mass/", "/datacube/")


def store() -> MassStore:
    extensions = current_app.extensions
    if "wechat_pub.sandbox.mass" not in extensions:
        extensions["wechat_pub.sandbox.mass"] = MassStore(state())
    return extensions["wechat_pub.sandbox.mass"]


def account():
    return state().settings.account(caller())


def require_verified() -> None:
    found = account()
    if not (state().settings.verified and found is not None and found.verified):
        raise WxError(48001)


def mpnews_draft(data: dict) -> dict:
    """The draft a mass message carries: mpnews with a media_id of this account's draft box."""
    if data.get("msgtype") != "mpnews" or not isinstance(data.get("mpnews"), dict):
        raise WxError(40007)
    return existing_draft(data["mpnews"])


def audience(data: dict) -> int | None:
    """None: everyone; else the tag id."""
    chosen = data.get("filter")
    if not isinstance(chosen, dict):
        raise WxError(40002)
    if chosen.get("is_to_all") is True:
        return None
    tag_id = chosen.get("tag_id")
    if isinstance(tag_id, bool) or not isinstance(tag_id, (int, str)) or not str(tag_id).isdigit():
        raise WxError(40152)
    return int(tag_id)


@endpoint("message/mass/sendall")
def sendall():
    require_verified()
    data = body()
    draft = mpnews_draft(data)
    tag_id = audience(data)
    clientmsgid = str(data.get("clientmsgid") or "")
    if len(clientmsgid.encode()) > CLIENTMSGID_MAX:
        raise WxError(45067)
    now = state().now()
    first = store().by_clientmsgid(caller(), clientmsgid, now - DAY) if clientmsgid else None
    if first is not None:
        if now - first["created_at"] < 60:
            raise WxError(45066)
        return {"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": first["msg_id"]}
    check_send_quota()
    sent = store().add_send(caller(), clientmsgid, draft, tag_id)
    app = current_app._get_current_object()
    base = state().settings.public_url or request.host_url.rstrip("/")
    threading.Thread(target=_finish_later, args=(app, sent["msg_id"], base), daemon=True).start()
    return {"errcode": 0, "errmsg": "send job submission success", "msg_id": sent["msg_id"],
            "msg_data_id": sent["msg_data_id"]}


def check_send_quota() -> None:
    found = account()
    if found.kind == "service":
        if store().sends_since(caller(), state().now() - MONTH) >= SENDS_A_MONTH:
            raise WxError(45028)
    elif store().sends_today(caller()) >= 1:
        raise WxError(45028)


def _finish_later(app, msg_id: int, base: str) -> None:
    from wechat_pub.sandbox.massevents import finish_send

    time.sleep(app.extensions["wechat_pub.sandbox"].settings.mass_delay)
    with app.app_context():
        finish_send(app.extensions["wechat_pub.sandbox"], store(), msg_id, base)


def resume_sends(app) -> None:
    """Sends left running when the sandbox stopped finish after a restart, as WeChat's would."""
    sandbox_state = app.extensions["wechat_pub.sandbox"]
    with app.app_context():
        unfinished = store().unfinished()
    base = sandbox_state.settings.public_url or "http://127.0.0.1"
    for sent in unfinished:
        threading.Thread(target=_finish_later, args=(app, sent["msg_id"], base), daemon=True).start()


@endpoint("message/mass/preview")
def preview():
    require_verified()
    data = body()
    draft = mpnews_draft(data)
    towxname = str(data.get("towxname") or data.get("touser") or "")
    if not towxname:
        raise WxError(40003)
    if towxname not in account().phones:  # (the sandbox says which IDs follow it: a newcomer cannot guess them)
        raise WxError(43004, f"require subscribe (the sandbox's followers: {', '.join(account().phones)})")
    if store().previews_today(caller()) >= PREVIEWS_A_DAY:
        raise WxError(45009)
    msg_id = store().add_preview(caller(), towxname, draft)
    return {"errcode": 0, "errmsg": "preview success", "msg_id": msg_id}


def own_send(data: dict) -> dict:
    try:
        msg_id = int(str(data.get("msg_id", "")))
    except ValueError:
        raise WxError(40002) from None
    sent = store().send(msg_id, caller())
    if sent is None:
        raise WxError(40002)
    return sent


@endpoint("message/mass/get")
def get():
    require_verified()
    sent = own_send(body())
    return {"msg_id": sent["msg_id"], "msg_status": sent["status"]}


@endpoint("message/mass/delete")
def delete():
    require_verified()
    data = body()
    sent = own_send(data)
    if sent["status"] != "SEND_SUCCESS":  # ("only messages … that have been successfully sent can be deleted")
        raise WxError(-1, f"system error (the sandbox: a send {sent['status']} cannot be deleted, only one that "
                          "went out; WeChat documents the rule, not its code)")
    index = data.get("article_idx", 0)
    if not isinstance(index, int) or not 0 <= index <= len(sent["articles"]):
        raise WxError(40114)
    if index == 0 or len(sent["articles"]) == 1:
        store().set_status(sent["msg_id"], "DELETE")
    return {"errcode": 0, "errmsg": "ok"}


def quota_of(cgi_path: str) -> dict:
    """``{"daily_limit", "used", "remain"}`` of a cgi path for the caller; 48001 when it may not call it."""
    found = account()
    verified = state().settings.verified and found is not None and found.verified
    if not verified and cgi_path.startswith(VERIFIED_ONLY):
        raise WxError(48001)
    if cgi_path == "/cgi-bin/message/mass/sendall":
        limit = 1 if found.kind == "subscription" else SENDS_A_MONTH
        used = store().sends_today(caller()) if found.kind == "subscription" else \
            store().sends_since(caller(), state().now() - MONTH)
    elif cgi_path == "/cgi-bin/message/mass/preview":
        limit, used = PREVIEWS_A_DAY, store().previews_today(caller())
    else:
        name = cgi_path.removeprefix("/cgi-bin/")
        if cgi_path.startswith("/datacube/"):
            return {"daily_limit": DATACUBE_A_DAY, "used": 0, "remain": DATACUBE_A_DAY}
        if name not in state().settings.quotas:
            raise WxError(76021)
        limit = state().settings.quotas.get(name) or 0
        used = state().quota_used(caller(), name) if limit else 0
    return {"daily_limit": limit, "used": used, "remain": max(limit - used, 0)}


@endpoint("openapi/quota/get")
def quota_get():
    cgi_path = str(body().get("cgi_path") or "")
    if not cgi_path.startswith("/"):
        raise WxError(40002)
    return {"errcode": 0, "errmsg": "ok", "quota": quota_of(cgi_path),
            "rate_limit": {"call_count": 60, "refresh_second": 60}}
