"""A newsletter PDF read for the importer: its text in reading order, its links, its pictures.

Text and links come from pdfplumber (on pdfminer.six; both MIT): it gives every character with its place and font,
and every link annotation with its area, so a word is a link exactly when its characters lie in one. Pictures come
from pypdfium2 (Apache-2.0/BSD-3; pdfplumber's own renderer), which decodes an image with its mask as it is shown.
Neither is GPL or AGPL (PyMuPDF is AGPL), and both are maintained.

The text handed on has one paragraph a line, as the text taken out of a PDF has, with the links and pictures marked
(:mod:`wechat_pub.source.marks`); running headers, footers and page numbers are left out. A PDF this cannot read
(no text layer, a password, damaged, cut short) raises :class:`PdfUnreadable` saying what to do.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from wechat_pub.source import marks
from wechat_pub.source.cjkforms import unified
from wechat_pub.source.pdfimages import PdfImage, page_images
from wechat_pub.source.pdflayout import Block, Box, join_pages, lay_out, lines_of
from wechat_pub.source.pdflists import entry_mark, list_entries
from wechat_pub.source.pdfstreams import STREAM_LIMIT, TOTAL_LIMIT, declared_pages, unpacked_sizes
from wechat_pub.text import fold
from wechat_pub.urls import safe_link

MAX_PAGES = 200  # a newsletter has a few dozen; more is not one
INDENT = 8.0  # points a block stands right of the one before to be taken for indented (a list's 40 px are 30)
SMALLER = 0.9  # of the page's usual letter height: a margin line set smaller than the text (a running header)
MARGIN = 0.08  # of the page's height: where running headers, footers and page numbers stand
PAGE_NUMBER = re.compile(r"^\W*(?:page\s*|第\s*)?\d{1,4}(?:\s*(?:/|of|共)\s*\d{1,4})?\s*页?\W*$", re.I)
UNMAPPED = re.compile(r"^\(cid:\d+\)$")
CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef]")


class PdfUnreadable(Exception):
    """The PDF cannot be imported: ``message`` says why, ``hint`` what to do."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass
class PdfText:
    text: str  # one paragraph a line, links and pictures marked
    images: list[PdfImage] = field(default_factory=list)  # the pictures marked, in order (marks.image(1) first)
    skipped_images: list[str] = field(default_factory=list)  # decorative repeats and the like, said in the review
    warnings: list[str] = field(default_factory=list)  # fonts without a Unicode map, links not kept
    running_lines: int = 0  # running headers, footers and page numbers left out


def read_pdf(data: bytes, name: str) -> PdfText:
    """The newsletter in the PDF ``data`` (named ``name`` in messages), or :class:`PdfUnreadable`."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser

    check_whole(data, name)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # it warns of every font quirk
    try:
        check_streams(data, name)  # (before pdfminer opens it: it unpacks the cross-reference stream whole)
        check_pages(PDFDocument(PDFParser(io.BytesIO(data))), name)  # (before pdfplumber, which builds every page)
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise PdfUnreadable(f"{name} has {len(pdf.pages)} pages; a newsletter has at most {MAX_PAGES}.",
                                    "Import the newsletter's own PDF, not a collection.")
            reader = _Reader(name)
            pages = [reader.page(page, index) for index, page in enumerate(pdf.pages, start=1)]
    except (PdfUnreadable, MemoryError):
        raise
    except Exception as exc:  # pdfminer's errors for a broken file have no common base
        raise _classify(exc, name) from None
    if not reader.characters and reader.unmapped:
        raise PdfUnreadable(f"{name}'s fonts have no Unicode map (pages {', '.join(map(str, reader.unmapped))}): its "
                            "characters cannot be told apart from their shapes.",
                            "Export the PDF again with its fonts embedded as text (or import its text as .txt).")
    if not reader.characters:
        raise PdfUnreadable(f"{name} has no text layer (a scanned or image-only PDF): there is no text to import.",
                            "Export the newsletter again as PDF from the program it was written in, or run it "
                            "through OCR (e.g. ocrmypdf) first.")
    try:
        images, skipped = page_images(data, reader.picture_places)
    except Exception as exc:  # a damaged picture must not lose the text
        images, skipped = {}, [f"the PDF's pictures could not be read ({type(exc).__name__}): add them by hand"]
    return reader.finish(pages, images, skipped)


def check_whole(data: bytes, name: str) -> None:
    """Refuse what is not a PDF, and a PDF cut short (its end marker missing), before reading any of it."""
    if not data.lstrip()[:5].startswith(b"%PDF-"):
        raise PdfUnreadable(f"{name} is not a PDF file.", "Choose the newsletter's PDF (or its text as .txt).")
    if b"%%EOF" not in data[-2048:]:
        raise PdfUnreadable(f"{name} is damaged: the file is cut short (its end is missing).",
                            "Download or export the PDF again, then import it again.")


def check_streams(data: bytes, name: str) -> None:
    """Refuse a PDF whose streams unpack to more than any newsletter's (see :mod:`wechat_pub.source.pdfstreams`)."""
    largest, total = unpacked_sizes(data)
    if largest > STREAM_LIMIT or total > TOTAL_LIMIT:
        limit = TOTAL_LIMIT if total > TOTAL_LIMIT else STREAM_LIMIT
        raise PdfUnreadable(f"{name} unpacks to more than {limit // 2**20} MB of text and fonts: far more than a "
                            "newsletter's, so it was not read.",
                            "Export or print the newsletter to PDF again, then import that file.")


def check_pages(doc, name: str) -> None:
    """Refuse, before its pages are built, a PDF of more pages than a newsletter has (by its page tree)."""
    declared = declared_pages(doc)
    if declared is None:  # (the catalog must have one: without it every page is built to count them)
        raise PdfUnreadable(f"{name} is damaged and cannot be read as a PDF (it has no page tree).",
                            "Download or export the PDF again, then import it again.")
    if declared > MAX_PAGES:
        raise PdfUnreadable(f"{name} has {declared} pages; a newsletter has at most {MAX_PAGES}.",
                            "Import the newsletter's own PDF, not a collection.")


def _classify(exc: Exception, name: str) -> PdfUnreadable:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return PdfUnreadable(f"{name} is protected by a password, so its text cannot be read.",
                             "Open it with its password and save (or print to PDF) a copy without one, then import "
                             "that copy.")
    return PdfUnreadable(f"{name} is damaged and cannot be read as a PDF ({type(cause).__name__}).",
                         "Download or export the PDF again, then import it again.")


class _Reader:
    """Reads page after page, remembering what the whole document decides on (running lines, fonts)."""

    def __init__(self, name: str):
        self.name = name
        self.characters = 0
        self.picture_places: dict[int, list[tuple[float, float, float, float]]] = {}
        self.unmapped: dict[int, Counter] = defaultdict(Counter)
        self.unsafe_links: list[str] = []

    def page(self, page, number: int) -> tuple[list[Box], list[Box], float]:
        """(the page's boxes, those of them in the top and bottom margins, its usual character height)."""
        links = [(h["x0"], h["top"], h["x1"], h["bottom"], h.get("uri") or "") for h in page.hyperlinks]
        words = page.extract_words(keep_blank_chars=False, use_text_flow=False, return_chars=True)
        boxes = []
        for word in words:
            chars = [self.char(c, links, number) for c in word["chars"]]
            chars = [c for c in chars if c[0]]
            if chars:
                boxes.append(Box(word["x0"], word["top"], word["x1"], word["bottom"], chars))
        self.characters += sum(len(b.payload) for b in boxes)
        margin = [b for b in boxes if b.bottom < page.height * MARGIN or b.top > page.height * (1 - MARGIN)]
        pictures = [(i["x0"], i["top"], i["x1"], i["bottom"]) for i in page.images]
        self.picture_places[number] = pictures
        boxes += [Box(*place, ("picture", number, index)) for index, place in enumerate(pictures)]
        return boxes, margin, _usual_height(boxes)

    def char(self, char: dict, links: list, page: int) -> tuple[str, str]:
        """(the character's text, the link address it lies in or "")."""
        text = char["text"]
        if UNMAPPED.match(text):
            self.unmapped[page][char.get("fontname", "?").split("+")[-1]] += 1
            return "", ""
        text = unified(marks.strip_marks(text))
        x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        url = next((u for x0, top, x1, bottom, u in links if x0 <= x <= x1 and top <= y <= bottom), "")
        return text, url

    def finish(self, pages: list, images: dict, skipped: list[str]) -> PdfText:
        running, running_lines = _running_lines([margin for _, margin, _ in pages], [size for *_, size in pages])
        laid_out = [lay_out([b for b in boxes if id(b) not in running], size) for boxes, _, size in pages]
        lines, shown, left = [], [], None
        for block in join_pages(laid_out):
            for picture in (b.payload for b in block.boxes if isinstance(b.payload, tuple)):
                if picture in images:  # before its caption, if one touches it
                    shown.append(images[picture])
                    lines.append(marks.image(len(shown)))
            x0 = min(b.x0 for b in block.boxes)
            lines.append(self.block_text(block, indented=left is not None and x0 > left + INDENT))
            left = x0
        return PdfText("\n".join(line for line in lines if line.strip()), shown, skipped,
                       self.warnings(), running_lines)

    def block_text(self, block: Block, indented: bool = False) -> str:
        """The paragraph's text, its links marked: lines joined as the importer joins them (no space between
        Chinese characters); a list's entries each on a line of its own, marked as the text importer reads them
        (``indented``: the block stands right of the one before, as lists do)."""
        entries = list_entries(lines_of(block), indented)
        if len(entries) < 2:
            return self.lines_text(lines_of(block))
        return "\n".join(entry_mark(self.lines_text(lines)) for lines in entries)

    def lines_text(self, lines: list[list[Box]]) -> str:
        runs: list[list[str]] = []  # [text, url]
        for line in lines:
            for box in line:
                if isinstance(box.payload, tuple):
                    continue
                for index, (text, url) in enumerate(box.payload):
                    if index == 0 and runs and (box is not line[0] or _spaced(runs[-1][0], text)):
                        runs[-1][0] += " "  # words on a line were parted by a space; lines may not be
                    if runs and runs[-1][1] == url:
                        runs[-1][0] += text
                    else:
                        runs.append([text, url])
        return "".join(self.link(text, url) for text, url in runs).strip()

    def link(self, text: str, url: str) -> str:
        if not url or not text.strip():
            return text
        if safe_link(url) is None:
            self.unsafe_links.append(url[:80])
            return text
        space = text[len(text.rstrip()):]
        return marks.link(text.strip(), url) + space

    def warnings(self) -> list[str]:
        found = [f"page {page}: {sum(fonts.values())} character(s) in font(s) {', '.join(sorted(fonts))} have no "
                 "Unicode map and were left out: compare that page's text with the PDF."
                 for page, fonts in sorted(self.unmapped.items())]
        found += [f"a link to {url!r} was not kept: only web addresses (https://, http://) are"
                  for url in self.unsafe_links]
        return found


def _spaced(left: str, right: str) -> bool:
    """Whether the end of a line and the start of the next had a space between them: not between Chinese
    characters, nor after a hyphen (as the importer mends a paragraph broken across pages)."""
    if not left or not right or left[-1].isspace() or (left.endswith("-") and not left.endswith(" -")):
        return False
    return not (CJK.match(left[-1]) or CJK.match(right[0]))


def _usual_height(boxes: list[Box]) -> float:
    heights = sorted(b.bottom - b.top for b in boxes if not isinstance(b.payload, tuple))
    return heights[len(heights) // 2] if heights else 11.0


def _running_lines(margins: list[list[Box]], sizes: list[float]) -> tuple[set[int], int]:
    """The margin boxes that are running headers, footers or page numbers, and how many such lines there were: a
    line that is a page number; a line whose words (digits aside) stand in the margins of two pages in three or
    more; or of half the pages (at least two) in letters smaller than the page's text (a cover and a back page
    often go without the header, and a header is set small: a section heading heading two pages of a short issue,
    its contents on a page of their own, is not)."""
    pages = [_margin_lines(boxes) for boxes in margins]
    pages_of: dict[str, set[int]] = defaultdict(set)
    for page, lines in enumerate(pages):
        for text, _ in lines:
            pages_of[_running_key(text)].add(page)
    running, count = set(), 0
    often, half = max(2, -(-2 * len(pages) // 3)), max(2, (len(pages) + 1) // 2)
    for lines, size in zip(pages, sizes):
        for text, boxes in lines:
            seen = len(pages_of[_running_key(text)])
            small = _usual_height(boxes) < SMALLER * size
            if PAGE_NUMBER.match(text) or seen >= often or (seen >= half and small):
                running.update(id(b) for b in boxes)
                count += 1
    return running, count


def _margin_lines(boxes: list[Box]) -> list[tuple[str, list[Box]]]:
    lines: dict[int, list[Box]] = defaultdict(list)
    for box in boxes:
        lines[round(box.top)].append(box)
    return [(" ".join("".join(t for t, _ in b.payload) for b in sorted(line, key=lambda b: b.x0)), line)
            for line in lines.values()]


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", fold(text))
