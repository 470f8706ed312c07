"""The draft box: ``draft/*``, with WeChat's field limits and what it does to content on the way in."""

from __future__ import annotations

from flask import request

from wechat_pub.limits import (
    CONTENT_MAX_BYTES,
    CONTENT_MAX_CHARS,
    DOCUMENTED,
    FIELD_ERRORS,
    FIELDS,
    MAX_ARTICLES,
    REPORTED,
    SOURCE_URL_MAX_BYTES,
)
from wechat_pub.sandbox.api import WxError, body, caller, endpoint, state
from wechat_pub.sandbox.content import clean_content, digest_of


def checked_article(article: dict, single: bool) -> dict:
    """An article as WeChat stores it: limits enforced, content sanitised."""
    if not isinstance(article, dict):
        raise WxError(47001)
    title = str(article.get("title") or "")
    content = str(article.get("content") or "")
    if not title:
        raise WxError(44003)
    check_field_limits(article)
    if not content:
        raise WxError(44003)
    if len(content) >= CONTENT_MAX_CHARS or len(content.encode("utf-8")) >= CONTENT_MAX_BYTES:
        raise WxError(45002)
    if len(str(article.get("content_source_url") or "").encode()) > SOURCE_URL_MAX_BYTES:
        raise WxError(45005)
    thumb = str(article.get("thumb_media_id") or "")
    media = state().media(thumb, caller()) if thumb else None
    if media is None or media["kind"] not in ("image", "thumb"):  # must be permanent material of this account
        raise WxError(40007)
    cleaned = clean_content(content, state())
    digest = str(article.get("digest") or "") if single else ""
    return {
        "article_type": article.get("article_type", "news"),
        "title": title,
        "author": str(article.get("author") or ""),
        "digest": digest or (digest_of(cleaned) if single else ""),
        "content": cleaned,
        "content_source_url": str(article.get("content_source_url") or ""),
        "thumb_media_id": thumb,
        "thumb_url": media["url"],
        "need_open_comment": int(article.get("need_open_comment") or 0),
        "only_fans_can_comment": int(article.get("only_fans_can_comment") or 0),
        "pic_crop_235_1": str(article.get("pic_crop_235_1") or ""),
        "pic_crop_1_1": str(article.get("pic_crop_1_1") or ""),
        "show_cover_pic": 1 if article.get("show_cover_pic") in (1, "1", True) else 0,  # echoed, as recorded
    }


def check_field_limits(article: dict) -> None:
    """45003/45110/45004, at the documented limits (characters) or the reported ones (bytes), as set."""
    limits = REPORTED if state().settings.limits == "reported" else DOCUMENTED
    for name in FIELDS:
        if not limits[name].fits(str(article.get(name) or "")):
            raise WxError(FIELD_ERRORS[name])


def page_url(path: str) -> str:
    base = state().settings.public_url or request.host_url.rstrip("/")
    return f"{base}{path}"


@endpoint("draft/add")
def draft_add():
    articles = body().get("articles")
    if not isinstance(articles, list) or not articles:
        raise WxError(44003)
    if len(articles) > MAX_ARTICLES:
        raise WxError(45008)
    stored = [checked_article(a, single=len(articles) == 1) for a in articles]
    media_id = state().add_draft(caller(), stored)
    return {"media_id": media_id, "item": []}  # as recorded


def existing_draft(data: dict) -> dict:
    draft = state().draft(str(data.get("media_id", "")), caller())
    if draft is None:
        raise WxError(40007)
    return draft


@endpoint("draft/get")
def draft_get():
    draft = existing_draft(body())
    url = page_url(f"/sandbox/drafts/{draft['media_id']}")
    return {"news_item": [{**a, "url": url} for a in draft["articles"]], **times_of(draft)}


def times_of(draft: dict) -> dict:
    return {"create_time": int(draft["created_at"]), "update_time": int(draft["updated_at"])}


@endpoint("draft/update")
def draft_update():
    data = body()
    draft = existing_draft(data)
    article = data.get("articles")
    if not isinstance(article, dict) or not article:
        raise WxError(40007)
    index = data.get("index")
    if not isinstance(index, int) or not 0 <= index < len(draft["articles"]):
        raise WxError(40114)
    articles = list(draft["articles"])
    articles[index] = checked_article(article, single=len(articles) == 1)
    state().update_draft(draft["media_id"], articles)
    return {"errcode": 0, "errmsg": "ok"}


@endpoint("draft/delete")
def draft_delete():
    if not state().delete_draft(str(body().get("media_id", "")), caller()):
        raise WxError(40007)
    return {"errcode": 0, "errmsg": "ok"}


@endpoint("draft/count", methods=("GET",))
def draft_count():
    return {"total_count": state().drafts(0, 1, caller())[0]}


@endpoint("draft/batchget")
def draft_batchget():
    data = body()
    offset, count, no_content = int(data.get("offset", 0)), int(data.get("count", 20)), bool(data.get("no_content"))
    if not 1 <= count <= 20 or offset < 0:
        raise WxError(40002)
    total, drafts = state().drafts(offset, count, caller())
    items = []
    for draft in drafts:
        url = page_url(f"/sandbox/drafts/{draft['media_id']}")
        news = [{k: v for k, v in {**a, "url": url}.items() if not (no_content and k == "content")}
                for a in draft["articles"]]
        items.append({"media_id": draft["media_id"], "content": {"news_item": news, **times_of(draft)},
                      "update_time": int(draft["updated_at"])})
    return {"total_count": total, "item_count": len(items), "item": items}


