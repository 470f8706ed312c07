"""WeChat's limits on draft articles and uploads (reference/wechat-api.md §2, §3.1, §11), in one place
so the preflight, the renderer's splitter, ``doctor --limits`` and the sandbox all use the same numbers.

The short fields (title, author, digest) have two sets of limits that disagree: the documented ones, in
characters (32/16/128 "字"), and the ones people report from real accounts in 2025–26, which look like UTF-8
byte counts (45003 for Chinese titles of 22–28 characters, 45110 for authors of 3–7). Neither is confirmed:
``wechat-pub doctor --limits`` measures the account's own, and once measured those are the ones that count."""

from __future__ import annotations

from dataclasses import dataclass

TITLE_MAX_CHARS = 32
AUTHOR_MAX_CHARS = 16
DIGEST_MAX_CHARS = 128
# "必须少于2万字符，小于1M": strictly under both. Whether markup counts is undocumented, so we
# count the whole HTML (the stricter reading); an article that passes can never get 45002.
CONTENT_MAX_CHARS = 20_000
CONTENT_MAX_BYTES = 1024 * 1024
SOURCE_URL_MAX_BYTES = 1024
MAX_ARTICLES = 8
UPLOADIMG_MAX_BYTES = 1024 * 1024  # media/uploadimg: jpg/png, under 1 MB
MATERIAL_IMAGE_MAX_BYTES = 10 * 1024 * 1024  # material/add_material type=image

FIELDS = ("title", "author", "digest")
FIELD_ERRORS = {"title": 45003, "author": 45110, "digest": 45004}  # what WeChat answers when one is too long
FRONT_MATTER_KEYS = {"title": "wechat_title", "author": "author", "digest": "digest"}


@dataclass(frozen=True)
class FieldLimit:
    """At most ``chars`` characters and ``bytes`` UTF-8 bytes; None: not limited in that unit."""

    chars: int | None = None
    bytes: int | None = None

    def fits(self, text: str) -> bool:
        return ((self.chars is None or len(text) <= self.chars)
                and (self.bytes is None or len(text.encode("utf-8")) <= self.bytes))

    def describe(self) -> str:
        parts = [f"{self.chars} characters" if self.chars is not None else "",
                 f"{self.bytes} bytes (UTF-8; a Chinese character is 3)" if self.bytes is not None else ""]
        return " and ".join(part for part in parts if part) or "no limit"

    def as_dict(self) -> dict:
        return {"chars": self.chars, "bytes": self.bytes}


DOCUMENTED = {"title": FieldLimit(chars=TITLE_MAX_CHARS), "author": FieldLimit(chars=AUTHOR_MAX_CHARS),
              "digest": FieldLimit(chars=DIGEST_MAX_CHARS)}
# From reports, UNCONFIRMED; the digest has none, so its documented limit stands.
REPORTED = {"title": FieldLimit(bytes=64), "author": FieldLimit(bytes=20), "digest": FieldLimit(chars=DIGEST_MAX_CHARS)}


def measured_from(data: dict) -> dict[str, FieldLimit]:
    """Limits as ``doctor --limits`` stored them ({"title": {"chars": …, "bytes": …}, …}); anything else is
    ignored (a stored value is input like any other)."""
    limits = {}
    for name in FIELDS:
        entry = data.get(name) if isinstance(data, dict) else None
        if not isinstance(entry, dict):
            continue
        chars, size = entry.get("chars"), entry.get("bytes")
        if all(value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)
               for value in (chars, size)):
            limits[name] = FieldLimit(chars, size)
    return limits


def length_of(text: str) -> str:
    """'7 characters, 21 bytes': both units, as WeChat may count either."""
    return f"{len(text)} characters, {len(text.encode('utf-8'))} bytes"


def content_fits(html: str, slack: int = 0) -> bool:
    """Whether an article's HTML is strictly under both limits, with ``slack`` characters to spare."""
    if len(html) + slack >= CONTENT_MAX_CHARS:
        return False
    # A character is at most 4 bytes of UTF-8: the bytes are counted only when that bound does not settle it (with
    # today's limits it always does; encoding a whole article to count them took 11 µs of each render).
    return 4 * len(html) + slack < CONTENT_MAX_BYTES or len(html.encode("utf-8")) + slack < CONTENT_MAX_BYTES

MAX_ISSUE_NUMBER = 999_999  # ours, not WeChat's: beyond any newsletter, within every database's integer
