"""The issue model: plain data, no I/O, no imports from the rest of the project.

An :class:`Issue` has :class:`Section` s, a section has :class:`Item` s, and an item has a Chinese
and an English headline and body. Bodies are trees of small block and inline nodes, so the
renderer never sees Markdown and the importer can build issues without writing Markdown first.
Every node that a user wrote remembers where (:class:`Pos`), so messages can say ``file:line``.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field, fields
from typing import Literal, Union, dataclass_transform


@dataclass_transform(frozen_default=True)
def node(cls):
    """A frozen, slotted dataclass that pickles as its class and field values: four times faster both ways than
    the state dicts dataclasses give such classes (issues cross between processes when a large archive is read
    on every core)."""
    cls = dataclass(frozen=True, slots=True)(cls)
    names = [f.name for f in fields(cls)]
    if len(names) > 1:
        values = operator.attrgetter(*names)
        cls.__reduce__ = lambda self: (cls, values(self))
    else:
        cls.__reduce__ = lambda self: (cls, tuple(getattr(self, name) for name in names))
    return cls


Lang = Literal["zh", "en"]
Severity = Literal["error", "warning"]


@node
class Pos:
    """A place in a source file (1-based line)."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@node
class Problem:
    """Something wrong with an issue: where, what, and how to fix it."""

    pos: Pos | None
    severity: Severity
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.pos}: " if self.pos else ""
        text = f"{where}{self.severity}: {self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text


# ---- inline nodes ---------------------------------------------------------------------------


@node
class Text:
    text: str


@node
class Strong:
    children: tuple[Inline, ...]


@node
class Emphasis:
    children: tuple[Inline, ...]


@node
class CodeSpan:
    text: str


@node
class LineBreak:
    pass


@node
class Link:
    href: str
    children: tuple[Inline, ...]


@node
class Image:
    """An image; ``src`` is as written, ``path`` the local file it resolves to (None if remote)."""

    src: str
    alt: str
    path: str | None = None
    pos: Pos | None = None


Inline = Union[Text, Strong, Emphasis, CodeSpan, LineBreak, Link, Image]


# ---- block nodes ----------------------------------------------------------------------------


@node
class Paragraph:
    children: tuple[Inline, ...]


@node
class ListBlock:
    ordered: bool
    start: int
    items: tuple[tuple[Block, ...], ...]


@node
class Quote:
    children: tuple[Block, ...]


@node
class CodeBlock:
    text: str
    lang: str = ""


@node
class Table:
    header: tuple[tuple[Inline, ...], ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...]


Block = Union[Paragraph, ListBlock, Quote, CodeBlock, Table]


# ---- issue structure ------------------------------------------------------------------------


@node
class Bilingual:
    """A short text in both languages; either side may be empty."""

    zh: str = ""
    en: str = ""

    def joined(self, sep: str = " | ") -> str:
        return sep.join(part for part in (self.zh, self.en) if part)


@node
class Source:
    """A source link of an item."""

    url: str
    label: str = ""


@node
class Item:
    headline: Bilingual
    body_zh: tuple[Block, ...] = ()
    body_en: tuple[Block, ...] = ()
    sources: tuple[Source, ...] = ()
    pos: Pos | None = None

    @property
    def languages(self) -> tuple[Lang, ...]:
        """The languages this item is written in."""
        langs: list[Lang] = []
        if self.headline.zh or self.body_zh:
            langs.append("zh")
        if self.headline.en or self.body_en:
            langs.append("en")
        return tuple(langs)


@node
class Section:
    heading: Bilingual
    items: tuple[Item, ...] = ()
    pos: Pos | None = None


@node
class Issue:
    number: int
    date: str  # YYYY-MM-DD or YYYY-MM, as the newsletter dates itself
    title: Bilingual
    sections: tuple[Section, ...] = ()
    author: str = ""
    digest: str = ""
    cover: str | None = None  # local path (resolved) or URL
    publish_at: str | None = None  # ISO 8601 with offset, normalised by the parser
    deliver: str = ""  # what happens at publish_at: draft, publish, send; '' : the account's schedule.deliver
    send_to_tag: str = ""  # with deliver send: the followers' tag id; '' : everyone
    source_url: str = ""
    wechat_title: str = ""
    open_comment: bool = False
    fans_only_comment: bool = False
    import_notes: tuple[str, ...] = ()
    path: str = ""
    text_sha256: str = field(default="", compare=False)  # of the text it was read from, as its folder hashes it

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for section in self.sections for item in section.items)

    @property
    def display_date(self) -> str:
        return self.date.replace("-", ".")


@node
class ParseResult:
    """An issue (None when it could not be built) and every problem found on the way."""

    issue: Issue | None
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def walk_inlines(blocks: tuple[Block, ...]):
    """Yield every inline node in ``blocks``, depth first, in reading order."""
    for block in blocks:
        if isinstance(block, Paragraph):
            yield from _walk_inline_children(block.children)
        elif isinstance(block, ListBlock):
            for entry in block.items:
                yield from walk_inlines(entry)
        elif isinstance(block, Quote):
            yield from walk_inlines(block.children)
        elif isinstance(block, Table):
            for cell in block.header:
                yield from _walk_inline_children(cell)
            for row in block.rows:
                for cell in row:
                    yield from _walk_inline_children(cell)


def _walk_inline_children(children: tuple[Inline, ...]):
    for node in children:
        yield node
        if isinstance(node, (Strong, Emphasis, Link)):
            yield from _walk_inline_children(node.children)


def plain_text(nodes, alt: bool = True) -> str:
    """The visible text of blocks or inlines, paragraphs separated by newlines (with image
    captions unless ``alt`` is false)."""
    parts: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            parts.append(node.text)
        elif isinstance(node, CodeSpan):
            parts.append(node.text)
        elif isinstance(node, LineBreak):
            parts.append("\n")
        elif isinstance(node, (Strong, Emphasis, Link)):
            parts.append(plain_text(node.children, alt))
        elif isinstance(node, Image):
            parts.append(node.alt if alt else "")
        elif isinstance(node, Paragraph):
            parts.append(plain_text(node.children, alt) + "\n")
        elif isinstance(node, ListBlock):
            for entry in node.items:
                parts.append(plain_text(entry, alt))
        elif isinstance(node, Quote):
            parts.append(plain_text(node.children, alt))
        elif isinstance(node, CodeBlock):
            parts.append(node.text + "\n")
        elif isinstance(node, Table):
            for cell in node.header:
                parts.append(plain_text(cell, alt) + "\n")
            for row in node.rows:
                for cell in row:
                    parts.append(plain_text(cell, alt) + "\n")
    return "".join(parts)
