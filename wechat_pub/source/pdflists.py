"""A list in a PDF: its entries found among a block's lines, so that they are not read as one paragraph. A PDF
draws a bullet as a shape more often than as a character (Chromium does), so an entry is known by its number
(1. 2. …), a bullet character, or, failing those, in a block indented from the text before it, by where the line
before it stopped: after a full stop or a semicolon, short of the block's right edge (a paragraph's lines run to
the edge until its last), or every line so.
"""

from __future__ import annotations

import re

from wechat_pub.source.pdflayout import Box
from wechat_pub.source.plainparts import BULLET, NUMBERED

ENDS_ENTRY = re.compile(r"[；;。.!?！？]['\"”’」』)）]*$")
SHORT_OF_EDGE = 2.0  # characters' heights: a line ending this far before the block's right edge stopped there


def list_entries(lines: list[list[Box]], indented: bool) -> list[list[list[Box]]]:
    """The block's lines grouped into a list's entries (one group: not a list). ``indented``: the block stands to
    the right of the text before it (as a list does, its bullets drawn in the margin it leaves)."""
    words = [_text(line) for line in lines]
    if len(lines) < 2 or not all(words):
        return [lines]
    marked = [bool(NUMBERED.match(text) or BULLET.match(text)) for text in words]
    if marked[0] and sum(marked) >= 2:
        return _cut(lines, marked)
    if not indented or not ENDS_ENTRY.search(words[-1]):
        return [lines]
    right = max(box.x1 for line in lines for box in line)
    height = sorted(box.bottom - box.top for line in lines for box in line)[len(lines) // 2]
    ends = [bool(ENDS_ENTRY.search(text)) for text in words]
    stops = ends if all(ends) else [end and max(box.x1 for box in line) < right - SHORT_OF_EDGE * height
                                    for end, line in zip(ends, lines)]
    if not any(stops[:-1]):
        return [lines]
    return _cut(lines, [True] + stops[:-1])


def entry_mark(text: str) -> str:
    """An entry as the text importer reads one: its own number or bullet, else a bullet."""
    return text if NUMBERED.match(text) or BULLET.match(text) else "• " + text


def _cut(lines: list[list[Box]], starts: list[bool]) -> list[list[list[Box]]]:
    entries: list[list[list[Box]]] = []
    for line, start in zip(lines, starts):
        if start or not entries:
            entries.append([])
        entries[-1].append(line)
    return entries


def _text(line: list[Box]) -> str:
    return " ".join("".join(t for t, _ in box.payload) for box in line if not isinstance(box.payload, tuple)).strip()
