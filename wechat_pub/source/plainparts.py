"""The pieces a newsletter's text is read into (:mod:`wechat_pub.source.plaintext`): its lines, and the sections,
items and paragraphs they make, with how a line goes on with what came before it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wechat_pub import model as m
from wechat_pub.text import guess_lang


@dataclass
class Line:
    number: int
    text: str  # as a reader sees it
    marked: str = ""  # with the links and pictures a PDF marks (:mod:`wechat_pub.source.marks`)

    @property
    def lang(self) -> str:
        return guess_lang(self.text)


# A list's entry, as a text marks one: its number (1. 1) （1） ①) or a bullet; the PDF reader marks what it finds
# (:mod:`wechat_pub.source.pdflists`)
NUMBERED = re.compile(r"^\(?(\d{1,2})[.)、](?!\d)\s*|^[（(](\d{1,2})[）)]\s*|^([①-⑳])\s*")
BULLET = re.compile(r"^[•·▪◦●‣○■□◆◇-]\s+")


@dataclass
class Para:
    lang: str
    text: str
    line: int
    closed: bool
    entries: list[str] | None = None  # a list's: its entries' texts (``text`` unused)
    ordered: bool = False
    start: int = 1

    def go_on(self, text: str) -> None:
        """A line that goes on with the paragraph (or with the list's last entry)."""
        if self.entries:
            self.entries[-1] = join_broken(self.entries[-1], text, self.lang)
        else:
            self.text = join_broken(self.text, text, self.lang)


@dataclass
class Item:
    line: int
    zh_head: str = ""
    en_head: str = ""
    en_line: int = 0
    zh: list[Para] = field(default_factory=list)
    en: list[Para] = field(default_factory=list)
    more: bool = False
    sources: list[m.Source] = field(default_factory=list)

    @property
    def phase(self) -> str:
        if self.en:
            return "en_body"
        if self.en_head:
            return "en_head"
        if self.zh:
            return "zh_body"
        return "zh_head"

    @property
    def has_text(self) -> bool:
        return bool(self.zh or self.en)


@dataclass
class Section:
    heading: m.Bilingual
    line: int
    items: list[Item] = field(default_factory=list)


def open_paragraph(item: Item | None, last: Para | None, lang: str) -> Para | None:
    """The paragraph a line of ``lang`` goes on: the last one, or (where a PDF puts Chinese and English side by
    side, so that a page end breaks both) the item's last paragraph in that language, if unfinished."""
    if last and not last.closed and last.lang == lang:
        return last
    own = (item.zh if lang == "zh" else item.en)[-1:] if item else []
    return own[0] if own and not own[0].closed and own[0].lang == lang else None


def awaits_body(item: Item | None, lang: str) -> bool:
    """Right after an item's headline in a language, the next line of that language is its text."""
    if item is None:
        return False
    if lang == "zh":
        return bool(item.zh_head) and item.phase == "zh_head"
    return bool(item.en_head) and not item.en


def join_broken(left: str, right: str, lang: str) -> str:
    """Mend a paragraph broken across a page end."""
    if lang == "zh" or (left.endswith("-") and not left.endswith(" -")):
        return left + right
    return f"{left} {right}"
