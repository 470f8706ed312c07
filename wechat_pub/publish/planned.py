"""The images of a draft as a push would send them, without pushing: for ``wechat-pub render`` (what is pushed)
and the preview's fallbacks. An image the account already uploaded (the upload cache, by the sha256 of its bytes,
as the push keys it) shows its WeChat CDN address; any other shows a stable placeholder that names the file
relative to the article (``wechat-pub-upload:images/fines-2020.png``), never a path of this machine."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field

from wechat_pub import model as m
from wechat_pub.render.options import RenderOptions
from wechat_pub.render.rules import ImageRef
from wechat_pub.source.images import ImageFile, image_folders, open_image

PLACEHOLDER = "wechat-pub-upload:"


@dataclass
class PlannedImages:
    """The address each image of the issue would have in the draft, and how many a push would still upload."""

    refs: dict[str, ImageRef] = field(default_factory=dict)  # by Image.src (and the QR code's path)
    to_upload: int = 0


def placeholder(file: str, article_path: str | None) -> ImageRef:
    """The stand-in for an image not uploaded yet: its file relative to the article's folder (a web address
    as it is), so the text can leave this machine without telling its folders."""
    if "://" in file:
        return ImageRef(PLACEHOLDER + file)
    base = os.path.dirname(os.path.abspath(article_path)) if article_path else os.getcwd()
    return ImageRef(PLACEHOLDER + os.path.relpath(os.path.abspath(file), base).replace(os.sep, "/"))


def planned_images(issue: m.Issue, options: RenderOptions, uploads) -> PlannedImages:
    """Each body image and the footer's QR code as the push would place them. ``uploads``: the account's
    :class:`~wechat_pub.state.uploads.UploadCache`. Nothing is uploaded or downloaded."""
    planned = PlannedImages()
    allowed = image_folders(issue.path, options.image_folders)
    images = [(node, allowed) for item in issue.items for body in (item.body_zh, item.body_en)
              for node in m.walk_inlines(body) if isinstance(node, m.Image)]
    qr_code = options.publisher.qr_code
    if qr_code:
        images.append((m.Image(qr_code, "QR code", qr_code), image_folders(qr_code)))
    for image, folders in images:
        if image.src not in planned.refs:
            planned.refs[image.src] = _planned(image, folders, issue.path, uploads, planned)
    return planned


def _planned(image: m.Image, folders: tuple[str, ...], article_path: str | None, uploads,
             planned: PlannedImages) -> ImageRef:
    if image.path:
        opened = open_image(image.path, image.src, folders)
        if not isinstance(opened, ImageFile):
            return placeholder(image.path, article_path)  # a push refuses it (check says why): nothing to upload
        cached = uploads.get(hashlib.sha256(opened.data).hexdigest(), "uploadimg")
        if cached:
            return ImageRef(cached.url, cached.width)
    planned.to_upload += 1  # (a web image may be in the cache already: that is known only once downloaded)
    return placeholder(image.path or image.src, article_path)
