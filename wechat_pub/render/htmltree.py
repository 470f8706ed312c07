"""A small element tree of the HTML we render, built with the standard library's parser: what the audit and the
dark-mode model walk.

BeautifulSoup did this before; its import and its entity tables alone took longer than the rest of a
`wechat-pub check`, and we only ever read our own well-formed output. What remains uses bs4 (the sandbox, the
read-back of what WeChat kept) reads HTML from elsewhere.
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser
from typing import Iterator

VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                  "wbr"})
RAW_TEXT = frozenset({"script", "style"})


class Comment(str):
    """A comment kept in place (written back out, never read as text)."""


class Element:
    """One tag: its name, attributes (in their order) and children (elements and strings)."""

    __slots__ = ("name", "attrs", "children")

    def __init__(self, name: str, attrs: dict[str, str | None]):
        self.name = name
        self.attrs = attrs
        self.children: list[Element | str] = []

    def get(self, attribute: str, default: str = "") -> str:
        value = self.attrs.get(attribute)
        return default if value is None else value

    def elements(self) -> list[Element]:
        """The child elements (not the strings)."""
        return [child for child in self.children if isinstance(child, Element)]

    def iter(self) -> Iterator[Element]:
        """Every element below this one, in document order."""
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def own_text(self) -> str:
        """The strings directly inside this element (not its children's)."""
        return "".join(child for child in self.children if type(child) is str)

    def text(self, separator: str = "", strip: bool = False) -> str:
        """All the text below this element; with ``strip``, each string stripped and empty ones left out."""
        strings = list(self._strings())
        if strip:
            strings = [s.strip() for s in strings if s.strip()]
        return separator.join(strings)

    def _strings(self) -> Iterator[str]:
        for child in self.children:
            if isinstance(child, Element):
                yield from child._strings()
            elif type(child) is str:
                yield child

    def __str__(self) -> str:
        parts: list[str] = []
        self._write(parts)
        return "".join(parts)

    def _write(self, parts: list[str]) -> None:
        if self.name:
            parts.append(f"<{self.name}{_attributes(self.attrs)}{'/' if self.name in VOID else ''}>")
        raw = self.name in RAW_TEXT
        for child in self.children:
            if isinstance(child, Element):
                child._write(parts)
            elif isinstance(child, Comment):
                parts.append(f"<!--{child}-->")
            else:
                parts.append(child if raw else escape(child, quote=False))
        if self.name and self.name not in VOID:
            parts.append(f"</{self.name}>")


def _attributes(attrs: dict[str, str | None]) -> str:
    return "".join(f" {name}" if value is None else f' {name}="{escape(value)}"' for name, value in attrs.items())


def parse_fragment(html: str) -> Element:
    """The HTML as a tree under a nameless root (serialising the root gives back the fragment)."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


class _Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("", {})
        self.open = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.open[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, 0, -1):  # close up to the matching open tag; a stray one is ignored
            if self.open[depth].name == tag:
                del self.open[depth:]
                return

    def handle_data(self, data):
        children = self.open[-1].children
        if children and type(children[-1]) is str:
            children[-1] += data
        else:
            children.append(data)

    def handle_comment(self, data):
        self.open[-1].children.append(Comment(data))
