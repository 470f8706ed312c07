"""The push pipeline: render -> upload body images -> cover -> draft/add or draft/update -> (publish).

Exactly once, and durable: every step is recorded in the state store as soon as it happens, so a
rerun after a crash continues where the last one stopped. Uploads are cached by content hash per
app id (an unchanged image is never sent twice). A draft carries a marker; when the answer to
draft/add was lost (crash, timeout, busy), the next run finds the draft by its marker instead of
adding a second one.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from wechat_pub import model as m
from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.crash import crash_point
from wechat_pub.errors import ConfigError, ExitStatus, WechatPubError
from wechat_pub.publish.outcome import PushOutcome
from wechat_pub.publish.readback import differences, edited_in_wechat, wechat_digest
from wechat_pub.render.options import RenderOptions
from wechat_pub.render.rules import ImageRef
from wechat_pub.render.split import render_issue
from wechat_pub.source.images import image_folders
from wechat_pub.state.pushes import PushLedger, PushRecord
from wechat_pub.state.uploads import UploadCache
from wechat_pub.urls import safe_links
from wechat_pub.wechat import WeChatAPI
from wechat_pub.wechat.errors import NetworkError, WeChatAPIError

COVER_MAX_BYTES = 1024 * 1024 - 1  # far under add_material's 10 MB; a cover never needs more
MAX_DRAFT_PAGES = 50  # draft/batchget pages (20 each) searched for a draft whose answer was lost


class PushError(WechatPubError):
    exit_status = ExitStatus.ERROR


class DraftEditedInWeChat(PushError):
    """The draft was changed in WeChat's editor since the last push: pushing would overwrite that work."""


class Pusher:
    """Pushes issues of one account: its API client, push ledger and upload cache (from its Site)."""

    def __init__(self, api: WeChatAPI, ledger: PushLedger, uploads: UploadCache, options: RenderOptions,
                 brand: str = "", progress: Callable[[str], None] | None = None, poll_seconds: float = 20.0,
                 clock: Clock = SYSTEM_CLOCK, keep_dir: Path | None = None):
        """``keep_dir``: where a draft edited in WeChat is saved before ``push(force=True)`` replaces it."""
        self.api = api
        self.keep_dir = keep_dir
        self.ledger = ledger
        self.uploads = uploads
        self.appid = api.appid
        self.options = options
        self.brand = brand
        self.progress = progress or (lambda message: None)
        self.poll_seconds = poll_seconds
        self.clock = clock

    # ---- the pipeline -------------------------------------------------------------------------------

    def push(self, issue: m.Issue, publish: bool = False, force: bool = False) -> PushOutcome:
        """``force``: replace a draft even when it was edited in WeChat since the last push (its version is
        kept under ``keep_dir`` first)."""
        outcome = PushOutcome(issue.number, "", "", 0)
        articles: list[dict] = []
        self.force = force
        try:
            images = self.upload_images(issue, outcome)
            cover = self.upload_cover(issue, images, outcome)
            articles = self.draft_articles(issue, images, cover)
            content_hash = digest(articles)
            self.save_draft(issue, articles, content_hash, outcome)
            if publish:
                self.publish(issue, outcome)
        except WechatPubError as exc:
            if isinstance(exc, WeChatAPIError) and exc.errcode == 45002:
                exc = too_long(exc, articles)
            self.record_failure(issue, exc)
            raise exc from None
        return outcome

    def draft_articles(self, issue: m.Issue, images: dict[str, ImageRef], cover: dict) -> list[dict]:
        result = render_issue(issue, replace(self.options, images=images))
        errors = [p for p in result.problems if p.severity == "error"]
        if errors:
            raise PushError(f"{issue.path} does not fit WeChat's limits:", "\n".join(str(p) for p in errors))
        return [{**article.payload(), **cover} for article in result.articles]

    # ---- images -------------------------------------------------------------------------------------

    def upload_images(self, issue: m.Issue, outcome: PushOutcome) -> dict[str, ImageRef]:
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
            if image.src in refs:
                continue
            refs[image.src] = self.upload_body_image(image, folders, outcome)
        return refs

    def upload_body_image(self, image: m.Image, folders: tuple[str, ...], outcome: PushOutcome) -> ImageRef:
        """``folders``: where the image may be read from (:func:`~wechat_pub.source.images.image_folders`)."""
        from wechat_pub.publish.images import prepare, read_image_bytes  # Pillow and requests: for images only

        data = read_image_bytes(image.path, image.src, folders)
        key = hashlib.sha256(data).hexdigest()
        cached = self.uploads.get(key, "uploadimg")
        if cached:
            outcome.cached += 1
            return ImageRef(cached.url, cached.width)
        prepared = prepare(data, image.src)
        self.progress(f"uploading image {image.src} ({len(prepared.data) // 1024} KB)")
        url = self.api.media.uploadimg(prepared.name, prepared.data, prepared.mime)
        self.uploads.put(key, "uploadimg", url=url, width=prepared.width)
        outcome.uploaded += 1
        crash_point("upload")
        return ImageRef(url, prepared.width)

    def upload_cover(self, issue: m.Issue, images: dict[str, ImageRef], outcome: PushOutcome) -> dict:
        """The front-matter cover, else the first body image, else a generated one; permanent material."""
        from wechat_pub.publish.images import read_image_bytes

        allowed = image_folders(issue.path, self.options.image_folders)
        if issue.cover:
            local = None if issue.cover.startswith("http") else issue.cover
            source, data = "front matter", read_image_bytes(local, issue.cover, allowed)
        elif body := next(iter(body_images(issue)), None):
            source, data = f"first image ({body.src})", read_image_bytes(body.path, body.src, allowed)
        else:
            return self.generated_cover(issue, outcome)
        outcome.cover = source
        media_id, url = self.cover_material(data, source, outcome)
        self.ledger.cover_uploaded(issue.number, issue.path, url)
        return {"thumb_media_id": media_id}

    def generated_cover(self, issue: m.Issue, outcome: PushOutcome) -> dict:
        """A cover drawn from the issue's titles; drawn and uploaded once for the same titles, brand and colour."""
        from wechat_pub.publish.cover import CROP_1_1, CROP_235_1, cover_key, generate_cover

        outcome.cover = "generated (900×383)"
        key = cover_key(issue, self.brand, self.options.theme.accent)
        cached = self.uploads.get(key, "generated")  # (by what it is drawn from, not by its bytes)
        if cached:
            outcome.cached += 1
            media_id, url = cached.media_id, cached.url
        else:
            media_id, url = self.cover_material(generate_cover(issue, self.brand, self.options.theme.accent).data,
                                                outcome.cover, outcome)
            self.uploads.put(key, "generated", url=url, media_id=media_id, width=900)
        self.ledger.cover_uploaded(issue.number, issue.path, url)
        return {"thumb_media_id": media_id, "pic_crop_235_1": CROP_235_1, "pic_crop_1_1": CROP_1_1}

    def cover_material(self, data: bytes, source: str, outcome: PushOutcome) -> tuple[str, str]:
        """(media_id, url) of the cover as permanent material, uploaded once per content."""
        from wechat_pub.publish.images import prepare

        key = hashlib.sha256(data).hexdigest()
        cached = self.uploads.get(key, "material")
        if cached:
            outcome.cached += 1
            return cached.media_id, cached.url
        prepared = prepare(data, source, max_bytes=COVER_MAX_BYTES, allow_png=False)
        found = self.find_material(prepared.name)  # uploaded by a run that died before recording it
        if found is None:
            self.progress(f"uploading cover ({source})")
            found = self.api.material.add_material("image", prepared.name, prepared.data, prepared.mime)
            outcome.uploaded += 1
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

    # ---- the draft ----------------------------------------------------------------------------------

    def save_draft(self, issue: m.Issue, articles: list[dict], content_hash: str, outcome: PushOutcome) -> None:
        record = self.recover_lost_add(issue, self.ledger.get(issue.number))
        outcome.articles = len(articles)
        if record and record.published and record.content_hash == content_hash:
            outcome.action, outcome.media_id = "published-already", record.draft_media_id
            outcome.article_urls = record.article_urls
            return
        if record and record.draft_media_id and not record.published:
            existing = self.existing_draft(record.draft_media_id)
            if existing is not None:
                self.change_draft(issue, record, existing, articles, content_hash, outcome)
                return
            outcome.notes.append(f"the old draft {record.draft_media_id} is gone (deleted or published in WeChat); "
                                 "a new draft was created")
            outcome.action = "recreated"
        elif record and record.published:
            outcome.notes.append("the issue was already published; the changed issue went into a new draft")
            outcome.action = "recreated"
        outcome.media_id = self.add_draft(issue, articles, content_hash, outcome)
        outcome.action = outcome.action or "created"

    def change_draft(self, issue: m.Issue, record: PushRecord, existing: list[dict], articles: list[dict],
                     content_hash: str, outcome: PushOutcome) -> None:
        outcome.media_id = record.draft_media_id
        edited = edited_in_wechat(record.wechat_hash, existing)
        if record.content_hash == content_hash:
            outcome.action = "unchanged"
            if edited:
                outcome.notes.append("the draft was edited in WeChat since the last push; the article file did not "
                                     "change, so nothing was sent")
            return
        if edited:
            self.keep_edited(issue, record, existing, outcome)
        if len(existing) == len(articles):
            marked = with_marker(articles, marker_for(self.appid, issue.number, content_hash))
            for index, article in enumerate(marked):
                self.api.draft.update(record.draft_media_id, index, article)
            self.ledger.draft_updated(issue.number, issue.path, content_hash)
            self.read_back(issue, record.draft_media_id, marked, outcome)
            outcome.action = "updated"
            return
        new_id = self.add_draft(issue, articles, content_hash, outcome)
        self.api.draft.delete(record.draft_media_id)  # after the new one exists: nothing is lost
        outcome.notes.append(f"the number of articles changed ({len(existing)} → {len(articles)}): draft "
                             f"{record.draft_media_id} was replaced by {new_id}")
        outcome.action, outcome.media_id = "replaced", new_id

    def keep_edited(self, issue: m.Issue, record: PushRecord, existing: list[dict], outcome: PushOutcome) -> None:
        """A draft edited in WeChat since our last push: stop, unless forced; forced, keep WeChat's version."""
        if not self.force or self.keep_dir is None:
            raise DraftEditedInWeChat(
                f"draft {record.draft_media_id} of issue {issue.number} was edited in WeChat since the last push; "
                "pushing would overwrite that work.",
                "Copy the edits into the article file and push again, or push with --force to replace it (WeChat's "
                "version is saved under state/wechat-drafts/ first).")
        self.keep_dir.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.clock.time()))
        kept = self.keep_dir / f"issue-{issue.number}-{stamp}.json"
        kept.write_text(json.dumps(existing, ensure_ascii=False, indent=2), encoding="utf-8")
        outcome.notes.append(f"the draft had been edited in WeChat; that version was saved as {kept} and replaced")

    def read_back(self, issue: m.Issue, media_id: str, sent: list[dict], outcome: PushOutcome) -> None:
        """What WeChat kept of what was just sent: its changes are reported and recorded, and its fingerprint
        kept, so the next push notices edits made in WeChat."""
        kept = self.api.draft.get(media_id)
        outcome.wechat_changes = differences(sent, kept) if wechat_digest(sent) != wechat_digest(kept) else []
        self.ledger.draft_read_back(issue.number, wechat_digest(kept), "; ".join(outcome.wechat_changes))

    def add_draft(self, issue: m.Issue, articles: list[dict], content_hash: str, outcome: PushOutcome) -> str:
        marker = marker_for(self.appid, issue.number, content_hash)
        self.ledger.adding_draft(issue.number, issue.path, marker, content_hash)
        crash_point("before-draft-add")
        marked = with_marker(articles, marker)
        try:
            media_id = self.api.draft.add(marked)
        except (NetworkError, WeChatAPIError) as exc:
            if isinstance(exc, WeChatAPIError) and exc.errcode != -1:
                raise
            media_id = self.find_draft(marker)  # the answer was lost; the draft may exist anyway
            if media_id is None:
                raise
        crash_point("after-draft-add")
        self.ledger.draft_added(issue.number, issue.path, media_id, content_hash, len(articles))
        self.read_back(issue, media_id, marked, outcome)
        return media_id

    def recover_lost_add(self, issue: m.Issue, record: PushRecord | None) -> PushRecord | None:
        """A draft/add whose answer was never recorded: adopt the draft if WeChat has it."""
        if record is None or not record.marker:
            return record
        found = self.find_draft(record.marker)
        if found:
            self.progress(f"found draft {found} from an interrupted push")
            self.ledger.draft_recovered(issue.number, found)
        else:
            self.ledger.add_abandoned(issue.number)
        return self.ledger.get(issue.number)

    def existing_draft(self, media_id: str) -> list[dict] | None:
        try:
            return self.api.draft.get(media_id)
        except WeChatAPIError as exc:
            if exc.errcode == 40007:
                return None
            raise

    def find_draft(self, marker: str) -> str | None:
        needle = f'data-wechat-pub="{marker}"'
        offset = 0
        for _ in range(MAX_DRAFT_PAGES):
            page = self.api.draft.batchget(offset, 20)
            for item in page.get("item", []):
                if any(needle in a.get("content", "") for a in item["content"]["news_item"]):
                    return item["media_id"]
            offset += 20
            if offset >= page.get("total_count", 0):
                return None
        return None

    # ---- publishing ---------------------------------------------------------------------------------

    def publish(self, issue: m.Issue, outcome: PushOutcome) -> None:
        record = self.ledger.get(issue.number)
        if record.published:
            outcome.publish_id, outcome.article_urls = record.publish_id, record.article_urls
            return
        self.progress(f"publishing draft {record.draft_media_id}")
        crash_point("before-submit")
        publish_id = self.api.freepublish.submit(record.draft_media_id)
        self.ledger.publishing(issue.number, publish_id)
        outcome.publish_id = publish_id
        outcome.article_urls = self.wait_for_publish(issue, publish_id)

    def wait_for_publish(self, issue: m.Issue, publish_id: str) -> list[str]:
        """Poll sparingly (freepublish/get allows 100 calls a day); the webhook's PUBLISHJOBFINISH also
        records the result when polling gives up first."""
        deadline = self.clock.monotonic() + self.poll_seconds
        delay = 1.0
        while self.clock.monotonic() < deadline:
            self.clock.sleep(delay)
            status = self.api.freepublish.get(publish_id)
            if status.get("publish_status") == 0:
                items = status.get("article_detail", {}).get("item", [])
                urls = safe_links([item.get("article_url", "") for item in items])  # shown as links: web only
                self.ledger.published(issue.number, urls, how="freepublish/get")
                return urls
            if status.get("publish_status", 1) >= 2:
                raise PushError(f"WeChat did not publish issue {issue.number} (publish_status "
                                f"{status['publish_status']}, failed articles {status.get('fail_idx')}).",
                                "Open the draft in mp.weixin.qq.com to see why; the draft is kept.")
            delay = min(delay * 2, 8.0)
        return []

    def record_failure(self, issue: m.Issue, exc: WechatPubError) -> None:
        self.ledger.failed(issue.number, issue.path, exc.message, exc.hint)


def too_long(exc: WeChatAPIError, articles: list[dict]) -> WeChatAPIError:
    """45002 names no article: say which one is the longest, and by how much."""
    if not articles:
        return exc
    index, longest = max(enumerate(articles, start=1), key=lambda pair: len(pair[1]["content"]))
    size = len(longest["content"])
    return WeChatAPIError(exc.errcode, exc.errmsg, exc.endpoint,
                          f"article {index} of {len(articles)}, {longest['title']!r}, has {size:,} characters "
                          f"and {len(longest['content'].encode()):,} bytes")


def body_images(issue: m.Issue) -> list[m.Image]:
    return [node for item in issue.items for body in (item.body_zh, item.body_en)
            for node in m.walk_inlines(body) if isinstance(node, m.Image)]


def digest(articles: list[dict]) -> str:
    return hashlib.sha256(json.dumps(articles, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def marker_for(appid: str, issue: int, content_hash: str) -> str:
    return f"{appid}:{issue}:{content_hash[:16]}"


def with_marker(articles: list[dict], marker: str) -> list[dict]:
    """Tag each article's root element with the push marker (a data- attribute WeChat keeps)."""
    return [{**a, "content": a["content"].replace("<section ", f'<section data-wechat-pub="{marker}" ', 1)}
            for a in articles]
