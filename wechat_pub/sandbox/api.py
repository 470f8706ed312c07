"""The emulated official-account API under ``/cgi-bin/``, as reference/wechat-api.md describes it:
HTTP 200 with ``errcode`` bodies, token lifetimes, field limits, sanitising, quotas and faults."""

from __future__ import annotations

import functools
import json
import re
import secrets
import socket
import threading
import time
from typing import Callable

from flask import Blueprint, Response, current_app, request

from wechat_pub.limits import (AUTHOR_MAX_CHARS, CONTENT_MAX_BYTES, CONTENT_MAX_CHARS, DIGEST_MAX_CHARS,
                               MATERIAL_IMAGE_MAX_BYTES, MAX_ARTICLES, SOURCE_URL_MAX_BYTES, TITLE_MAX_CHARS,
                               UPLOADIMG_MAX_BYTES)
from wechat_pub.sandbox.content import clean_content, digest_of
from wechat_pub.sandbox.state import SandboxState

api = Blueprint("sandbox_api", __name__, url_prefix="/cgi-bin")

MESSAGES = {
    -1: "system error", 40001: "invalid credential, access_token is invalid or not latest", 40002: "invalid argument",
    40004: "invalid media type", 40005: "invalid file type", 40006: "invalid file size", 40007: "invalid media_id",
    40009: "invalid image size", 40012: "invalid thumb size", 40013: "invalid appid", 40114: "invalid index value",
    40125: "invalid appsecret", 41001: "access_token missing", 41002: "appid missing", 41004: "appsecret missing",
    41005: "media data missing", 42001: "access_token expired", 43002: "require POST method",
    44003: "empty news data", 45002: "content size out of limit", 45003: "title size out of limit",
    45004: "description size out of limit", 45005: "url size out of limit", 45008: "article size out of limit",
    45009: "reach max api daily quota limit", 45011: "api minute-quota reach limit, must slower, retry next minute",
    45110: "author size out of limit", 47001: "data format error", 48001: "api unauthorized",
    53600: "Article ID 无效",
}

MATERIAL_RULES = {  # type -> (max bytes, accepted kinds, error code for size)
    "image": (MATERIAL_IMAGE_MAX_BYTES, {"jpeg", "png", "gif", "bmp"}, 40006),
    "thumb": (64 * 1024, {"jpeg"}, 40012),
    "voice": (2 * 1024 * 1024, {"mp3", "amr", "wav", "wma"}, 40006),
    "video": (10 * 1024 * 1024, {"mp4"}, 40006),
}


class WxError(Exception):
    def __init__(self, errcode: int, errmsg: str = ""):
        super().__init__(errcode)
        self.errcode = errcode
        self.errmsg = errmsg or MESSAGES.get(errcode, "error")


def state() -> SandboxState:
    return current_app.extensions["wechat_pub.sandbox"]


def reply(payload: dict, errcode: int = 0) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=200,
                    content_type="application/json; encoding=utf-8")


def error_reply(exc: WxError) -> Response:
    rid = f"{int(time.time()):08x}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
    return reply({"errcode": exc.errcode, "errmsg": f"{exc.errmsg} rid: {rid}"})


def endpoint(name: str, methods=("POST",), token: bool = True) -> Callable:
    """Wrap a handler with what every WeChat endpoint does: faults, token, quota, errors, the call log."""

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def wrapped():
            errcode = 0
            try:
                if request.method not in methods:
                    raise WxError(43002)
                fault = state().take_fault(name)
                if fault is not None and fault["kind"] != "drop_after":
                    apply_fault(fault)
                if token:
                    check_token()
                if not state().take_quota(name):
                    raise WxError(45009)
                response = reply(handler())
                if fault is not None and fault["kind"] == "drop_after":  # done, but the answer never arrives
                    drop_connection()
                return response
            except WxError as exc:
                errcode = exc.errcode
                return error_reply(exc)
            finally:
                state().log_call(name, errcode)

        api.add_url_rule(f"/{name}", name.replace("/", "_"), wrapped, methods=["GET", "POST"])
        return wrapped

    return decorate


def apply_fault(fault) -> None:
    kind = fault["kind"]
    if kind == "slow":
        time.sleep(fault["seconds"] or 3)
        return
    if kind == "drop":
        drop_connection()
        raise WxError(-1)  # never delivered: the socket is gone
    codes = {"expired_token": 42001, "invalid_token": 40001, "busy": -1, "quota": 45009, "minute_quota": 45011}
    if kind in codes:
        raise WxError(codes[kind])
    if kind.startswith("errcode:"):
        code = int(kind.split(":", 1)[1])
        if code == 40164:  # WeChat names the caller's address
            ip = request.remote_addr
            raise WxError(code, f"invalid ip {ip} ipv6 ::ffff:{ip}, not in whitelist")
        raise WxError(code)


def drop_connection() -> None:
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


def check_token() -> None:
    value = request.args.get("access_token", "")
    if not value:
        raise WxError(41001)
    row = state().token(value)
    if row is None:
        raise WxError(40001)
    if row["expires_at"] <= state().now():
        raise WxError(42001)


def body() -> dict:
    """The JSON body, whatever the Content-Type (wechatpy sends none)."""
    raw = request.get_data()
    if not raw:
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise WxError(47001) from None
    if not isinstance(data, dict):
        raise WxError(47001)
    return data


def check_credentials(appid: str | None, secret: str | None) -> None:
    settings = state().settings
    if not appid:
        raise WxError(41002)
    if not secret:
        raise WxError(41004)
    if appid != settings.appid:
        raise WxError(40013)
    if secret != settings.secret:
        raise WxError(40125)


# ---- tokens ---------------------------------------------------------------------------------------


@endpoint("token", methods=("GET",), token=False)
def get_token():
    if request.args.get("grant_type") != "client_credential":
        raise WxError(40002, "invalid grant_type")
    check_credentials(request.args.get("appid"), request.args.get("secret"))
    token, expires_at = state().issue_token("plain")
    return {"access_token": token, "expires_in": round(expires_at - state().now())}


@endpoint("stable_token", token=False)
def stable_token():
    data = body()
    if data.get("grant_type") != "client_credential":
        raise WxError(40002, "invalid grant_type")
    check_credentials(data.get("appid"), data.get("secret"))
    now = state().now()
    current = state().newest_token("stable")
    if data.get("force_refresh"):
        recent = state().force_refreshes_today()
        if len(recent) >= 20:
            raise WxError(45009)
        if not (recent and now - max(recent) < 30):  # within 30 s it just does not refresh
            state().note_force_refresh()
            state().expire_tokens("stable")
            current = None
    if current is None or current["expires_at"] - now <= 300:
        token, expires_at = state().issue_token("stable")  # the old one stays valid until its own expiry
        return {"access_token": token, "expires_in": round(expires_at - now)}
    return {"access_token": current["token"], "expires_in": round(current["expires_at"] - now)}


# ---- media and material -----------------------------------------------------------------------------


def image_kind(data: bytes) -> str:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data.startswith(b"ID3") or data[:2] == b"\xff\xfb":
        return "mp3"
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "wav"
    if data.startswith(b"#!AMR"):
        return "amr"
    return ""


def uploaded_file() -> tuple[str, bytes]:
    upload = request.files.get("media")
    if upload is None:
        raise WxError(41005)
    data = upload.read()
    if not data:
        raise WxError(41005)
    return upload.filename or "upload", data


def mmbiz_url(media_id: str, kind: str) -> str:
    fmt = {"png": "png", "gif": "gif"}.get(kind, "jpeg")
    return f"http://mmbiz.qpic.cn/mmbiz_{'png' if fmt == 'png' else 'jpg'}/{media_id}/0?wx_fmt={fmt}"


@endpoint("media/uploadimg")
def uploadimg():
    name, data = uploaded_file()
    kind = image_kind(data)
    if kind not in ("jpeg", "png"):
        raise WxError(40005)
    if len(data) >= UPLOADIMG_MAX_BYTES:
        raise WxError(40009)
    _, url = state().add_media("uploadimg", name, f"image/{kind}", lambda mid: mmbiz_url(mid, kind), data)
    return {"url": url, "errcode": 0, "errmsg": "ok"}


@endpoint("material/add_material")
def add_material():
    kind = request.args.get("type", "")
    if kind not in MATERIAL_RULES:
        raise WxError(40004)
    name, data = uploaded_file()
    limit, accepted, size_error = MATERIAL_RULES[kind]
    if image_kind(data) not in accepted:
        raise WxError(40005)
    if len(data) > limit:
        raise WxError(size_error)
    fmt = image_kind(data)
    media_id, url = state().add_media(kind, name, f"image/{fmt}", lambda mid: mmbiz_url(mid, fmt), data)
    result = {"media_id": media_id, "item": []}
    if kind == "image":
        result["url"] = url
    return result


@endpoint("material/get_materialcount", methods=("GET",))
def get_materialcount():
    counts = state().media_counts()
    return {"voice_count": counts.get("voice", 0), "video_count": counts.get("video", 0),
            "image_count": counts.get("image", 0) + counts.get("thumb", 0), "news_count": 0}


@endpoint("material/batchget_material")
def batchget_material():
    data = body()
    kind, offset, count = data.get("type"), int(data.get("offset", 0)), int(data.get("count", 20))
    if kind not in ("image", "voice", "video", "news") or not 1 <= count <= 20:
        raise WxError(40004 if kind not in ("image", "voice", "video", "news") else 40002)
    total, rows = state().media_list(kind, offset, count)
    items = [{"media_id": r["media_id"], "name": r["name"], "update_time": int(r["created_at"]), "url": r["url"]}
             for r in rows]
    return {"total_count": total, "item_count": len(items), "item": items}


@endpoint("material/del_material")
def del_material():
    if not state().delete_media(str(body().get("media_id", ""))):
        raise WxError(40007)
    return {"errcode": 0, "errmsg": "ok"}


# ---- drafts -------------------------------------------------------------------------------------------


def checked_article(article: dict, single: bool) -> dict:
    """An article as WeChat stores it: limits enforced, content sanitised."""
    if not isinstance(article, dict):
        raise WxError(47001)
    title = str(article.get("title") or "")
    content = str(article.get("content") or "")
    if not title:
        raise WxError(44003)
    if len(title) > TITLE_MAX_CHARS:
        raise WxError(45003)
    if len(str(article.get("author") or "")) > AUTHOR_MAX_CHARS:
        raise WxError(45110)
    if len(str(article.get("digest") or "")) > DIGEST_MAX_CHARS:
        raise WxError(45004)
    if not content:
        raise WxError(44003)
    if len(content) >= CONTENT_MAX_CHARS or len(content.encode("utf-8")) >= CONTENT_MAX_BYTES:
        raise WxError(45002)
    if len(str(article.get("content_source_url") or "").encode()) > SOURCE_URL_MAX_BYTES:
        raise WxError(45005)
    thumb = str(article.get("thumb_media_id") or "")
    media = state().media(thumb) if thumb else None
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
        "show_cover_pic": 0,
    }


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
    media_id = state().add_draft(stored)
    return {"media_id": media_id, "item": [{"index": i, "ad_count": 0} for i in range(len(stored))]}


def existing_draft(data: dict) -> dict:
    draft = state().draft(str(data.get("media_id", "")))
    if draft is None:
        raise WxError(40007)
    return draft


@endpoint("draft/get")
def draft_get():
    draft = existing_draft(body())
    url = page_url(f"/sandbox/drafts/{draft['media_id']}")
    return {"news_item": [{**a, "url": url} for a in draft["articles"]]}


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
    if not state().delete_draft(str(body().get("media_id", ""))):
        raise WxError(40007)
    return {"errcode": 0, "errmsg": "ok"}


@endpoint("draft/count", methods=("GET",))
def draft_count():
    return {"total_count": state().drafts(0, 1)[0]}


@endpoint("draft/batchget")
def draft_batchget():
    data = body()
    offset, count, no_content = int(data.get("offset", 0)), int(data.get("count", 20)), bool(data.get("no_content"))
    if not 1 <= count <= 20 or offset < 0:
        raise WxError(40002)
    total, drafts = state().drafts(offset, count)
    items = []
    for draft in drafts:
        news = [{k: v for k, v in a.items() if not (no_content and k == "content")} for a in draft["articles"]]
        items.append({"media_id": draft["media_id"], "content": {"news_item": news},
                      "update_time": int(draft["updated_at"])})
    return {"total_count": total, "item_count": len(items), "item": items}


# ---- publishing ---------------------------------------------------------------------------------------


def require_verified() -> None:
    if not state().settings.verified:
        raise WxError(48001)


@endpoint("freepublish/submit")
def freepublish_submit():
    require_verified()
    draft = existing_draft(body())
    publish_id = state().start_publish(draft)
    app = current_app._get_current_object()
    base = state().settings.public_url or request.host_url.rstrip("/")
    threading.Thread(target=_finish_later, args=(app, publish_id, base), daemon=True).start()
    return {"errcode": 0, "errmsg": "ok", "publish_id": str(publish_id), "msg_data_id": publish_id}


def _finish_later(app, publish_id: int, base: str) -> None:
    from wechat_pub.sandbox.events import finish_publish

    time.sleep(app.extensions["wechat_pub.sandbox"].settings.publish_delay)
    with app.app_context():
        finish_publish(app.extensions["wechat_pub.sandbox"], publish_id, base)


@endpoint("freepublish/get")
def freepublish_get():
    require_verified()
    job = state().publish(int(re.sub(r"\D", "", str(body().get("publish_id", ""))) or 0))
    if job is None:
        raise WxError(40002)
    result = {"publish_id": str(job["publish_id"]), "publish_status": job["status"], "fail_idx": []}
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
    job = state().publish_by_article(str(body().get("article_id", "")))
    if job is None:
        raise WxError(53600)
    return {"news_item": _published_items(job)}


@endpoint("freepublish/batchget")
def freepublish_batchget():
    require_verified()
    data = body()
    offset, count, no_content = int(data.get("offset", 0)), int(data.get("count", 20)), bool(data.get("no_content"))
    if not 1 <= count <= 20:
        raise WxError(40002)
    total, jobs = state().published(offset, count)
    items = [{"article_id": job["article_id"], "update_time": int(job["finished_at"] or 0),
              "content": {"news_item": [{k: v for k, v in a.items() if not (no_content and k == "content")}
                                        for a in _published_items(job)]}} for job in jobs]
    return {"total_count": total, "item_count": len(items), "item": items}


@endpoint("freepublish/delete")
def freepublish_delete():
    require_verified()
    data = body()
    job = state().publish_by_article(str(data.get("article_id", "")))
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
