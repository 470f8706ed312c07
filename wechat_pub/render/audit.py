"""Audit rendered HTML for anything WeChat strips, refuses or recolours badly.

The renderer should never produce these; the audit proves it for every article that ``check``
sees, and it names the exact fragment when something slips through.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from wechat_pub.render.references import is_wechat_link

FORBIDDEN_TAGS = {"script", "style", "link", "iframe", "frame", "object", "embed", "form", "input", "button",
                  "video", "audio", "meta", "div", "ul", "ol", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
FORBIDDEN_ATTRS = {"class", "id", "onclick", "onload", "onerror"}
FORBIDDEN_CSS = [
    (re.compile(r"(^|;)\s*font-family\s*:"), "font-family (WeChat rewrites custom fonts; leave it unset)"),
    (re.compile(r"(^|;)\s*position\s*:"), "position (not supported by WeChat)"),
    (re.compile(r"!important"), "!important (breaks WeChat's dark mode)"),
    (re.compile(r"(^|;)\s*color\s*:\s*(#000000|#000|black|rgb\(0,\s*0,\s*0\))\s*(;|$)"),
     "pure black text (WeChat swallows it)"),
    (re.compile(r"gradient\("), "a gradient (text on gradients is unreadable in dark mode)"),
    (re.compile(r"url\("), "a CSS image (WeChat drops outside images)"),
]


def audit_html(html: str) -> list[str]:
    """Every problem found, as 'what: fragment' strings; empty when the HTML is WeChat-safe."""
    found: list[str] = []
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(True):
        snippet = str(tag)[:80]
        if tag.name in FORBIDDEN_TAGS:
            found.append(f"<{tag.name}> is stripped or mangled by WeChat: {snippet}")
        for attr in FORBIDDEN_ATTRS & set(tag.attrs):
            found.append(f"attribute {attr!r} is not kept by WeChat: {snippet}")
        style = tag.get("style", "")
        for pattern, why in FORBIDDEN_CSS:
            if pattern.search(style):
                found.append(f"style uses {why}: {snippet}")
        if tag.name == "a" and not is_wechat_link(tag.get("href", "")):
            found.append(f"link outside mp.weixin.qq.com (WeChat refuses to save it): {snippet}")
        if tag.name == "img" and tag.get("src", "").startswith("data:"):
            found.append(f"data: image (WeChat drops it): {snippet}")
    return found
