"""Import a newsletter from plain text taken out of its PDF (the layout of the seed issue).

The text has a masthead (brand, issue number, date, title), a bilingual table of contents,
section headings ("国内要闻 Domestic News"), and per item a Chinese headline, an English
headline, Chinese and English paragraphs ending in "(查看更多)" / "(More)", paragraphs broken
across page ends, and a standing disclaimer and contact block. Nothing here knows the seed: any
number of sections and items works, items may lack English, and every line that cannot be placed
is kept as an import note (in the article's front matter and in the report), never dropped.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from wechat_pub import model as m
from wechat_pub.source import marks
from wechat_pub.source.morelinks import MORE_MARKER, strip_more
from wechat_pub.source.plainparts import (
    BULLET,
    NUMBERED,
    Item,
    Line,
    Para,
    Section,
    awaits_body,
    join_broken,
    open_paragraph,
)
from wechat_pub.text import fold, guess_lang, han_count
from wechat_pub.typography import fix_chinese

SECTION_HEADING = re.compile(
    r"^(?P<zh>[\u4e00-\u9fff]{2,12})\s*[|｜/]?\s*(?P<en>[A-Z][A-Za-z&'’\- ]{1,58}[A-Za-z])$")
TERMINAL = re.compile(r"[。！？；.!?;…]['\"”’」』)）\ue002]*$")
CONTINUES = re.compile(r"[，,、：:；;—–-]$")  # a line ending so goes on: never a headline
SENTENCE_INSIDE = re.compile(r"[。！？]|[a-z]{2,}[.!?] [A-Z]")  # headlines hold no full sentence
ISSUE_NUMBER = re.compile(r"(?:第\s*(\d{1,4})\s*期|\bN[\W_]*[oO0º°][\W_]*(\d{1,4})\b|\bNo\.?\s*(\d{1,4}))")
ISSUE_DATE = re.compile(r"\b((?:19|20)\d{2})\s*[.\-/年]\s*(\d{1,2})(?:\s*[.\-/月]\s*(\d{1,2}))?")
MAX_ZH_HEADLINE = 60  # Han characters
MAX_EN_HEADLINE = 45  # words


@dataclass
class ImportResult:
    issue: m.Issue | None
    notes: list[str] = field(default_factory=list)  # lines not placed, "file:line: why: text"
    problems: list[m.Problem] = field(default_factory=list)
    footer_lines: int = 0  # lines recognised as the publisher's standing footer
    lost_links: int = 0  # "(More)" markers whose URL the text does not carry
    linked: int = 0  # items whose source came from their "(More)" link
    punctuation: Counter = field(default_factory=Counter)  # full-width marks put back in Chinese text


class PlainTextImporter:
    """Reads one newsletter text. The publisher's ``brand`` names and standing ``footer`` texts
    (disclaimer, contact lines) are recognised as standing text rather than reported."""

    def __init__(self, path: str, brand: list[str] | None = None, footer: list[str] | None = None,
                 image_src: Callable[[int, int], str] | None = None):
        self.path = path
        self.image_src = image_src  # (issue number, picture number) -> where the article shows that picture
        self.number = 0
        self.name = os.path.basename(path)
        self.notes: list[str] = []
        self.problems: list[m.Problem] = []
        self.footer_keys = [fold(t) for t in (footer or []) if fold(t)]
        self.brand_words = {fold(word) for text in (brand or []) for word in text.split()} - {""}
        self.footer_lines = 0
        self.punctuation: Counter = Counter()
        self.toc: list[tuple[str, list[Line]]] = []  # (section key, headline lines)
        self.toc_keys: set[str] = set()

    # ---- entry point -------------------------------------------------------------------------

    def run(self, text: str) -> ImportResult:
        """Import ``text``: plain text, or the marked text of :func:`wechat_pub.source.pdf.read_pdf`."""
        lines = [Line(n, marks.plain(raw).strip(), raw.strip()) for n, raw in enumerate(text.splitlines(), start=1)
                 if raw.strip()]
        if not lines:
            return self.fail("the file is empty.")
        headings = [i for i, line in enumerate(lines) if SECTION_HEADING.match(line.text)]
        if not headings:
            return self.fail("no section headings found (lines like '国内要闻 Domestic News').",
                             "Check that the file is a newsletter laid out like docs/article-format.md "
                             "describes under 'Importing'.")
        masthead = lines[: headings[0]]
        number, date, title = self.read_masthead(masthead)
        self.number = number
        body_start = self.read_toc(lines, headings)
        sections = self.read_body(lines[body_start:])
        self.check_against_toc(sections)
        issue = m.Issue(number=number, date=date, title=title,
                        sections=tuple(self.to_section(s) for s in sections if s.items),
                        import_notes=tuple(self.notes), path=self.path)
        lost = sum(1 for s in sections for item in s.items if item.more and not item.sources)
        linked = sum(1 for s in sections for item in s.items if item.sources)
        return ImportResult(issue, self.notes, self.problems, self.footer_lines, lost, linked, self.punctuation)

    def fail(self, message: str, hint: str = "") -> ImportResult:
        self.problems.append(m.Problem(m.Pos(self.path), "error", message, hint))
        return ImportResult(None, self.notes, self.problems)

    def note(self, line: Line, why: str) -> None:
        self.notes.append(f"{self.name}:{line.number}: {why}: {line.text}")

    def is_footer(self, line: Line) -> bool:
        """Is the line the publisher's standing text (brand, disclaimer, contact)?"""
        key = fold(line.text)
        if not key:
            return False
        if key in self.footer_keys:
            return True
        if len(key) >= 20 and any(key in footer for footer in self.footer_keys):
            return True  # a long piece of a footer paragraph broken across a page end
        words = [fold(word) for word in line.text.split()]
        return bool(self.brand_words) and all(w in self.brand_words for w in words if w)

    # ---- masthead ------------------------------------------------------------------------------

    def read_masthead(self, masthead: list[Line]) -> tuple[int, str, m.Bilingual]:
        number, date = 0, ""
        title_zh: Line | None = None
        title_en: Line | None = None
        rest: list[Line] = []
        for line in masthead:
            found_number = ISSUE_NUMBER.search(line.text.replace("$", ""))
            found_date = ISSUE_DATE.search(line.text)
            if not number and found_number and len(fold(line.text)) <= 12:
                number = int(next(g for g in found_number.groups() if g))
            elif not date and found_date and len(fold(line.text)) <= 12:
                year, month, day = found_date.groups()
                date = f"{year}-{int(month):02d}" + (f"-{int(day):02d}" if day else "")
            else:
                rest.append(line)
        # The title is the last Chinese and the last English line before the contents.
        for line in reversed(rest):
            if line.lang == "zh" and title_zh is None and not self.is_footer(line):
                title_zh = line
            elif line.lang == "en" and title_en is None and not self.is_footer(line):
                title_en = line
        for line in rest:
            if line is title_zh or line is title_en:
                continue
            if self.is_footer(line):
                self.footer_lines += 1
            else:
                self.note(line, "masthead line not imported")
        if not number:
            self.problems.append(m.Problem(m.Pos(self.path), "error", "no issue number found in the masthead.",
                                           "Set 'issue:' in the imported file's front matter."))
        if not date:
            self.problems.append(m.Problem(m.Pos(self.path), "error", "no issue date found in the masthead.",
                                           "Set 'date:' in the imported file's front matter."))
        title = m.Bilingual(self.chinese(title_zh.text) if title_zh else "", title_en.text if title_en else "")
        return number, date, title

    # ---- table of contents ---------------------------------------------------------------------

    def read_toc(self, lines: list[Line], headings: list[int]) -> int:
        """Read the contents (from the first heading until it repeats); return where the body starts."""
        first_key = fold(lines[headings[0]].text)
        repeat = next((i for i in headings[1:] if fold(lines[i].text) == first_key), None)
        if repeat is None:
            return headings[0]
        toc_lines = lines[headings[0]:repeat]
        if any(TERMINAL.search(line.text) or MORE_MARKER.search(line.text) for line in toc_lines):
            return headings[0]  # prose before the repeat: no table of contents, sections repeat
        for line in toc_lines:
            if SECTION_HEADING.match(line.text):
                self.toc.append((fold(line.text), []))
            else:
                self.toc[-1][1].append(line)
                self.toc_keys.add(fold(line.text))
        return repeat


    def check_against_toc(self, sections: list[Section]) -> None:
        if not self.toc:
            return
        found = {fold(h) for s in sections for item in s.items for h in (item.zh_head, item.en_head) if h}
        for _, entries in self.toc:
            for line in entries:  # (a part of a headline broken over lines is found in it)
                key = fold(line.text)
                if key not in found and not any(key in headline for headline in found):
                    self.note(line, "listed in the contents but not found in the body")

    # ---- body ----------------------------------------------------------------------------------

    def read_body(self, lines: list[Line]) -> list[Section]:
        sections: list[Section] = []
        para: Para | None = None
        trailer = False  # after text that belongs to no item: the footer, or stray text
        for line in lines:
            match = SECTION_HEADING.match(line.text)
            if match and not self.is_footer(line):
                sections.append(Section(m.Bilingual(match["zh"], match["en"].strip()), line.number))
                para, trailer = None, False
                continue
            if marks.image_index(line.marked) is not None:
                self.picture(sections[-1] if sections and not trailer else None, line)
                continue
            if not guess_lang(line.text):
                self.note(line, "line without words (page number?)")  # a paragraph may go on after it
                continue
            if self.is_footer(line):
                self.footer_lines += 1  # standing text, also a running header between pages
                continue
            if trailer or not sections:
                self.note(line, "after the last item (footer?)" if sections else "before the first section")
                continue
            para = self.body_line(sections[-1], line, para)
            trailer = para is None and not self.is_headline(line)
        self.drop_empty_items(sections)
        return sections

    def body_line(self, section: Section, line: Line, para: Para | None) -> Para | None:
        """Place one line: a paragraph's continuation, a headline, or a new paragraph."""
        text, marker, source = strip_more(line.marked)
        lang = guess_lang(marks.plain(text))
        item = section.items[-1] if section.items else None
        if item and source and source not in item.sources:
            item.sources.append(source)
        entry = NUMBERED.match(text) or BULLET.match(text)
        if entry and item is not None and (item.zh_head or item.en_head) and not self.is_toc_headline(line):
            return self.list_entry(item, line, text, entry, lang, marker)
        para = open_paragraph(item, para, lang)
        if para and not self.is_toc_headline(line):
            para.go_on(text)
            para.closed = marker or bool(TERMINAL.search(text))
            item.more = item.more or marker
            return para
        if not marker and item is not None and self.is_toc_headline(line) and self.goes_on(item, line, lang):
            return None
        if not marker and self.is_headline(line) and not awaits_body(item, lang):
            self.headline(section, item, line, lang)
            return None
        return self.paragraph(item, line, text, lang, marker)

    def is_toc_headline(self, line: Line) -> bool:
        return fold(line.text) in self.toc_keys

    def is_headline(self, line: Line) -> bool:
        """With a table of contents, headlines are its entries; without one, short lines that end
        without a full stop (a paragraph broken early by a page end can look the same)."""
        if self.toc:
            return self.is_toc_headline(line)
        return _looks_like_headline(line.text, guess_lang(line.text))

    def headline(self, section: Section, item: Item | None, line: Line, lang: str) -> None:
        if lang == "zh":
            if item is None or item.phase != "zh_head" or item.zh_head:
                section.items.append(Item(line.number, zh_head=line.text))
            else:
                item.zh_head = line.text
        elif item is not None and item.phase in ("zh_head", "zh_body") and not item.en_head:
            item.en_head, item.en_line = line.text, line.number
        else:
            section.items.append(Item(line.number, en_head=line.text, en_line=line.number))

    def goes_on(self, item: Item, line: Line, lang: str) -> bool:
        """A headline the text broke where the PDF wrapped it: a line of the contents right after the item's
        headline in the same language goes on with it (two items' headlines never stand together in the body: each
        is followed by the other language's, or by text)."""
        if lang == "zh" and item.zh_head and not (item.en_head or item.zh) and item.line == line.number - 1:
            item.zh_head, item.line = join_broken(item.zh_head, line.text, "zh"), line.number
            return True
        if lang == "en" and item.en_head and not item.en and item.en_line == line.number - 1:
            item.en_head, item.en_line = join_broken(item.en_head, line.text, "en"), line.number
            return True
        return False

    def paragraph(self, item: Item | None, line: Line, text: str, lang: str, marker: bool) -> Para | None:
        """Add a paragraph to the current item, or return None when it belongs to no item."""
        # Chinese after English belongs to no item, unless the item's Chinese text is still to come, or its English
        # text is (a PDF may put both headlines first, or Chinese and English side by side)
        if item is None or (lang == "zh" and item.phase == "en_body" and item.zh_head and item.zh):
            self.note(line, "text outside any item")
            return None
        para = Para(lang, text, line.number, marker or bool(TERMINAL.search(text)))
        (item.zh if lang == "zh" else item.en).append(para)
        item.more = item.more or marker
        return para

    def list_entry(self, item: Item, line: Line, text: str, entry: re.Match, lang: str, marker: bool) -> Para:
        """A list's entry: the next of the list the item's text of ``lang`` ends with, or the first of a new one."""
        own = item.zh if lang == "zh" else item.en
        number = next((group for group in entry.groups() if group), None) if entry.re is NUMBERED else None
        ordered = number is not None
        if own and own[-1].entries and own[-1].ordered == ordered:
            para = own[-1]
            para.entries.append(text[entry.end():])
        else:
            start = int(number) if number and number.isdigit() else 1 if not number else ord(number) - ord("①") + 1
            para = Para(lang, "", line.number, False, [text[entry.end():]], ordered, start)
            own.append(para)
        para.closed = marker or bool(TERMINAL.search(text))
        item.more = item.more or marker
        return para

    def picture(self, section: Section | None, line: Line) -> None:
        """A PDF's picture, in the item it stands in, after the text of that language so far."""
        item = section.items[-1] if section and section.items else None
        if item is None or self.image_src is None:
            self.note(line, "picture outside any item, not imported")
            return
        (item.en if item.phase in ("en_head", "en_body") else item.zh).append(Para("", line.marked, line.number, True))

    def drop_empty_items(self, sections: list[Section]) -> None:
        """A 'headline' with no text under it is a stray line (a running header, a footer line)."""
        for section in sections:
            for item in [i for i in section.items if not i.has_text]:
                section.items.remove(item)
                for head, number in ((item.zh_head, item.line), (item.en_head, item.en_line)):
                    if head:
                        self.note(Line(number, head), "headline without any text")

    # ---- to the model --------------------------------------------------------------------------

    def to_section(self, section: Section) -> m.Section:
        items = tuple(self.to_item(item) for item in section.items)
        return m.Section(section.heading, items, m.Pos(self.path, section.line))

    def to_item(self, item: Item) -> m.Item:
        pos = m.Pos(self.path, item.line)
        return m.Item(m.Bilingual(self.chinese(item.zh_head), item.en_head),
                      tuple(self.block_of(p, self.chinese) for p in item.zh),
                      tuple(self.block_of(p, str) for p in item.en), tuple(item.sources), pos)

    def block_of(self, para: Para, fixed) -> m.Block:
        if para.entries is None:
            return self.paragraph_of(fixed(para.text))
        return m.ListBlock(para.ordered, para.start, tuple((self.paragraph_of(fixed(entry)),) for entry in para.entries))

    def paragraph_of(self, text: str) -> m.Paragraph:
        src = (lambda index: self.image_src(self.number, index)) if self.image_src else None
        return m.Paragraph(marks.to_inlines(text, src))

    def chinese(self, text: str) -> str:
        """PDF text tools flatten Chinese punctuation to ASCII ("日,公安部"): put it back, and count it (in the
        words, never in a link's address)."""
        def fix(words: str) -> str:
            fixed = fix_chinese(words)
            self.punctuation.update(fixed.changes)
            return fixed.text

        return marks.map_words(text, fix)


def import_plaintext(path: str, text: str | None = None, brand: list[str] | None = None,
                     footer: list[str] | None = None) -> ImportResult:
    """Import the newsletter text at ``path`` (or ``text``, named ``path``); a text cannot mark links or pictures."""
    if text is None:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    return PlainTextImporter(path, brand, footer).run(marks.strip_marks(text))


def _looks_like_headline(text: str, lang: str) -> bool:
    if not text or TERMINAL.search(text) or CONTINUES.search(text) or SENTENCE_INSIDE.search(text):
        return False
    if lang == "zh":
        return han_count(text) <= MAX_ZH_HEADLINE
    return len(text.split()) <= MAX_EN_HEADLINE
