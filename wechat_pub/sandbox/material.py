"""Images: ``media/uploadimg`` (inside articles) and permanent ``material/*`` (covers), with WeChat's types and
size limits."""

from __future__ import annotations

from flask import request

from wechat_pub.limits import MATERIAL_IMAGE_MAX_BYTES, UPLOADIMG_MAX_BYTES
from wechat_pub.sandbox.api import WxError, body, caller, endpoint, state

MATERIAL_RULES = {  # type -> (max bytes, accepted kinds, error code for size)
    "image": (MATERIAL_IMAGE_MAX_BYTES, {"jpeg", "png", "gif", "bmp"}, 40006),
    "thumb": (64 * 1024, {"jpeg"}, 40012),
    "voice": (2 * 1024 * 1024, {"mp3", "amr", "wav", "wma"}, 40006),
    "video": (10 * 1024 * 1024, {"mp4"}, 40006),
}


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


IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".bmp")


def uploaded_file(image: bool = True) -> tuple[str, bytes]:
    """The multipart ``media`` file. WeChat judges an image by its file name too: one without an image
    extension is refused with 40113 whatever its bytes (recorded, reference/wechat-api.md §11)."""
    upload = request.files.get("media")
    if upload is None:
        raise WxError(41005)
    data = upload.read()
    if not data:
        raise WxError(41005)
    name = upload.filename or ""
    if image and not name.lower().endswith(IMAGE_EXTENSIONS):
        raise WxError(40113, "unsupported file type")
    return name, data


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
    _, url = state().add_media(caller(), "uploadimg", name, f"image/{kind}", lambda mid: mmbiz_url(mid, kind),
                               data)
    return {"url": url}  # no errcode: as recorded (the docs' example shows one)


@endpoint("material/add_material")
def add_material():
    kind = request.args.get("type", "")
    if kind not in MATERIAL_RULES:
        raise WxError(40004)
    name, data = uploaded_file(image=kind in ("image", "thumb"))
    limit, accepted, size_error = MATERIAL_RULES[kind]
    if image_kind(data) not in accepted:
        raise WxError(40005)
    if len(data) > limit:
        raise WxError(size_error)
    fmt = image_kind(data)
    media_id, url = state().add_media(caller(), kind, name, f"image/{fmt}", lambda mid: mmbiz_url(mid, fmt), data)
    result = {"media_id": media_id, "item": []}
    if kind == "image":
        result["url"] = url
    return result


@endpoint("material/get_materialcount", methods=("GET",))
def get_materialcount():
    counts = state().media_counts(caller())
    return {"voice_count": counts.get("voice", 0), "video_count": counts.get("video", 0),
            "image_count": counts.get("image", 0) + counts.get("thumb", 0), "news_count": 0}


@endpoint("material/batchget_material")
def batchget_material():
    data = body()
    kind, offset, count = data.get("type"), int(data.get("offset", 0)), int(data.get("count", 20))
    if kind not in ("image", "voice", "video", "news") or not 1 <= count <= 20:
        raise WxError(40004 if kind not in ("image", "voice", "video", "news") else 40002)
    total, rows = state().media_list(caller(), kind, offset, count)
    items = [{"media_id": r["media_id"], "name": r["name"], "update_time": int(r["created_at"]), "url": r["url"]}
             for r in rows]
    return {"total_count": total, "item_count": len(items), "item": items}


@endpoint("material/del_material")
def del_material():
    if not state().delete_media(caller(), str(body().get("media_id", ""))):
        raise WxError(40007)
    return {"errcode": 0, "errmsg": "ok"}


