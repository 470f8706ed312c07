"""Publishing: ``freepublish/*``. A submitted job finishes after ``publish_delay`` seconds and tells the
account's webhook (PUBLISHJOBFINISH); unverified accounts get 48001. A job ends as set for its account or draft
(``/sandbox/publish-outcomes``: status 2, 3, 4 or 6 with ``fail_idx``), else it succeeds. ``publish_id`` is a
JSON integer, as recorded (the docs' examples quote it)."""

from __future__ import annotations

import re
import threading
import time

from flask import current_app, request

from wechat_pub.sandbox.api import WxError, body, caller, endpoint, state
from wechat_pub.sandbox.drafts import existing_draft


def require_verified() -> None:
    account = state().settings.account(caller())
    if not (state().settings.verified and account is not None and account.verified):
        raise WxError(48001)


@endpoint("freepublish/submit")
def freepublish_submit():
    require_verified()
    draft = existing_draft(body())
    publish_id = state().start_publish(draft)
    app = current_app._get_current_object()
    base = state().settings.public_url or request.host_url.rstrip("/")
    threading.Thread(target=_finish_later, args=(app, publish_id, base), daemon=True).start()
    return {"errcode": 0, "errmsg": "ok", "publish_id": publish_id, "msg_data_id": publish_id}


def _finish_later(app, publish_id: int, base: str) -> None:
    from wechat_pub.sandbox.events import finish_publish

    time.sleep(app.extensions["wechat_pub.sandbox"].settings.publish_delay)
    with app.app_context():
        finish_publish(app.extensions["wechat_pub.sandbox"], publish_id, base)


@endpoint("freepublish/get")
def freepublish_get():
    require_verified()
    job = state().publish(int(re.sub(r"\D", "", str(body().get("publish_id", ""))) or 0), caller())
    if job is None:
        raise WxError(40002)
    result = {"publish_id": job["publish_id"], "publish_status": job["status"], "fail_idx": job["fail_idx"]}
    if job["status"] == 0:
        result["article_id"] = job["article_id"]
        result["article_detail"] = {"count": len(job["urls"]),
                                    "item": [{"idx": i + 1, "article_url": u} for i, u in enumerate(job["urls"])]}
    return result


def _published_items(job: dict) -> list[dict]:
    return [{**a, "url": job["urls"][i] if i < len(job["urls"]) else "", "is_deleted": bool(a.get("is_deleted"))}
            for i, a in enumerate(job["articles"])]


@endpoint("freepublish/getarticle")
def freepublish_getarticle():
    require_verified()
    job = state().publish_by_article(str(body().get("article_id", "")), caller())
    if job is None:
        raise WxError(53600)
    return {"news_item": _published_items(job), **_times(job)}


def _times(job: dict) -> dict:
    return {"create_time": int(job["created_at"]), "update_time": int(job["finished_at"] or job["created_at"])}


@endpoint("freepublish/batchget")
def freepublish_batchget():
    require_verified()
    data = body()
    offset, count, no_content = int(data.get("offset", 0)), int(data.get("count", 20)), bool(data.get("no_content"))
    if not 1 <= count <= 20:
        raise WxError(40002)
    total, jobs = state().published(offset, count, caller())
    items = [{"article_id": job["article_id"],  # update_time inside content, as recorded (not beside it)
              "content": {"news_item": [{k: v for k, v in a.items() if not (no_content and k == "content")}
                                        for a in _published_items(job)], **_times(job)}} for job in jobs]
    return {"total_count": total, "item_count": len(items), "item": items}


@endpoint("freepublish/delete")
def freepublish_delete():
    require_verified()
    data = body()
    job = state().publish_by_article(str(data.get("article_id", "")), caller())
    if job is None:
        raise WxError(53600)
    index = int(data.get("index", 0))
    articles = job["articles"]
    if index < 0 or index > len(articles):
        raise WxError(40114)
    for i, article in enumerate(articles):
        if index in (0, i + 1):
            article["is_deleted"] = True
    state().set_publish_articles(job["publish_id"], articles, 5 if all(a.get("is_deleted") for a in articles) else None)
    return {"errcode": 0, "errmsg": "ok"}
