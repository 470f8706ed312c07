"""What WeChat does to draft content on the way in, as reference/wechat-html.md documents it (§1.1, §1.3):

- JS removed ("此处会去除JS"): ``<script>``, ``on*`` attributes, ``javascript:`` links;
- ``<iframe> <video> <audio> <form> <embed> <object>`` removed, ``<style>`` and ``<link>`` not kept;
- images not from the account's own uploads dropped ("外部图片url将被过滤"), data: images too;
- ``id`` attributes stripped (the reference confirms it inside SVG; the sandbox takes the stricter reading);
- a pure-black ``color`` swallowed, ``font-family`` rewritten (dropped here), ``position`` not supported;
- links to anywhere but mp.weixin.qq.com articles dropped, their text kept (§0 item 5: ordinary accounts may
  only link to WeChat articles; the editor refuses the rest).

The rest of its undocumented filtering is not emulated. :mod:`wechat_pub.publish.readback` reports what
this changed after every push, as it would for the real editor.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

_OWN_IMAGE = re.compile(r"^https?://mmbiz\.qpic\.cn/mmbiz_(jpg|png)/([A-Za-z0-9_-]+)/")
REMOVED_TAGS = ["script", "noscript", "iframe", "frame", "video", "audio", "form", "embed", "object", "style", "link"]
_WECHAT_ARTICLE = re.compile(r"^https?://mp\.weixin\.qq\.com/", re.I)
_PURE_BLACK = re.compile(r"^\s*(#000000|#000|black|rgb\(\s*0\s*,\s*0\s*,\s*0\s*\))\s*$", re.I)


def clean_content(html: str, state) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(REMOVED_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        for attr in [a for a in tag.attrs if a.lower().startswith("on") or a.lower() == "id"]:
            del tag[attr]
        if tag.get("href", "").strip().lower().startswith("javascript:"):
            del tag["href"]
        if tag.get("style"):
            tag["style"] = clean_style(tag["style"])
    for link in soup.find_all("a"):
        if not _WECHAT_ARTICLE.match(link.get("href", "").strip()):
            link.unwrap()
    for img in soup.find_all("img"):
        found = _OWN_IMAGE.match(img.get("src", ""))
        if not found or state.media(found.group(2)) is None:
            img.decompose()
    return str(soup)


def clean_style(style: str) -> str:
    """The declarations WeChat keeps: no pure-black colour, no font-family, no position."""
    kept = []
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name = name.strip().lower()
        if name in ("font-family", "position") or (name == "color" and _PURE_BLACK.match(value)):
            continue
        if declaration.strip():
            kept.append(declaration)
    return ";".join(kept)


def digest_of(html: str, length: int = 54) -> str:
    """WeChat's default digest: the first 54 characters of the text."""
    text = re.sub(r"\s+", " ", BeautifulSoup(html, "html.parser").get_text(" ")).strip()
    return text[:length]


def own_media_id(url: str) -> str | None:
    found = _OWN_IMAGE.match(url or "")
    return found.group(2) if found else None
