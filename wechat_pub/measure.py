"""``wechat-pub doctor --limits``: measure how long a title, author and digest this account really takes, since
the documented limits (characters) and the reported ones (bytes) disagree (reference/wechat-api.md §11).

Each field is bisected with throwaway drafts of one article: Chinese characters first (3 bytes each), then, if
the limit found is under the documented one, ASCII beside it, which tells characters from bytes. A draft WeChat
takes is deleted at once; a refused one (45003/45110/45004) was never made. Only drafts made here are deleted,
never another. About a dozen draft/add calls per field, well inside its 1000 a day."""

from __future__ import annotations

import io
from typing import Callable

from wechat_pub.limits import DOCUMENTED, FIELD_ERRORS, FIELDS, FieldLimit
from wechat_pub.wechat.errors import WeChatAPIError

CONTENT = "<p>wechat-pub doctor --limits: a throwaway draft, deleted at once.</p>"
TITLE = "wechat-pub limits"


def measure_limits(api, say: Callable[[str], None] = lambda text: None) -> dict[str, FieldLimit]:
    """The account's title, author and digest limits; one permanent image is uploaded as the drafts' cover, and
    deleted at the end."""
    thumb = api.material.add_material("image", "wechat-pub-limits.png", _tiny_png(), "image/png")["media_id"]
    try:
        limits = {}
        for name in FIELDS:
            limits[name] = measure_field(api, name, thumb)
            say(f"{name}: {limits[name].describe()}")
        return limits
    finally:
        api.material.del_material(thumb)


def measure_field(api, name: str, thumb: str) -> FieldLimit:
    documented = DOCUMENTED[name].chars
    lowest = 1 if name == "title" else 0  # a draft needs a title
    chinese = largest(lambda n: accepts(api, name, "字" * n, thumb), lowest, documented)
    if chinese == documented:
        return FieldLimit(chars=documented)  # nothing stricter than the documentation
    if not accepts(api, name, "a" * (chinese + 1), thumb):
        return FieldLimit(chars=chinese)  # as many letters as Chinese characters: counted in characters
    # more letters than Chinese characters: counted in bytes, between 3 per character and the next character
    size = largest(lambda n: accepts(api, name, "a" * n, thumb), 3 * chinese, 3 * chinese + 2)
    return FieldLimit(bytes=size)


def largest(accepted: Callable[[int], bool], low: int, high: int) -> int:
    """The largest n in [low, high] that is accepted (low is taken to be), by bisection; high is tried first."""
    if accepted(high):
        return high
    high -= 1
    while low < high:
        middle = (low + high + 1) // 2
        if accepted(middle):
            low = middle
        else:
            high = middle - 1
    return low


def accepts(api, name: str, text: str, thumb: str) -> bool:
    """Whether WeChat takes a draft with this value of the field (the draft is deleted at once)."""
    article = {"title": TITLE, "author": "", "digest": "", "content": CONTENT, "thumb_media_id": thumb,
               name: text}
    try:
        media_id = api.draft.add([article])
    except WeChatAPIError as exc:
        if exc.errcode == FIELD_ERRORS[name]:
            return False
        raise
    api.draft.delete(media_id)
    return True


def _tiny_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 200, 200)).save(buffer, "PNG")
    return buffer.getvalue()
