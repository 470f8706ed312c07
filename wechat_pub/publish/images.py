"""Images made acceptable to WeChat: body images as JPEG/PNG under 1 MB (media/uploadimg), covers as
JPEG (material/add_material). Re-encoding only happens when the original is not acceptable as is."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from wechat_pub.errors import WechatPubError
from wechat_pub.limits import UPLOADIMG_MAX_BYTES
from wechat_pub.publish.webimages import NotDownloadable, download_image


class ImageError(WechatPubError):
    """An image cannot be read or made acceptable."""


@dataclass(frozen=True)
class PreparedImage:
    data: bytes
    mime: str
    extension: str
    width: int
    height: int
    source_sha256: str  # of the original bytes: the upload cache key

    @property
    def name(self) -> str:
        return f"wp-{self.source_sha256[:20]}.{self.extension}"


def read_image_bytes(path: str | None, src: str, folders: tuple[str, ...] = (), timeout: float = 20) -> bytes:
    """The bytes of a local image (read through :func:`~wechat_pub.source.images.open_image`: only from
    ``folders``), or of a remote one (downloaded once, at push time); either a JPEG, PNG or GIF."""
    from wechat_pub.source.images import ImageFile, image_kind, not_an_image, open_image

    if path:
        opened = open_image(path, src, folders)
        if not isinstance(opened, ImageFile):
            raise ImageError(opened.message[:1].upper() + opened.message[1:], opened.hint)
        return opened.data
    if not re.match(r"^https?://", src):
        raise ImageError(f"Image {src!r} is neither a file nor a web address.")
    try:
        data = download_image(src, timeout)
    except NotDownloadable:  # one message whatever the cause: it must not map the server's network
        raise ImageError(f"Image {src} cannot be downloaded from a public web address.",
                         "Save the image next to the article and link the file instead.") from None
    if not data:
        raise ImageError(f"Image {src!r} is empty.", "Save the image again.")
    if image_kind(data) is None:
        problem = not_an_image(src)
        raise ImageError(problem.message[:1].upper() + problem.message[1:], problem.hint)
    return data


def prepare(data: bytes, src: str, max_bytes: int = UPLOADIMG_MAX_BYTES - 1, allow_png: bool = True) -> PreparedImage:
    """JPEG (or PNG) under ``max_bytes``: kept as is when it already is, else re-encoded and, if needed,
    scaled down step by step."""
    sha = hashlib.sha256(data).hexdigest()
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ImageError(f"Image {src!r} cannot be read ({exc}).", "Save it again as JPEG or PNG.") from None
    kind = image.format
    if kind == "JPEG" or (allow_png and kind == "PNG"):
        if len(data) <= max_bytes:
            return PreparedImage(data, f"image/{kind.lower()}", "jpg" if kind == "JPEG" else "png",
                                 image.width, image.height, sha)
    image = ImageOps.exif_transpose(image)
    if allow_png and _has_transparency(image):
        encoded = _shrink(image.convert("RGBA"), "PNG", max_bytes)
        return PreparedImage(encoded[0], "image/png", "png", encoded[1], encoded[2], sha)
    flat = _flatten(image)
    encoded = _shrink(flat, "JPEG", max_bytes)
    return PreparedImage(encoded[0], "image/jpeg", "jpg", encoded[1], encoded[2], sha)


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent parts onto white: a transparent diagram turns black on WeChat's dark page."""
    if image.mode in ("RGBA", "LA", "P"):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "#ffffff")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _shrink(image: Image.Image, kind: str, max_bytes: int) -> tuple[bytes, int, int]:
    current = image
    for _ in range(12):
        for quality in ((88, 80, 70) if kind == "JPEG" else (None,)):
            buffer = io.BytesIO()
            options = {"quality": quality, "optimize": True, "progressive": True} if kind == "JPEG" else \
                {"optimize": True}
            current.save(buffer, kind, **options)
            if buffer.tell() <= max_bytes:
                return buffer.getvalue(), current.width, current.height
        current = current.resize((max(1, int(current.width * 0.8)), max(1, int(current.height * 0.8))),
                                 Image.LANCZOS)
    raise ImageError("An image could not be made small enough for WeChat.", "Export it smaller by hand.")
