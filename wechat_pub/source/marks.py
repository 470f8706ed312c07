"""Links and pictures carried through the text importer, and the inline text it makes paragraphs of.

A PDF's text comes with what plain text cannot say: which words are a link, and where a picture stands. The PDF
reader marks them in the text it hands to the importer with characters of Unicode's private use area, which it
first strips from the PDF's own text (:func:`strip_marks`), so a PDF cannot forge a mark; the importer turns them
into :class:`~wechat_pub.model.Link` and :class:`~wechat_pub.model.Image` nodes (:func:`to_inlines`).
"""

from __future__ import annotations

import re
from typing import Callable

from wechat_pub import model as m

LINK_START, LINK_TEXT, LINK_END, IMAGE_START, IMAGE_END = "\ue000", "\ue001", "\ue002", "\ue003", "\ue004"
MARKS = re.compile("[\ue000-\ue004]")
MARKED = re.compile("(\ue000[^\ue001]*\ue001[^\ue002]*\ue002|\ue003\\d+\ue004)")
IMAGE_LINE = re.compile("^\ue003(\\d+)\ue004$")
EMPHASIS = re.compile(r"(\*\*[^*\n]+\*\*|\*[^*\n]+\*)")


def strip_marks(text: str) -> str:
    """``text`` without any character that would read as a mark."""
    return MARKS.sub("", text)


def link(text: str, url: str) -> str:
    return f"{LINK_START}{strip_marks(url)}{LINK_TEXT}{strip_marks(text)}{LINK_END}"


def image(index: int) -> str:
    """The line that stands for the PDF's picture number ``index`` (counted from 1)."""
    return f"{IMAGE_START}{int(index)}{IMAGE_END}"


def image_index(line: str) -> int | None:
    found = IMAGE_LINE.match(line.strip())
    return int(found[1]) if found else None


def plain(text: str) -> str:
    """The text as a reader sees it: a link's words without its address, no picture."""
    return MARKED.sub(lambda found: found[0].split(LINK_TEXT)[1][:-1] if found[0][0] == LINK_START else "", text)


def split_link(mark: str) -> tuple[str, str]:
    """(address, words) of one link mark."""
    url, text = mark[1:-1].split(LINK_TEXT, 1)
    return url, text


def to_inlines(text: str, image_src: Callable[[int], str] | None = None) -> tuple[m.Inline, ...]:
    """A paragraph's text as inline nodes: marked links and pictures, and the *italic* and **bold** that PDF text
    tools mark with asterisks."""
    children: list[m.Inline] = []
    for part in MARKED.split(text):
        if not part:
            continue
        if part[0] == LINK_START:
            url, words = split_link(part)
            children.append(m.Link(url, _emphasis(words)))
        elif part[0] == IMAGE_START:
            if image_src is not None:
                children.append(m.Image(image_src(int(part[1:-1])), f"figure {int(part[1:-1])}"))
        else:
            children.extend(_emphasis(part))
    return tuple(children)


def _emphasis(text: str) -> tuple[m.Inline, ...]:
    children: list[m.Inline] = []
    for part in EMPHASIS.split(text):
        if not part:
            continue
        if part.startswith("**") and part.endswith("**") and len(part) > 4:
            children.append(m.Strong((m.Text(part[2:-2]),)))
        elif part.startswith("*") and part.endswith("*") and len(part) > 2:
            children.append(m.Emphasis((m.Text(part[1:-1]),)))
        else:
            children.append(m.Text(part))
    return tuple(children)


def map_words(text: str, change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to its words (a link's too), never to a link's address or a picture."""
    parts = []
    for part in MARKED.split(text):
        if part.startswith(LINK_START):
            url, words = split_link(part)
            parts.append(link(change(words), url))
        elif part.startswith(IMAGE_START) or not part:
            parts.append(part)
        else:
            parts.append(change(part))
    return "".join(parts)
