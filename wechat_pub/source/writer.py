"""Issue -> article file text (the format read by :mod:`wechat_pub.source.article`).

Used by the importers, so that whatever they build is saved in the same hand-editable format
the marketing team writes. ``parse_article(write_article(issue))`` gives the issue back.
"""

from __future__ import annotations

import os
import re

import yaml

from wechat_pub import model as m

_ESCAPE = re.compile(r"([\\`*_\[\]<>|]|&(?=#?\w+;))")
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])", re.M)


def write_article(issue: m.Issue, article_dir: str | None = None) -> str:
    parts = [_front_matter(issue, article_dir)]
    for section in issue.sections:
        heading = " | ".join(escape_text(t) for t in (section.heading.zh, section.heading.en) if t)
        parts.append(f"# {heading}\n")
        for item in section.items:
            parts.append(_item(item))
    return "\n".join(parts).rstrip() + "\n"


def _front_matter(issue: m.Issue, article_dir: str | None) -> str:
    data: dict = {"issue": issue.number, "date": issue.date,
                  "title": {"zh": issue.title.zh, "en": issue.title.en}}
    optional = {
        "wechat_title": issue.wechat_title,
        "author": issue.author,
        "digest": issue.digest,
        "cover": _relative(issue.cover, article_dir) if issue.cover else "",
        "publish_at": issue.publish_at or "",
        "deliver": issue.deliver,
        "send_to_tag": issue.send_to_tag,
        "source_url": issue.source_url,
    }
    data.update({key: value for key, value in optional.items() if value})
    if issue.open_comment:
        data["comments"] = "fans" if issue.fans_only_comment else "all"
    if issue.import_notes:
        data["import_notes"] = list(issue.import_notes)
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{dumped}---\n"


def _relative(path: str, article_dir: str | None) -> str:
    if article_dir and os.path.isabs(path):
        return os.path.relpath(path, article_dir)
    return path


def _item(item: m.Item) -> str:
    lines = []
    for headline in (item.headline.zh, item.headline.en):
        if headline:
            lines.append(f"## {escape_line(escape_text(headline))}")
    lines.append("")
    if item.body_zh:
        lines.append(write_blocks(item.body_zh))
    if item.body_en or (item.headline.zh and item.headline.en):
        lines.extend(["---", ""])
        if item.body_en:
            lines.append(write_blocks(item.body_en))
    if item.sources:
        links = " · ".join(_source(s) for s in item.sources)
        lines.append(f"Source: {links}\n")
    return "\n".join(lines).rstrip("\n") + "\n"


def _source(source: m.Source) -> str:
    label = escape_text(source.label) if source.label else escape_text(source.url)
    return f"[{label}](<{source.url}>)"


def write_blocks(blocks: tuple[m.Block, ...], indent: str = "") -> str:
    return "".join(_block(block, indent) for block in blocks).rstrip("\n") + "\n"


def _block(block: m.Block, indent: str) -> str:
    if isinstance(block, m.Paragraph):
        return indent + write_inlines(block.children).replace("\n", "\n" + indent) + "\n\n"
    if isinstance(block, m.ListBlock):
        out = []
        for number, entry in enumerate(block.items, start=block.start):
            marker = f"{number}. " if block.ordered else "- "
            body = write_blocks(entry, indent + " " * len(marker)).strip()
            out.append(f"{indent}{marker}{body}\n")
        return "".join(out) + "\n"
    if isinstance(block, m.Quote):
        inner = write_blocks(block.children).rstrip("\n")
        return "\n".join(f"{indent}> {line}".rstrip() for line in inner.split("\n")) + "\n\n"
    if isinstance(block, m.CodeBlock):
        return f"{indent}```{block.lang}\n{block.text}\n{indent}```\n\n"
    if isinstance(block, m.Table):
        header = "| " + " | ".join(write_inlines(c) for c in block.header) + " |"
        rule = "|" + "---|" * len(block.header)
        rows = ["| " + " | ".join(write_inlines(c) for c in row) + " |" for row in block.rows]
        return "\n".join([header, rule, *rows]) + "\n\n"
    raise TypeError(f"cannot write block {block!r}")


def write_inlines(nodes: tuple[m.Inline, ...]) -> str:
    out = []
    for node in nodes:
        if isinstance(node, m.Text):
            out.append(escape_text(node.text))
        elif isinstance(node, m.Strong):
            out.append(f"**{write_inlines(node.children)}**")
        elif isinstance(node, m.Emphasis):
            out.append(f"*{write_inlines(node.children)}*")
        elif isinstance(node, m.CodeSpan):
            fence = "``" if "`" in node.text else "`"
            out.append(f"{fence}{node.text}{fence}")
        elif isinstance(node, m.LineBreak):
            out.append("\\\n")
        elif isinstance(node, m.Link):
            out.append(f"[{write_inlines(node.children)}](<{node.href}>)")
        elif isinstance(node, m.Image):
            out.append(f"![{escape_text(node.alt)}](<{node.src}>)")
    return escape_line("".join(out))


def escape_text(text: str) -> str:
    return _ESCAPE.sub(r"\\\1", text)


def escape_line(text: str) -> str:
    """Escape what would make a line start a heading, list, quote or rule."""
    return _LINE_START.sub(lambda mt: mt.group(1) + _escape_marker(mt.group(2)), text)


def _escape_marker(marker: str) -> str:
    if marker[0].isdigit():
        return marker[:-1] + "\\" + marker[-1]
    return "\\" + marker
