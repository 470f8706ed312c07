"""Model nodes -> HTML with theme classes: one small function per node kind, looked up in a table.

Only WeChat's native shapes are emitted: ``section``, ``p``, ``span``, ``strong``, ``em``,
``sup``, ``img``, ``table``. Lists are paragraphs with text markers (WeChat strips the styles of
``ul/ol > li`` and mangles nesting); code keeps its line breaks as ``<br>`` and its spaces as
``&nbsp;`` (WeChat loses newlines inside ``pre``). Classes only carry the theme until the CSS is
inlined; :mod:`wechat_pub.render.article` removes them afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import Callable

from wechat_pub import model as m
from wechat_pub.render.references import References, is_wechat_link


@dataclass(frozen=True)
class ImageRef:
    """Where an image lives once uploaded, and its natural width (WeChat's ``data-w``)."""

    url: str
    width: int | None = None


@dataclass
class RenderContext:
    refs: References = field(default_factory=References)
    images: dict[str, ImageRef] = field(default_factory=dict)  # by Image.src
    language: str = "zh"  # of the body being rendered


# A run of Latin words inside Chinese text: EDPB, App, European Data Protection Board. Split on (the group keeps
# the runs), the text is [Chinese, run, Chinese, run, …, Chinese].
_LATIN_RUN = re.compile(r"([A-Za-z][A-Za-z0-9&'’.\- ]*[A-Za-z0-9]|[A-Za-z])")


def latin_runs(text: str) -> str:
    """Chinese ``text``, escaped, with its Latin runs marked so the Chinese letter-spacing skips them."""
    parts = _LATIN_RUN.split(text)
    if "&" in text or "<" in text or ">" in text:  # what escape changes: almost no text has any
        parts = [escape(part, quote=False) for part in parts]
    parts[1::2] = [f'<span class="latin">{run}</span>' for run in parts[1::2]]
    return "".join(parts)


def render_blocks(blocks, ctx: RenderContext, depth: int = 0) -> str:
    return "".join(BLOCK_RULES[type(block)](block, ctx, depth) for block in blocks)


def render_inlines(nodes, ctx: RenderContext) -> str:
    return "".join(INLINE_RULES[type(node)](node, ctx) for node in nodes)


# ---- blocks -----------------------------------------------------------------------------------


def paragraph(block: m.Paragraph, ctx: RenderContext, depth: int) -> str:
    if len(block.children) == 1 and isinstance(block.children[0], m.Image):
        return figure(block.children[0], ctx)
    return f"<p>{render_inlines(block.children, ctx)}</p>"


def list_block(block: m.ListBlock, ctx: RenderContext, depth: int) -> str:
    nested = " list-nested" if depth else ""
    entries = []
    for number, entry in enumerate(block.items, start=block.start):
        marker = f"{number}." if block.ordered else "•"
        entries.append(list_entry(entry, marker, ctx, depth))
    return f'<section class="list{nested}">{"".join(entries)}</section>'


def list_entry(entry: tuple[m.Block, ...], marker: str, ctx: RenderContext, depth: int) -> str:
    """First paragraph carries the marker; nested lists and later blocks follow as siblings."""
    head, rest = (entry[0], entry[1:]) if entry and isinstance(entry[0], m.Paragraph) else (None, entry)
    text = render_inlines(head.children, ctx) if head else ""
    out = f'<p class="list-entry"><span class="list-marker">{escape(marker)}&nbsp;</span>{text}</p>'
    if rest:
        out += f'<section class="list-nested">{render_blocks(rest, ctx, depth + 1)}</section>'
    return out


def quote(block: m.Quote, ctx: RenderContext, depth: int) -> str:
    return f'<section class="quote">{render_blocks(block.children, ctx, depth)}</section>'


def code_block(block: m.CodeBlock, ctx: RenderContext, depth: int) -> str:
    lines = [escape(line).replace("\t", "    ").replace(" ", "&nbsp;") for line in block.text.split("\n")]
    return f'<section class="code"><span>{"<br>".join(lines)}</span></section>'


def table(block: m.Table, ctx: RenderContext, depth: int) -> str:
    head = "".join(f"<th>{render_inlines(cell, ctx)}</th>" for cell in block.header)
    rows = "".join("<tr>" + "".join(f"<td>{render_inlines(cell, ctx)}</td>" for cell in row) + "</tr>"
                   for row in block.rows)
    return f'<section class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></section>'


BLOCK_RULES: dict[type, Callable[..., str]] = {
    m.Paragraph: paragraph,
    m.ListBlock: list_block,
    m.Quote: quote,
    m.CodeBlock: code_block,
    m.Table: table,
}


# ---- inlines ----------------------------------------------------------------------------------


def text(node: m.Text, ctx: RenderContext) -> str:
    return latin_runs(node.text) if ctx.language == "zh" else escape(node.text, quote=False)


def strong(node: m.Strong, ctx: RenderContext) -> str:
    return f"<strong>{render_inlines(node.children, ctx)}</strong>"


def emphasis(node: m.Emphasis, ctx: RenderContext) -> str:
    return f"<em>{render_inlines(node.children, ctx)}</em>"


def code_span(node: m.CodeSpan, ctx: RenderContext) -> str:
    return f'<span class="inline-code">{escape(node.text, quote=False)}</span>'


def line_break(node: m.LineBreak, ctx: RenderContext) -> str:
    return "<br>"


def link(node: m.Link, ctx: RenderContext) -> str:
    inner = render_inlines(node.children, ctx)
    if is_wechat_link(node.href):
        return f'<a href="{escape(node.href)}">{inner}</a>'
    if node.href.startswith("#") or not node.href:
        return inner  # WeChat refuses anchors; the text alone reads fine
    number = ctx.refs.number(node.href, m.plain_text(node.children))
    return f"{inner}<sup>[{number}]</sup>"


def image(node: m.Image, ctx: RenderContext) -> str:
    ref = ctx.images.get(node.src)
    src = ref.url if ref else node.src
    width = f' data-w="{ref.width}"' if ref and ref.width else ""
    return f'<img src="{escape(src)}" alt="{escape(node.alt)}"{width}>'


def figure(node: m.Image, ctx: RenderContext) -> str:
    caption = f'<p class="caption">{escape(node.alt)}</p>' if node.alt else ""
    return f'<section class="figure">{image(node, ctx)}{caption}</section>'


INLINE_RULES: dict[type, Callable[..., str]] = {
    m.Text: text,
    m.Strong: strong,
    m.Emphasis: emphasis,
    m.CodeSpan: code_span,
    m.LineBreak: line_break,
    m.Link: link,
    m.Image: image,
}
