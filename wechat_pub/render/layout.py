"""The parts of an article page, as HTML with theme classes: masthead, series box, contents, sections
and items, references and the publisher's footer.

Every bilingual text comes in the issue's reading order: the lead language (``theme.lead_language``)
first, in the larger type, the other after it. Text in a language carries ``zh`` or ``en``: Chinese
gets its letter-spacing and strict line breaking (no opening bracket or quote left at a line end), Latin
text none.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from wechat_pub import model as m
from wechat_pub.render.references import References, is_wechat_link
from wechat_pub.render.rules import ImageRef, RenderContext, latin_runs, render_blocks

LABELS = {
    "contents": {"zh": "本期目录", "en": "Contents"},
    "references": {"zh": "参考链接", "en": "References"},
    "more": {"zh": "查看更多", "en": "More"},
    "this_part": {"zh": "本篇", "en": "this part"},
}
QR_PROMPT = re.compile(r"扫码|二维码|QR", re.I)
HAN = re.compile(r"[\u3400-\u9fff]")
_SEPARATOR = re.compile(r"(\s*[|｜·]\s*)")
# A contact entry longer than this may wrap: it would not fit a phone line (343 px of 12 px text) anyway.
_ENTRY_MAX = 40
_HAN_ENTRY_MAX = 16


def languages(lead: str) -> tuple[str, str]:
    """The reading order: the lead language first."""
    return ("en", "zh") if lead == "en" else ("zh", "en")


def ordered(pair: m.Bilingual, lead: str) -> list[tuple[str, str]]:
    """(language, text) of a bilingual text, lead language first, empty sides left out."""
    return [(lang, getattr(pair, lang)) for lang in languages(lead) if getattr(pair, lang)]


def text_in(lang: str, text: str) -> str:
    """Escaped text; in Chinese, its Latin runs (EDPB, App) are kept free of the Chinese letter-spacing."""
    return latin_runs(text) if lang == "zh" else escape(text, quote=False)


def label(key: str, lead: str) -> str:
    return " | ".join(LABELS[key][lang] for lang in languages(lead))


# ---- the top of the page ----------------------------------------------------------------------


def masthead(issue: m.Issue, brand: str, lead: str, article_title: str) -> str:
    """Brand, issue number and date, and the issue's titles; a title that WeChat already shows right above
    (in the article's own title) is not repeated, so the news starts sooner."""
    lines = [f'<p class="brand">{escape(brand)}</p>' if brand else ""]
    lines.append(f'<p class="issue-line">第{issue.number}期 · No.{issue.number} · {escape(issue.display_date)}</p>')
    for role, (lang, text) in zip(("title-lead", "title-second"), ordered(issue.title, lead)):
        if text not in article_title:
            lines.append(f'<p class="{role} {lang}">{text_in(lang, text)}</p>')
    return f'<section class="masthead">{"".join(lines)}</section>'


def series(parts: tuple[m.Bilingual, ...], index: int, lead: str) -> str:
    """A split issue: which part this is, and what the others hold."""
    if len(parts) < 2:
        return ""
    total = len(parts)
    title = (f"本期分 {total} 篇 · This issue comes in {total} parts" if lead == "zh"
             else f"This issue comes in {total} parts · 本期分 {total} 篇")
    rows = [f'<p class="series-title">{escape(title)}</p>']
    for number, names in enumerate(parts, start=1):
        shown = " ".join(text_in(lang, text) for lang, text in ordered(names, lead))
        if number == index:
            rows.append(f'<p class="series-part series-current">{number}/{total}&nbsp; {shown}'
                        f'（{escape(label("this_part", lead))}）</p>')
        else:
            rows.append(f'<p class="series-part">{number}/{total}&nbsp; {shown}</p>')
    return f'<section class="series">{"".join(rows)}</section>'


def table_of_contents(sections, lead: str) -> str:
    """Compact: each item's lead headline in full, the other language on one line (cut with an
    ellipsis), so the news starts within the first screen and a half."""
    out = [f'<p class="toc-title">{escape(label("contents", lead))}</p>']
    for section, entries in sections:
        out.append(f'<p class="toc-heading">{escape(" | ".join(t for _, t in ordered(section.heading, lead)))}</p>')
        for entry in entries:
            sides = ordered(entry.item.headline, lead)
            (lang, first), rest = sides[0], sides[1:]
            second = "".join(f'<span class="toc-second {other}">{text_in(other, text)}</span>' for other, text in rest)
            out.append(f'<p class="toc-entry"><span class="toc-num">{entry.number:02d}</span>&nbsp;'
                       f'<span class="{lang}">{text_in(lang, first)}</span>{second}</p>')
    return f'<section class="toc">{"".join(out)}</section>'


# ---- sections and items -----------------------------------------------------------------------


def section_html(section: m.Section, entries, ctx: RenderContext, lead: str) -> str:
    """The section's name on one line: the lead language large, the other beside it."""
    names = "".join(f'<span class="{role} {lang}">{text_in(lang, text)}</span>'
                    for role, (lang, text) in zip(("section-lead", "section-second"), ordered(section.heading, lead)))
    items = "".join(item_html(entry, ctx, lead) for entry in entries)
    return (f'<section class="section"><section class="section-heading"><p class="section-name">{names}</p>'
            f'</section>{items}</section>')


def item_html(entry, ctx: RenderContext, lead: str) -> str:
    item = entry.item
    out = []
    number = f'<span class="headline-num">{entry.number:02d}&nbsp;</span>'
    for role, (lang, text) in zip(("headline-lead", "headline-second"), ordered(item.headline, lead)):
        out.append(f'<p class="{role} {lang}">{number}{text_in(lang, text)}</p>')
        number = ""
    bodies = [(lang, item.body_zh if lang == "zh" else item.body_en) for lang in languages(lead)]
    shown = [(lang, body) for lang, body in bodies if body or (item.sources and lang in item.languages)]
    for role, (lang, body) in zip(("body-lead", "body-second"), shown):
        ctx.language = lang
        out.append(f'<section class="{role} {lang}">{render_blocks(body, ctx)}'
                   f'{more_marker(item, LABELS["more"][lang], ctx)}</section>')
    return f'<section class="item">{"".join(out)}</section>'


def more_marker(item: m.Item, text: str, ctx: RenderContext) -> str:
    """'查看更多 [1]': where the item's sources are listed (outside links cannot be tapped in WeChat, so
    this is a reference mark, not a link); links to WeChat articles stay real links."""
    if not item.sources:
        return ""
    title = item.headline.zh or item.headline.en
    outside = [s for s in item.sources if not is_wechat_link(s.url)]
    inside = [s for s in item.sources if is_wechat_link(s.url)]
    marks = "".join(f"[{ctx.refs.number(s.url, s.label or title)}]" for s in outside)
    shown = f'{escape(text)} <span class="more-ref">{marks}</span>' if marks else ""
    links = " · ".join(f'<a href="{escape(s.url)}">{escape(s.label or s.url)}</a>' for s in inside)
    return f'<p class="more">{" · ".join(part for part in (shown, links) if part)}</p>'


# ---- the end of the page ----------------------------------------------------------------------


def references_html(refs: References, lead: str) -> str:
    if not refs.entries:
        return ""
    rows = []
    for number, (url, name) in enumerate(refs.entries, start=1):
        text = f"{escape(name)}: {escape(url)}" if name and name != url else escape(url)
        rows.append(f'<p class="ref">[{number}] {text}</p>')
    return (f'<section class="refs"><p class="refs-title">{escape(label("references", lead))}</p>'
            f'{"".join(rows)}</section>')


def footer(publisher, images: dict[str, ImageRef]) -> str:
    return _footer(publisher, images.get(publisher.qr_code) if publisher.qr_code else None)


@lru_cache(maxsize=64)  # the same for every article of a publisher, and the splitter renders a dozen trial articles
def _footer(publisher, qr: ImageRef | None) -> str:
    parts = [f'<p class="disclaimer {lang}">{text_in(lang, text)}</p>'
             for lang, text in (("zh", publisher.disclaimer_zh), ("en", publisher.disclaimer_en)) if text]
    qr = qr_code(publisher.qr_code, {publisher.qr_code: qr} if qr else {})
    lines = [contact_line(line) for line in publisher.contact]
    # The QR code goes right after the line that asks to scan it (扫码关注), else at the end.
    at = next((i + 1 for i, line in enumerate(publisher.contact) if QR_PROMPT.search(line)), len(lines))
    before, after = lines[:at], lines[at:]
    if before:
        parts.append(f'<p class="contact">{"<br>".join(before)}</p>')
    parts.append(qr)
    if after:
        parts.append(f'<p class="contact">{"<br>".join(after)}</p>')
    body = "".join(parts)
    return f'<section class="footer">{body}</section>' if body else ""


def contact_line(line: str) -> str:
    """Entries ('深圳', 'Email: info@…') never break inside, and the last two stay together, so no entry ends
    alone on a line of its own ('Shenzhen |' / 'Korea')."""
    pieces = [piece for piece in _SEPARATOR.split(line) if piece]
    html = [escape(piece) if _SEPARATOR.fullmatch(piece) else _entry(piece) for piece in pieces]
    if len(pieces) >= 3 and not _SEPARATOR.fullmatch(pieces[-1]) and len(pieces[-1] + pieces[-3]) <= _HAN_ENTRY_MAX:
        glued = f"{pieces[-3]}{pieces[-2]}{pieces[-1]}"
        html[-3:] = [f'<span class="entry">{escape(glued).replace(" ", "&nbsp;")}</span>']
    return "".join(html)


def _entry(text: str) -> str:
    """One entry kept on one line: Latin words joined by no-break spaces; Chinese (which may break between any
    two characters) in a no-wrap span. A long entry would not fit a phone line anyway: it may wrap."""
    if HAN.search(text):
        return f'<span class="entry">{escape(text)}</span>' if len(text) <= _HAN_ENTRY_MAX else escape(text)
    return escape(text).replace(" ", "&nbsp;") if len(text) <= _ENTRY_MAX else escape(text)


def qr_code(path: str, images: dict[str, ImageRef]) -> str:
    if not path:
        return ""
    ref = images.get(path)
    src = ref.url if ref else path
    width = f' data-w="{ref.width}"' if ref and ref.width else ""
    return f'<section class="qr"><img src="{escape(src)}" alt="QR code"{width}></section>'
