"""The sandbox's pages of what was mass-sent and previewed, each sent article at phone width, the JSON listing
tests and checks read (``GET /sandbox/api/mass``), and the settings tests flip on a running sandbox (an
account's ``verified`` and ``kind``, how sends end)."""

from __future__ import annotations

from html import escape

from flask import Blueprint, abort, jsonify, request

from wechat_pub.sandbox.api import state
from wechat_pub.sandbox.mass import store
from wechat_pub.sandbox.phone import account_id, article_html, page

mass_pages = Blueprint("sandbox_mass_pages", __name__, url_prefix="/sandbox")
OUTCOMES = ("success", "fail", "check_fail")


def listing() -> list[dict]:
    """One entry per accepted send, then the previews (``"preview": true``)."""
    sends = [{"preview": False, "appid": s["appid"], "msg_id": s["msg_id"], "msg_data_id": s["msg_data_id"],
              "clientmsgid": s["clientmsgid"], "media_id": s["draft_media_id"], "to_all": bool(s["to_all"]),
              "tag_id": s["tag_id"], "status": s["status"], "title": s["articles"][0]["title"], "urls": s["urls"],
              "event": s["event_status"], "created_at": s["created_at"]} for s in store().sends()]
    previews = [{"preview": True, "appid": p["appid"], "towxname": p["towxname"], "media_id": p["draft_media_id"],
                 "title": p["title"], "created_at": p["created_at"]} for p in store().previews()]
    return sends + previews


@mass_pages.get("/api/mass")
def api_mass():
    return jsonify(mass=listing())


def mass_table() -> str:
    """What was sent and previewed, as rows of a table (the index page shows it under the drafts)."""
    rows = "".join(
        f'<tr><td>{escape(e["title"])}</td><td>{escape(e["appid"])}</td>'
        f'<td>{"preview to " + escape(e["towxname"]) if e["preview"] else _audience(e)}</td>'
        f'<td>{"" if e["preview"] else escape(e["status"])}</td>'
        f'<td>{" ".join(f"<a href={escape(u)!r}>{i + 1}</a>" for i, u in enumerate(e.get("urls", [])))}</td></tr>'
        for e in listing())
    return ('<table class="list" id="mass"><tr><th>mass send / preview</th><th>account</th><th>to</th>'
            f"<th>status</th><th>articles</th></tr>{rows}</table>")


def _audience(entry: dict) -> str:
    return "all followers" if entry["to_all"] else f"tag {entry['tag_id']}"


@mass_pages.get("/mass")
def mass_page():
    return page("wechat-pub sandbox: mass sends", '<div class="bar">Mass sends and phone previews</div>'
                 + mass_table())


@mass_pages.get("/mass/<int:msg_id>/<int:index>")
def sent_article(msg_id: int, index: int):
    sent = store().send(msg_id)
    if sent is None or sent["status"] != "SEND_SUCCESS" or not 1 <= index <= len(sent["articles"]):
        abort(404, "No such sent article (deleted, failed or never sent).")
    article = sent["articles"][index - 1]
    return page(article["title"], article_html(article, account_id(sent["appid"])))


@mass_pages.post("/accounts/<appid>")
def account_settings(appid: str):
    """POST {"verified": false, "kind": "service", "phones": [...]}: what kind of account an app id is."""
    account = state().settings.account(appid)
    if account is None:
        abort(404, "No such app id in this sandbox.")
    data = request.get_json(force=True)
    if "verified" in data:
        account.verified = bool(data["verified"])
    if data.get("kind") in ("subscription", "service"):
        account.kind = data["kind"]
    if isinstance(data.get("phones"), list):
        account.phones = tuple(str(phone) for phone in data["phones"])
    return jsonify(appid=appid, verified=account.verified, kind=account.kind, phones=list(account.phones))


@mass_pages.post("/mass/outcome")
def mass_outcome():
    """POST {"outcome": "fail", "delay": 0.2}: how the next mass sends end (success, fail, check_fail, err(N))."""
    data = request.get_json(force=True)
    outcome = str(data.get("outcome", "success"))
    if outcome not in OUTCOMES and not (outcome.startswith("err(") and outcome[4:-1].isdigit()):
        abort(400, "outcome: success, fail, check_fail or err(N)")
    state().settings.mass_outcome = outcome
    if "delay" in data:
        state().settings.mass_delay = float(data["delay"])
    return jsonify(outcome=outcome, delay=state().settings.mass_delay)
