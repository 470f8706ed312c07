"""Chinese punctuation in Chinese text: ASCII marks next to Han characters made full-width.

PDF text tools and English keyboards leave ``其中,4起``, ``API,让``, ``"上云用数赋智"`` and
``(European Data Protection Board)起草`` in Chinese paragraphs. In Chinese text (never in URLs or
code, and leaving English phrases inside it alone):

- ``, ; : ? !`` touching a Han character (before it, or after it across spaces) become ``，；：？！``,
  and the spaces around them go;
- a pair of ``( )`` whose inside holds Han, or whose outside touches Han, becomes ``（ ）``;
- straight double quotes become “ ” in pairs; a straight single quote next to Han becomes ‘ or ’.

Thousands separators (1,700), times (10:30) and English sentences are left alone, and unpaired
brackets or quotes are left for a person to look at. :func:`fix_chinese` returns the text and
what it changed; :func:`chinese_problems` names what a file still has.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Han plus the marks only Chinese text uses (。、《》，（） …), as neighbours; not curly quotes or
# dashes, which English phrases inside Chinese text have too.
_CHINESE = re.compile(f"[{HAN}\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]")
_HAN_CHAR = re.compile(f"[{HAN}]")

# Left alone: URLs, e-mail addresses, inline code and Markdown link targets.
_PROTECTED = re.compile(r"`[^`]*`|\]\([^)]*\)|<[^>]*>|https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+")

FULL_WIDTH = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_MARK = re.compile(r" *([,;:?!]) *")
# Spaces that Chinese text does not have: around full-width marks, and between a curly quote and Han.
_SPACE_AT_MARK = re.compile(f"(?<=[，；：？！（）]) +| +(?=[，；：？！（）])|(?<=[{HAN}]) +(?=[“‘])|(?<=[”’]) +(?=[{HAN}])")


@dataclass
class Fixed:
    text: str
    changes: Counter = field(default_factory=Counter)  # "，" -> how many were made

    def summary(self) -> str:
        return ", ".join(f"{count} {mark}" for mark, count in sorted(self.changes.items()))


def fix_chinese(text: str) -> Fixed:
    """``text`` (Chinese) with its ASCII punctuation made full-width where it touches Han."""
    result = Fixed(text)
    pieces = []
    last = 0
    for protected in _PROTECTED.finditer(text):
        pieces.append(_fix_plain(text[last:protected.start()], result.changes))
        pieces.append(protected.group(0))
        last = protected.end()
    pieces.append(_fix_plain(text[last:], result.changes))
    result.text = "".join(pieces)
    return result


def chinese_problems(text: str) -> list[str]:
    """What :func:`fix_chinese` would change, each as 'before → after' with a little context."""
    fixed = fix_chinese(text).text
    if fixed == text:  # (most paragraphs: the diff below is the costliest part of the editor's live preview)
        return []
    spans: list[list[int]] = []  # [a1, a2, b1, b2], changes close together merged
    for op, a1, a2, b1, b2 in _changes(text, fixed):
        if op == "equal":
            continue
        if spans and a1 - spans[-1][1] <= 4:
            spans[-1][1], spans[-1][3] = a2, b2
        else:
            spans.append([a1, a2, b1, b2])
    return [f"{text[max(0, a1 - 4):a2 + 4]} → {fixed[max(0, b1 - 4):b2 + 4]}".replace("\n", " ")
            for a1, a2, b1, b2 in spans]


DIFF_PIECE = 200  # Chinese characters a piece of a long paragraph is diffed in


def _changes(text: str, fixed: str):
    """The diff's opcodes of ``text`` and its ``fixed`` form, a piece of a few hundred Chinese characters at a time
    (the diff of a whole long paragraph grows with its square: minutes for WeChat's 20,000 characters, in the live
    preview). Fixing changes marks and spaces, never a Chinese character: both texts have the same characters in
    the same order, so a piece ending at the n-th of them in one ends at the n-th in the other."""
    ends, fixed_ends = [m.end() for m in _HAN_CHAR.finditer(text)], [m.end() for m in _HAN_CHAR.finditer(fixed)]
    same = len(ends) == len(fixed_ends) and all(text[e - 1] == fixed[f - 1] for e, f in zip(ends, fixed_ends))
    if not same or len(ends) <= DIFF_PIECE:
        yield from difflib.SequenceMatcher(None, text, fixed, autojunk=False).get_opcodes()
        return
    cuts = list(zip(ends[DIFF_PIECE - 1::DIFF_PIECE], fixed_ends[DIFF_PIECE - 1::DIFF_PIECE]))
    at = fixed_at = 0
    for end, fixed_end in cuts + [(len(text), len(fixed))]:
        piece, fixed_piece = text[at:end], fixed[fixed_at:fixed_end]
        if piece != fixed_piece:
            for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, piece, fixed_piece, autojunk=False).get_opcodes():
                yield op, a1 + at, a2 + at, b1 + fixed_at, b2 + fixed_at
        at, fixed_at = end, fixed_end


def _fix_plain(text: str, changes: Counter) -> str:
    text = _brackets(text, changes)
    text = _double_quotes(text, changes)
    text = _single_quotes(text, changes)
    text = _marks(text, changes)
    return _SPACE_AT_MARK.sub("", text)


def _touches_chinese(text: str, start: int, end: int) -> bool:
    """Whether the span [start, end) has a Chinese character right before it or right after it,
    looking across spaces."""
    before = text[:start].rstrip(" ")
    after = text[end:].lstrip(" ")
    return bool((before and _CHINESE.match(before[-1])) or (after and _CHINESE.match(after[0])))


def _marks(text: str, changes: Counter) -> str:
    def replace(match: re.Match) -> str:
        mark = match.group(1)
        start, end = match.start(1), match.end(1)
        before, after = text[:start], text[end:]
        if before[-1:].isdigit() and after[:1].isdigit():
            return match.group(0)  # 1,700 · 10:30
        if not _touches_chinese(text, start, end):
            return match.group(0)
        changes[FULL_WIDTH[mark]] += 1
        return FULL_WIDTH[mark]

    return _MARK.sub(replace, text)


def _brackets(text: str, changes: Counter) -> str:
    chars = list(text)
    stack: list[int] = []
    for index, ch in enumerate(text):
        if ch == "(":
            stack.append(index)
        elif ch == ")" and stack:
            opening = stack.pop()
            inside = text[opening + 1:index]
            outside_chinese = _touches_chinese(text, opening, index + 1)
            if _HAN_CHAR.search(inside) or outside_chinese:
                chars[opening], chars[index] = "（", "）"
                changes["（）"] += 1
    return "".join(chars)


def _double_quotes(text: str, changes: Counter) -> str:
    positions = [i for i, ch in enumerate(text) if ch == '"']
    if len(positions) < 2:
        return text
    chars = list(text)
    for opening, closing in zip(positions[::2], positions[1::2]):
        chars[opening], chars[closing] = "“", "”"
        changes["“”"] += 1
    return "".join(chars)


def _single_quotes(text: str, changes: Counter) -> str:
    """Straight single quotes that are not apostrophes (Commission's), in pairs touching Han."""
    positions = [i for i, ch in enumerate(text) if ch == "'" and not _is_apostrophe(text, i)]
    chars = list(text)
    for opening, closing in zip(positions[::2], positions[1::2]):
        if _HAN_CHAR.search(text[opening:closing]) or _touches_chinese(text, opening, closing + 1):
            chars[opening], chars[closing] = "‘", "’"
            changes["‘’"] += 1
    return "".join(chars)


def _is_apostrophe(text: str, at: int) -> bool:
    before, after = text[at - 1:at], text[at + 1:at + 2]
    return before.isascii() and before.isalnum() and (not after or not _HAN_CHAR.match(after))
