"""Assemble one WeChat article from (part of) an issue and inline its theme.

An article is: a bilingual masthead, for a split issue the series box (which part this is, what the
others hold), a compact table of contents, the sections with their items (the lead language first),
the numbered references, and the publisher's disclaimer, contact lines and QR code. The parts are
built by :mod:`wechat_pub.render.layout` with theme classes; the theme's CSS is inlined with css-inline,
and the classes are removed: WeChat keeps only ``style``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import css_inline

from wechat_pub import model as m
from wechat_pub.render.layout import footer, masthead, references_html, section_html, series, table_of_contents
from wechat_pub.render.options import RenderOptions
from wechat_pub.render.references import References
from wechat_pub.render.rules import RenderContext
from wechat_pub.render.theme import Theme
from wechat_pub.render.titles import base_title, issue_digest

# css-inline writes each element's style compact ("margin:0;color:#333": one value per property, the cascade's
# winner, no spaces, no trailing ";"): every character counts against WeChat's 20,000. Made once: the options are
# the same for every article.
_INLINER = css_inline.CSSInliner(minify_css=True)
# The class attributes go once the CSS is inlined (WeChat keeps only style): one C-level pass, no callback.
_CLASS = re.compile(r' class="[^"]*"(?=[^<>]*>)')  # in a tag (text's < and > are escaped): typed text keeps its own


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
    title: str = ""  # set by the splitter for each part of a split issue
    series: tuple[m.Bilingual, ...] = ()  # what each part of a split issue holds, in order


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
    lead = options.lead_language
    title = part.title or base_title(issue)
    body = "".join([
        masthead(issue, options.publisher.brand, lead, title),
        series(part.series, part.index, lead),
        table_of_contents(part.sections, lead),
        *(section_html(section, entries, ctx, lead) for section, entries in part.sections),
        references_html(ctx.refs, lead),
        footer(options.publisher, ctx.images),
    ])
    html = inline_theme(f'<section class="wp-root">{body}</section>', options.theme)
    headlines = [n.item.headline.zh or n.item.headline.en for _, entries in part.sections for n in entries]
    return RenderedArticle(
        title=title,
        author=issue.author or options.publisher.author,
        digest=issue_digest(issue, headlines) if part.total == 1 else "",
        content=html,
        content_source_url=issue.source_url,
        need_open_comment=int(issue.open_comment),
        only_fans_can_comment=int(issue.fans_only_comment),
        part=part,
        references=tuple(ctx.refs.entries),
    )


def inline_theme(html: str, theme: Theme) -> str:
    return _CLASS.sub("", _INLINER.inline_fragment(html, theme.css))
