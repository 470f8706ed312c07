"""Markdown -> model blocks and inlines.

markdown-it-py gives a token stream; :func:`parse_tree` nests its blocks as a tree of :class:`Node` s, and the
small functions here turn each node kind into a model node (a table of rules, as markdown-it's own renderer does).
A paragraph's inlines stay the flat tokens markdown-it gives (:meth:`BlockBuilder.inlines` reads them).
Anything the model cannot carry (raw HTML, deep headings) is reported as a problem instead of being dropped.
"""

from __future__ import annotations

import os
import re
from typing import Callable

from markdown_it import MarkdownIt
from markdown_it.token import Token

from wechat_pub import model as m
from wechat_pub.text import is_cjk_char

_md = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
_NESTED = frozenset(("strong", "em", "link"))  # inline kinds whose insides are read as inlines
_WORDS = frozenset(("text", "code_inline"))
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)


class Node:
    """A node of the Markdown tree: its kind (``paragraph``, ``heading``, ``inline``…), the token that opens it,
    and the nodes inside it (an ``inline`` node has none: its token's children are the inline tokens).
    markdown-it's own SyntaxTreeNode is the same tree behind properties; building and walking that took a sixth
    of the time of reading an article."""

    __slots__ = ("type", "token", "children")

    def __init__(self, kind: str, token: Token, children: list[Node]):
        self.type = kind
        self.token = token
        self.children = children

    # The rest is the opening token's: the fields read for every node are properties (a read through __getattr__
    # fails on the slots first, five times slower), any other field comes through __getattr__.
    content = property(lambda self: self.token.content)
    markup = property(lambda self: self.token.markup)
    info = property(lambda self: self.token.info)
    tag = property(lambda self: self.token.tag)
    attrs = property(lambda self: self.token.attrs)
    map = property(lambda self: self.token.map)

    def __getattr__(self, name: str):
        return getattr(self.token, name)


def parse_tree(text: str) -> list[Node]:
    """The top-level nodes of ``text``."""
    return _nest(_md.parse(text))


def _nest(tokens: list[Token]) -> list[Node]:
    top: list[Node] = []
    open_children = [top]  # the children of each node opened and not closed yet, innermost last
    for token in tokens:
        if token.nesting == 1:
            node = Node(token.type[:-5], token, [])  # 'paragraph_open' -> 'paragraph'
            open_children[-1].append(node)
            open_children.append(node.children)
        elif token.nesting == -1:
            open_children.pop()
        else:  # a leaf; an 'inline' token keeps its own tokens, flat (read by BlockBuilder.inlines)
            open_children[-1].append(Node(token.type, token, []))
    return top


class BlockBuilder:
    """Turns markdown-it tree nodes into model blocks, collecting problems as it goes."""

    def __init__(self, path: str, line_offset: int, base_dir: str, problems: list[m.Problem]):
        self.path = path
        self.line_offset = line_offset
        self.base_dir = base_dir
        self.problems = problems
        self.block_rules: dict[str, Callable[[Node], m.Block | None]] = {
            "paragraph": self.paragraph,
            "bullet_list": self.bullet_list,
            "ordered_list": self.ordered_list,
            "blockquote": self.blockquote,
            "fence": self.code,
            "code_block": self.code,
            "table": self.table,
            "html_block": self.html_block,
            "heading": self.stray_heading,
            "hr": self.stray_rule,
        }

    # ---- positions and problems ------------------------------------------------------------

    def pos(self, node: Node) -> m.Pos:
        lines = node.map
        return m.Pos(self.path, lines[0] + 1 + self.line_offset if lines else None)

    def problem(self, node: Node, severity, message: str, hint: str = "") -> None:
        self.problems.append(m.Problem(self.pos(node), severity, message, hint))

    # ---- blocks ----------------------------------------------------------------------------

    def blocks(self, nodes) -> tuple[m.Block, ...]:
        out = []
        for node in nodes:
            rule = self.block_rules.get(node.type)
            if rule is None:
                self.problem(node, "error", f"unsupported Markdown block {node.type!r}.",
                             "Use paragraphs, lists, quotes, code blocks, tables and images.")
                continue
            block = rule(node)
            if block is not None:
                out.append(block)
        return tuple(out)

    def paragraph(self, node: Node) -> m.Paragraph:
        inline = node.children[0] if node.children else None
        children = self.inlines(inline.token.children or (), node) if inline else ()
        return m.Paragraph(children)

    def bullet_list(self, node: Node) -> m.ListBlock:
        return m.ListBlock(False, 1, tuple(self.blocks(entry.children) for entry in node.children))

    def ordered_list(self, node: Node) -> m.ListBlock:
        start = int(node.attrs.get("start", 1))
        return m.ListBlock(True, start, tuple(self.blocks(entry.children) for entry in node.children))

    def blockquote(self, node: Node) -> m.Quote:
        return m.Quote(self.blocks(node.children))

    def code(self, node: Node) -> m.CodeBlock:
        lang = (node.info or "").split()[0] if node.type == "fence" and node.info else ""
        return m.CodeBlock(node.content.rstrip("\n"), lang)

    def table(self, node: Node) -> m.Table:
        header: tuple = ()
        rows: list = []
        for part in node.children:  # thead, tbody
            for row in part.children:
                cells = tuple(self.inlines(cell.children[0].token.children or (), cell) if cell.children else ()
                              for cell in row.children)
                if part.type == "thead":
                    header = cells
                else:
                    rows.append(cells)
        return m.Table(header, tuple(rows))

    def html_block(self, node: Node) -> None:
        self.problem(node, "error", "raw HTML is not allowed in articles; WeChat strips most of it.",
                     "Write it in Markdown instead (**bold**, *italic*, lists, > quotes).")
        return None

    def stray_heading(self, node: Node) -> None:
        if node.markup in ("-", "="):
            self.problem(node, "error", "a line of '-' or '=' right under text turns that text into a heading.",
                         "Leave a blank line between the text and '---'.")
        else:
            self.problem(node, "error", f"heading level {node.tag[1]} is not used in articles.",
                         "Use '# ' for section headings and '## ' for item headlines; "
                         "inside an item write **bold** text instead.")
        return None

    def stray_rule(self, node: Node) -> None:
        self.problem(node, "error", "a second '---' in one item.",
                     "Each item has one '---' line, between its Chinese and its English text.")
        return None

    # ---- inlines ---------------------------------------------------------------------------

    def inlines(self, tokens: list[Token], block: Node) -> tuple[m.Inline, ...]:
        """A paragraph's (or a table cell's) inline tokens as model inlines. markdown-it keeps them flat (strong_open,
        text, strong_close): what an open one holds so far is on a stack until its close. Text is kept as strings
        until _merge_text makes one Text of each run of them."""
        out: list[m.Inline | str] = []
        opened: list[tuple[Token, list[m.Inline | str]]] = []  # each open token, and the list it goes into when closed
        index, end = 0, len(tokens)
        while index < end:
            token = tokens[index]
            index += 1
            if token.nesting == 1:
                kind = token.type[:-5]  # 'strong_open' -> 'strong'
                if kind in _NESTED:
                    opened.append((token, out))
                    out = []
                    continue
                # kept as its plain text, what is inside it unread: ~~struck~~ (WeChat has no strike-through
                # worth keeping), or a kind of our own rules do not know
                close = _closing(tokens, index)
                if kind != "s":
                    self.problem(block, "warning", f"unsupported inline {kind!r} kept as plain text.")
                converted = _plain(tokens[index:close])
                index = close + 1
            elif token.nesting == -1:
                opening, parent = opened.pop()
                children, out = _merge_text(out), parent
                kind = opening.type
                if kind == "strong_open":
                    converted = m.Strong(children)
                elif kind == "em_open":
                    converted = m.Emphasis(children)
                else:
                    converted = m.Link(opening.attrs.get("href", ""), children)
            else:
                converted = self.inline(token, block)
            if converted is not None:
                out.append(converted)
        return _merge_text(out)

    def inline(self, token: Token, block: Node) -> m.Inline | str | None:
        """One inline token that opens nothing; text as a string."""
        kind = token.type
        if kind == "text":
            return token.content
        if kind == "softbreak":
            return "\n"  # resolved to a space or nothing by _merge_text
        if kind == "hardbreak":
            return m.LineBreak()
        if kind == "code_inline":
            return m.CodeSpan(token.content)
        if kind == "image":
            return self.image(token, block)
        if kind == "html_inline":
            self.problem(block, "error", f"raw HTML {token.content!r} is not allowed in articles.",
                         "Write it in Markdown instead; WeChat strips most HTML.")
            return None
        self.problem(block, "warning", f"unsupported inline {kind!r} kept as plain text.")
        return _plain(token.children or ())

    def image(self, token: Token, block: Node) -> m.Image | None:
        src = token.attrs.get("src", "")
        alt = _plain(token.children or ())  # its description's tokens
        pos = self.pos(block)
        if src.startswith("data:"):
            self.problem(block, "error", "embedded data: images are dropped by WeChat.",
                         "Save the image as a .jpg or .png file next to the article and link it by name.")
            return None
        if _URL.match(src):
            return m.Image(src, alt, None, pos)
        path = os.path.normpath(os.path.join(self.base_dir, src))
        return m.Image(src, alt, path, pos)


def _plain(tokens) -> str:
    """The words of inline tokens: their text and code, and an image's description."""
    return "".join(token.content if token.type in _WORDS else _plain(token.children or ()) for token in tokens)


def _closing(tokens: list[Token], index: int) -> int:
    """Where the token opened right before ``index`` closes."""
    depth = 1
    while True:
        depth += tokens[index].nesting
        if depth == 0:
            return index
        index += 1


def _merge_text(nodes: list[m.Inline | str]) -> tuple[m.Inline, ...]:
    """Each run of adjacent texts (strings) as one Text; a soft line break becomes a space, or nothing between CJK
    text."""
    out: list[m.Inline] = []
    run: list[str] = []
    for node in nodes:
        if type(node) is str:
            run.append(node)
            continue
        if run:
            out.append(m.Text(_resolve_softbreaks("".join(run))))
            run = []
        out.append(node)
    if run:
        out.append(m.Text(_resolve_softbreaks("".join(run))))
    return tuple(out)


def _resolve_softbreaks(text: str) -> str:
    if "\n" not in text:
        return text
    parts = text.split("\n")
    joined = parts[0]
    for part in parts[1:]:
        left, right = joined[-1:], part[:1]
        glue = "" if (left and right and is_cjk_char(left) and is_cjk_char(right)) else " "
        joined = joined.rstrip() + glue + part.lstrip() if glue == " " else joined + part
    return joined
