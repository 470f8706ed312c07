"""Assemble one WeChat article from (part of) an issue and inline its theme.

An article is: a bilingual masthead, a bilingual table of contents, the sections with their
items (Chinese first, English visually secondary), the numbered references, and the
publisher's disclaimer and contact footer. The HTML is built with theme classes, the theme's
CSS is inlined with css-inline, and the classes are removed: WeChat keeps only ``style``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

import css_inline

from wechat_pub import model as m
from wechat_pub.render.references import References, is_wechat_link
from wechat_pub.render.rules import ImageRef, RenderContext, render_blocks
from wechat_pub.render.theme import Theme, load_theme

_CLASS_ATTR = re.compile(r' class="[^"]*"')
_STYLE_ATTR = re.compile(r'style="([^"]*)"')


@dataclass(frozen=True)
class Publisher:
    name_zh: str = ""
    name_en: str = ""
    newsletter_zh: str = ""
    newsletter_en: str = ""
    author: str = ""
    disclaimer_zh: str = ""
    disclaimer_en: str = ""
    contact: tuple[str, ...] = ()

    @property
    def brand(self) -> str:
        """The masthead's brand line (also on generated covers): the newsletter's names, else the publisher's."""
        names = " · ".join(t for t in (self.newsletter_zh, self.newsletter_en) if t)
        return names or " · ".join(t for t in (self.name_zh, self.name_en) if t)


@dataclass(frozen=True)
class RenderOptions:
    theme: Theme = field(default_factory=load_theme)
    publisher: Publisher = field(default_factory=Publisher)
    images: dict[str, ImageRef] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class NumberedItem:
    number: int  # position in the whole issue, 1-based, so split articles keep the numbering
    item: m.Item


@dataclass(frozen=True)
class Part:
    """The sections (each with some of its items) that go into one WeChat article."""

    sections: tuple[tuple[m.Section, tuple[NumberedItem, ...]], ...]
    index: int = 1
    total: int = 1
    title_suffix: str = ""  # set by the splitter: "｜海外动态" or "（2/3）"


@dataclass(frozen=True)
class RenderedArticle:
    title: str
    author: str
    digest: str
    content: str
    content_source_url: str
    need_open_comment: int
    only_fans_can_comment: int
    part: Part
    references: tuple[tuple[str, str], ...] = ()

    def payload(self) -> dict:
        """The article object of WeChat's ``draft/add`` (cover fields are the push step's)."""
        return {
            "title": self.title,
            "author": self.author,
            "digest": self.digest,
            "content": self.content,
            "content_source_url": self.content_source_url,
            "need_open_comment": self.need_open_comment,
            "only_fans_can_comment": self.only_fans_can_comment,
        }


def whole_issue(issue: m.Issue) -> Part:
    return Part(numbered_sections(issue))


def numbered_sections(issue: m.Issue) -> tuple[tuple[m.Section, tuple[NumberedItem, ...]], ...]:
    out, number = [], 0
    for section in issue.sections:
        entries = []
        for item in section.items:
            number += 1
            entries.append(NumberedItem(number, item))
        out.append((section, tuple(entries)))
    return tuple(out)


def render_article(issue: m.Issue, part: Part, options: RenderOptions) -> RenderedArticle:
    ctx = RenderContext(References(), dict(options.images))
    body = "".join([
        masthead(issue, part, options.publisher),
        table_of_contents(part),
        *(section_html(section, entries, ctx) for section, entries in part.sections),
        references_html(ctx.refs),
        footer(options.publisher),
    ])
    html = inline_theme(f'<section class="wp-root">{body}</section>', options.theme)
    return RenderedArticle(
        title=article_title(issue, part),
        author=issue.author or options.publisher.author,
        digest=article_digest(issue, part),
        content=html,
        content_source_url=issue.source_url,
        need_open_comment=int(issue.open_comment),
        only_fans_can_comment=int(issue.fans_only_comment),
        part=part,
        references=tuple(ctx.refs.entries),
    )


def inline_theme(html: str, theme: Theme) -> str:
    inlined = css_inline.inline_fragment(html, theme.css)
    return _STYLE_ATTR.sub(_compact_style, _CLASS_ATTR.sub("", inlined))


def _compact_style(match: re.Match) -> str:
    """Keep the last value of each property (the cascade's winner) and drop spaces: every
    character counts against WeChat's 20,000."""
    declarations: dict[str, str] = {}
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        if name.strip() and value.strip():
            declarations.pop(name.strip(), None)
            declarations[name.strip()] = value.strip()
    return 'style="' + ";".join(f"{k}:{v}" for k, v in declarations.items()) + '"'


# ---- titles and digests -------------------------------------------------------------------------


def base_title(issue: m.Issue) -> str:
    return issue.wechat_title or f"{issue.title.zh or issue.title.en}｜第{issue.number}期"


def article_title(issue: m.Issue, part: Part) -> str:
    return base_title(issue) + part.title_suffix


def section_names(part: Part) -> str:
    return "·".join(section.heading.zh or section.heading.en for section, _ in part.sections)


def article_digest(issue: m.Issue, part: Part, limit: int = 120) -> str:
    """The digest: the issue's own, else the item headlines. WeChat keeps digests of single articles only."""
    if part.total > 1:
        return ""
    if issue.digest:
        return issue.digest
    heads = [n.item.headline.zh or n.item.headline.en for _, entries in part.sections for n in entries]
    text = "本期：" + "；".join(heads)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- parts of the page --------------------------------------------------------------------------


def masthead(issue: m.Issue, part: Part, publisher: Publisher) -> str:
    brand = publisher.brand
    lines = [f'<p class="brand">{escape(brand)}</p>' if brand else ""]
    lines.append(f'<p class="issue-line">第{issue.number}期 · No.{issue.number} · {escape(issue.display_date)}</p>')
    if issue.title.zh:
        lines.append(f'<p class="title-zh">{escape(issue.title.zh)}</p>')
    if issue.title.en:
        lines.append(f'<p class="title-en">{escape(issue.title.en)}</p>')
    if part.total > 1:
        lines.append(f'<p class="part">第 {part.index}/{part.total} 篇 · Part {part.index} of {part.total}</p>')
    return f'<section class="masthead">{"".join(lines)}</section>'


def table_of_contents(part: Part) -> str:
    out = ['<p class="toc-title">本期目录 | Contents</p>']
    for section, entries in part.sections:
        out.append(f'<p class="toc-heading">{escape(section.heading.joined())}</p>')
        for entry in entries:
            head = entry.item.headline
            first, second = (head.zh, head.en) if head.zh else (head.en, "")
            en = f'<br><span class="toc-en">{escape(second)}</span>' if second else ""
            out.append(f'<p class="toc-entry"><span class="toc-num">{entry.number:02d}</span>&nbsp;'
                       f"{escape(first)}{en}</p>")
    return f'<section class="toc">{"".join(out)}</section>'


def section_html(section: m.Section, entries: tuple[NumberedItem, ...], ctx: RenderContext) -> str:
    heading = ""
    if section.heading.zh:
        heading += f'<p class="section-zh">{escape(section.heading.zh)}</p>'
    if section.heading.en:
        heading += f'<p class="section-en">{escape(section.heading.en.upper())}</p>'
    items = "".join(item_html(entry, ctx) for entry in entries)
    return f'<section class="section"><section class="section-heading">{heading}</section>{items}</section>'


def item_html(entry: NumberedItem, ctx: RenderContext) -> str:
    item = entry.item
    number = f'<span class="headline-num">{entry.number:02d}&nbsp;</span>'
    out = []
    if item.headline.zh:
        out.append(f'<p class="headline-zh">{number}{escape(item.headline.zh)}</p>')
        number = ""
    if item.headline.en:
        cls = "headline-en" if item.headline.zh else "headline-zh"
        out.append(f'<p class="{cls}">{number}{escape(item.headline.en)}</p>')
    if item.body_zh or (item.sources and "zh" in item.languages):
        out.append(f'<section class="body-zh">{render_blocks(item.body_zh, ctx)}'
                   f'{more_link(item, "查看更多", ctx)}</section>')
    if item.body_en or (item.sources and item.languages == ("en",)):
        out.append(f'<section class="body-en">{render_blocks(item.body_en, ctx)}'
                   f'{more_link(item, "More", ctx)}</section>')
    return f'<section class="item">{"".join(out)}</section>'


def more_link(item: m.Item, label: str, ctx: RenderContext) -> str:
    """'查看更多 [1]': outside sources are references; WeChat articles stay real links."""
    if not item.sources:
        return ""
    title = item.headline.zh or item.headline.en
    outside = [s for s in item.sources if not is_wechat_link(s.url)]
    inside = [s for s in item.sources if is_wechat_link(s.url)]
    marks = "".join(f"[{ctx.refs.number(s.url, s.label or title)}]" for s in outside)
    text = f"{label}<sup>{marks}</sup>" if marks else label
    links = "".join(f' · <a href="{escape(s.url)}">{escape(s.label or s.url)}</a>' for s in inside)
    return f'<p class="more">{text}{links}</p>'


def references_html(refs: References) -> str:
    if not refs.entries:
        return ""
    rows = []
    for number, (url, label) in enumerate(refs.entries, start=1):
        text = f"{escape(label)}: {escape(url)}" if label and label != url else escape(url)
        rows.append(f'<p class="ref">[{number}] {text}</p>')
    return f'<section class="refs"><p class="refs-title">参考链接 | References</p>{"".join(rows)}</section>'


def footer(publisher: Publisher) -> str:
    parts = [f'<p class="disclaimer">{escape(text)}</p>'
             for text in (publisher.disclaimer_zh, publisher.disclaimer_en) if text]
    if publisher.contact:
        lines = "<br>".join(escape(line) for line in publisher.contact)
        parts.append(f'<p class="contact">{lines}</p>')
    return f'<section class="footer">{"".join(parts)}</section>' if parts else ""
