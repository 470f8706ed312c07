"""The images of a push: the body images and the footer's QR code (``media/uploadimg``) and the cover
(permanent material: the front matter's, else the first body image, else one drawn from the titles). Each is
uploaded once per account, by content (the upload cache); a cover whose upload was not recorded is found among
the account's newest material instead of being sent twice. :meth:`ImageUploader.upload` returns what it used."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Callable

from wechat_pub import model as m
from wechat_pub.crash import crash_point
from wechat_pub.errors import ConfigError
from wechat_pub.render.options import RenderOptions
from wechat_pub.render.rules import ImageRef
from wechat_pub.source.images import image_folders
from wechat_pub.state.uploads import UploadCache

COVER_MAX_BYTES = 1024 * 1024 - 1  # far under add_material's 10 MB; a cover never needs more


@dataclass
class Uploaded:
    """What a push's articles are made with: each image's address by its ``src``, the cover's fields of the
    draft, where the cover came from and its address, and how many files were sent or found in the cache."""

    images: dict[str, ImageRef] = field(default_factory=dict)
    cover: dict = field(default_factory=dict)
    cover_source: str = ""
    cover_url: str = ""
    uploaded: int = 0
    cached: int = 0


class ImageUploader:
    """The image uploads of one account: its API client and upload cache."""

    def __init__(self, api, uploads: UploadCache, options: RenderOptions, brand: str = "",
                 progress: Callable[[str], None] | None = None):
        self.api = api
        self.uploads = uploads
        self.options = options
        self.brand = brand
        self.progress = progress or (lambda message: None)

    def upload(self, issue: m.Issue) -> Uploaded:
        done = Uploaded()
        done.images = self.body_images(issue, done)
        done.cover = self.cover(issue, done)
        return done

    def body_images(self, issue: m.Issue, done: Uploaded) -> dict[str, ImageRef]:
        """The body images and the footer's QR code, each uploaded once (by content) for this account."""
        refs: dict[str, ImageRef] = {}
        qr_code = self.options.publisher.qr_code
        if qr_code and not os.path.isfile(qr_code):
            raise ConfigError(f"publisher.qr_code: {qr_code} does not exist.",
                              "Set publisher.qr_code in config.toml to the account's QR code image (relative to "
                              "config.toml), or empty it to print the footer without one.")
        allowed = image_folders(issue.path, self.options.image_folders)
        extra = [(m.Image(qr_code, "QR code", qr_code), image_folders(qr_code))] if qr_code else []
        for image, folders in [(image, allowed) for image in body_images(issue)] + extra:
            if image.src not in refs:
                refs[image.src] = self.body_image(image, folders, done)
        return refs

    def body_image(self, image: m.Image, folders: tuple[str, ...], done: Uploaded) -> ImageRef:
        """``folders``: where the image may be read from (:func:`~wechat_pub.source.images.image_folders`)."""
        from wechat_pub.publish.images import prepare, read_image_bytes  # Pillow and requests: for images only

        data = read_image_bytes(image.path, image.src, folders)
        key = hashlib.sha256(data).hexdigest()
        cached = self.uploads.get(key, "uploadimg")
        if cached:
            done.cached += 1
            return ImageRef(cached.url, cached.width)
        prepared = prepare(data, image.src)
        self.progress(f"uploading image {image.src} ({len(prepared.data) // 1024} KB)")
        url = self.api.media.uploadimg(prepared.name, prepared.data, prepared.mime)
        self.uploads.put(key, "uploadimg", url=url, width=prepared.width)
        done.uploaded += 1
        crash_point("upload")
        return ImageRef(url, prepared.width)

    def cover(self, issue: m.Issue, done: Uploaded) -> dict:
        """The front-matter cover, else the first body image, else a generated one; permanent material."""
        from wechat_pub.publish.images import read_image_bytes

        allowed = image_folders(issue.path, self.options.image_folders)
        if issue.cover:
            local = None if issue.cover.startswith("http") else issue.cover
            source, data = "front matter", read_image_bytes(local, issue.cover, allowed)
        elif body := next(iter(body_images(issue)), None):
            source, data = f"first image ({body.src})", read_image_bytes(body.path, body.src, allowed)
        else:
            return self.generated_cover(issue, done)
        done.cover_source = source
        media_id, done.cover_url = self.cover_material(data, source, done)
        return {"thumb_media_id": media_id}

    def generated_cover(self, issue: m.Issue, done: Uploaded) -> dict:
        """A cover drawn from the issue's titles; drawn and uploaded once for the same titles, brand and colour."""
        from wechat_pub.publish.cover import CROP_1_1, CROP_235_1, cover_key, generate_cover

        done.cover_source = "generated (900×383)"
        key = cover_key(issue, self.brand, self.options.theme.accent)
        cached = self.uploads.get(key, "generated")  # (by what it is drawn from, not by its bytes)
        if cached:
            done.cached += 1
            media_id, done.cover_url = cached.media_id, cached.url
        else:
            drawn = generate_cover(issue, self.brand, self.options.theme.accent).data
            media_id, done.cover_url = self.cover_material(drawn, done.cover_source, done)
            self.uploads.put(key, "generated", url=done.cover_url, media_id=media_id, width=900)
        return {"thumb_media_id": media_id, "pic_crop_235_1": CROP_235_1, "pic_crop_1_1": CROP_1_1}

    def cover_material(self, data: bytes, source: str, done: Uploaded) -> tuple[str, str]:
        """(media_id, url) of the cover as permanent material, uploaded once per content."""
        from wechat_pub.publish.images import prepare

        key = hashlib.sha256(data).hexdigest()
        cached = self.uploads.get(key, "material")
        if cached:
            done.cached += 1
            return cached.media_id, cached.url
        prepared = prepare(data, source, max_bytes=COVER_MAX_BYTES, allow_png=False)
        found = self.find_material(prepared.name)  # uploaded by a run that died before recording it
        if found is None:
            self.progress(f"uploading cover ({source})")
            found = self.api.material.add_material("image", prepared.name, prepared.data, prepared.mime)
            done.uploaded += 1
        media_id, url = found["media_id"], found.get("url", "")
        self.uploads.put(key, "material", url=url, media_id=media_id, width=prepared.width)
        crash_point("upload")
        return media_id, url

    def find_material(self, name: str) -> dict | None:
        offset = 0
        for _ in range(5):  # the newest 100 images: a lost upload is recent
            page = self.api.material.batchget_material("image", offset, 20)
            for item in page.get("item", []):
                if item.get("name") == name:
                    return item
            offset += 20
            if offset >= page.get("total_count", 0):
                return None
        return None


def body_images(issue: m.Issue) -> list[m.Image]:
    return [node for item in issue.items for body in (item.body_zh, item.body_en)
            for node in m.walk_inlines(body) if isinstance(node, m.Image)]
