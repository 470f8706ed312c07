"""What WeChat does to draft content on the way in: JS removed, images not from its own uploads
dropped ("外部图片url将被过滤"). The rest of its (undocumented) filtering is not emulated."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

_OWN_IMAGE = re.compile(r"^https?://mmbiz\.qpic\.cn/mmbiz_(jpg|png)/([A-Za-z0-9_-]+)/")


def clean_content(html: str, state) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(["script", "noscript"]):
        tag.decompose()
    for tag in soup.find_all(True):
        for attr in [a for a in tag.attrs if a.lower().startswith("on")]:
            del tag[attr]
        if tag.get("href", "").strip().lower().startswith("javascript:"):
            del tag["href"]
    for img in soup.find_all("img"):
        found = _OWN_IMAGE.match(img.get("src", ""))
        if not found or state.media(found.group(2)) is None:
            img.decompose()
    return str(soup)


def digest_of(html: str, length: int = 54) -> str:
    """WeChat's default digest: the first 54 characters of the text."""
    text = re.sub(r"\s+", " ", BeautifulSoup(html, "html.parser").get_text(" ")).strip()
    return text[:length]


def own_media_id(url: str) -> str | None:
    found = _OWN_IMAGE.match(url or "")
    return found.group(2) if found else None
