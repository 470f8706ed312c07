"""An item's "(More)"/"(查看更多)" marker, and the source its link names (in a PDF, the marker is a link)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from wechat_pub import model as m
from wechat_pub.source import marks

MORE_MARKER = re.compile(r"\s*[(（\[【]\s*(查看更多|阅读全文|更多|more|read more)\s*[)）\]】]\s*$", re.I)
# A "(More)" that is a link (in a PDF): the link's address is the item's source.
MORE_LINK = re.compile("\\s*[(（\\[【]?\\s*(\ue000[^\ue001]*\ue001[^\ue002]*\ue002)\\s*[)）\\]】]?\\s*$")


def strip_more(text: str) -> tuple[str, bool, m.Source | None]:
    """(the text without its "(More)" marker, whether it had one, the source its link names)."""
    linked = MORE_LINK.search(text)
    if linked and MORE_MARKER.search(marks.plain(linked[0])):
        url, words = marks.split_link(linked[1])
        return text[:linked.start()], True, m.Source(url, source_label(url, words))
    stripped = MORE_MARKER.sub("", text)
    return stripped, stripped != text, None


def source_label(url: str, words: str) -> str:
    """A source's name: the link's words, unless they only say "(More)"; then the site's host."""
    if not MORE_MARKER.search(f"({words.strip('()（）[]【】 ')})"):
        return words.strip()
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")
