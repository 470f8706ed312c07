"""Audit rendered HTML for anything WeChat strips, refuses or recolours badly.

The renderer should never produce these; the audit proves it for every article that ``check``
sees, and it names the exact fragment when something slips through.
"""

from __future__ import annotations

import re

from wechat_pub.render.htmltree import Element, parse_fragment
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
    return audit_tree(parse_fragment(html))


def audit_tree(tree: Element) -> list[str]:
    """:func:`audit_html` of HTML already parsed (``check`` reads the same tree for the contrast of its colours)."""
    found: list[str] = []
    for tag in tree.iter():
        problems = []
        if tag.name in FORBIDDEN_TAGS:
            problems.append(f"<{tag.name}> is stripped or mangled by WeChat")
        for attr in FORBIDDEN_ATTRS & tag.attrs.keys():
            problems.append(f"attribute {attr!r} is not kept by WeChat")
        style = tag.get("style")
        for pattern, why in FORBIDDEN_CSS:
            if pattern.search(style):
                problems.append(f"style uses {why}")
        if tag.name == "a" and not is_wechat_link(tag.get("href")):
            problems.append("link outside mp.weixin.qq.com (WeChat refuses to save it)")
        if tag.name == "img" and tag.get("src").startswith("data:"):
            problems.append("data: image (WeChat drops it)")
        if problems:  # the fragment is written out only for a tag found wanting
            snippet = str(tag)[:80]
            found += [f"{problem}: {snippet}" for problem in problems]
    return found
