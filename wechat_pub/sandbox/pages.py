"""The sandbox's own pages: each draft and published article at phone width, the uploaded images,
and a small admin API for tests and demos (faults, clock, call counts)."""

from __future__ import annotations

from html import escape

from flask import Blueprint, Response, abort, jsonify, request

from wechat_pub.sandbox.api import state
from wechat_pub.sandbox.phone import account_id, article_html, page

pages = Blueprint("sandbox_pages", __name__, url_prefix="/sandbox")

@pages.get("/drafts/<media_id>")
def draft_page(media_id: str):
    draft = state().draft(media_id)
    if draft is None:
        abort(404, "No such draft: it was deleted or published.")
    account = account_id(draft["appid"])
    articles = "".join(article_html(a, account) for a in draft["articles"])
    bar = f'<div class="bar">Sandbox draft {escape(media_id)} · {len(draft["articles"])} article(s)</div>'
    from wechat_pub.sandbox.masspages import mass_table  # what was sent and previewed, as on every draft page

    return page(draft["articles"][0]["title"], bar + articles + mass_table())


@pages.get("/articles/<article_id>/<int:index>")
def article_page(article_id: str, index: int):
    job = state().publish_by_article(article_id)
    if job is None or not 1 <= index <= len(job["articles"]) or job["articles"][index - 1].get("is_deleted"):
        abort(404, "No such published article.")
    article = job["articles"][index - 1]
    return page(article["title"], article_html(article, account_id(job["appid"])))


@pages.get("/media/<media_id>")
def media(media_id: str):
    row = state().media(media_id)
    if row is None:
        abort(404)
    return Response(row["data"], content_type=row["mime"])


@pages.get("/")
def index():
    total, drafts = state().drafts(0, 100)
    _, published = state().published(0, 100)
    rows = "".join(f'<tr><td><a href="/sandbox/drafts/{d["media_id"]}">{escape(d["articles"][0]["title"])}</a></td>'
                   f'<td>{len(d["articles"])}</td><td>draft</td></tr>' for d in drafts)
    rows += "".join(f'<tr><td><a href="{escape(j["urls"][0])}">{escape(j["articles"][0]["title"])}</a></td>'
                    f'<td>{len(j["articles"])}</td><td>published</td></tr>' for j in published if j["urls"])
    table = f'<table class="list"><tr><th>title</th><th>articles</th><th>state</th></tr>{rows}</table>'
    appids = ", ".join(account.appid for account in state().settings.accounts)
    bar = f'<div class="bar">wechat-pub sandbox · account(s) {escape(appids)} · {total} draft(s)</div>'
    from wechat_pub.sandbox.masspages import mass_table  # what was mass-sent and previewed, under the drafts

    return page("wechat-pub sandbox", bar + table + mass_table())


# ---- admin: for tests and demos ----------------------------------------------------------------------


@pages.get("/health")
def health():
    return jsonify(ok=True, appid=state().settings.appid, appids=[a.appid for a in state().settings.accounts])


@pages.route("/faults", methods=["GET", "POST", "DELETE"])
def faults():
    """POST {"endpoint": "draft/add", "kind": "busy", "times": 2, "seconds": 0}; kinds: expired_token,
    invalid_token, busy, quota, minute_quota, slow, drop (before doing anything), drop_after (after doing
    it: the answer is lost), errcode:N. DELETE clears them."""
    if request.method == "POST":
        data = request.get_json(force=True)
        state().add_fault(data["endpoint"], data["kind"], int(data.get("times", 1)), float(data.get("seconds", 0)))
    elif request.method == "DELETE":
        state().clear_faults()
    return jsonify(faults=state().faults())


@pages.post("/publish-outcomes")
def publish_outcomes():
    """POST {"appid": "wx_…", "status": 3, "fail_idx": [1], "draft": ""}: the account's next publish job (or the
    job of that draft) fails so: 2 原创失败, 3 常规失败, 4 平台审核不通过, 6 系统封禁; fail_idx 1-based."""
    data = request.get_json(force=True)
    status = int(data.get("status", 3))
    fail_idx = [int(i) for i in data.get("fail_idx", [])]
    if status not in (2, 3, 4, 5, 6):
        abort(400, "status is one of 2, 3, 4, 5, 6.")
    state().set_publish_outcome(str(data.get("appid") or state().settings.appid), status, fail_idx,
                                str(data.get("draft", "")))
    return jsonify(ok=True)


@pages.post("/drafts/<media_id>/edit")
def edit_draft(media_id: str):
    """POST {"index": 0, "find": "...", "replace": "..."}: change a draft as a person does in WeChat's editor."""
    draft = state().draft(media_id)
    if draft is None:
        abort(404, "No such draft.")
    data = request.get_json(force=True)
    articles = draft["articles"]
    article = articles[int(data.get("index", 0))]
    article["content"] = article["content"].replace(data["find"], data["replace"])
    state().update_draft(media_id, articles)
    return jsonify(ok=True)


@pages.post("/clock")
def clock():
    """POST {"advance": seconds}: move the sandbox's clock forward (token lifetimes, quotas)."""
    state().advance_clock(float(request.get_json(force=True).get("advance", 0)))
    return jsonify(now=state().now())


@pages.route("/calls", methods=["GET", "DELETE"])
def calls():
    """Calls per endpoint since the last DELETE: what benchmarks and tests count."""
    if request.method == "DELETE":
        state().reset_calls()
    return jsonify(calls=state().call_counts())
