"""Newsletter PDFs the tests make: an issue laid out as the publisher's PDF is (masthead, contents, sections,
items ending in "(查看更多)"/"(More)" links, disclaimer and contact block) in HTML, printed to PDF by the headless
Chromium the tests drive (``page.pdf()`` keeps every ``<a href>`` as a link annotation).

Two layouts: ``column`` (Chinese, then English, one column) and ``side`` (each item's Chinese and English side by
side). Options add a chart inside an item, a logo repeated in the masthead and footer, and running headers and page
numbers on every page."""

from __future__ import annotations

import base64
import html
import io

from wechat_pub import model as m

STYLE = """
body { font-family: 'Noto Sans CJK SC', sans-serif; font-size: 11pt; line-height: 1.5; margin: 0; }
p, h1, h2, h3, h4 { margin: 0 0 14pt 0; }
h1 { font-size: 16pt; } h2 { font-size: 14pt; } h3, h4 { font-size: 12pt; }
.side { display: grid; grid-template-columns: 1fr 1fr; column-gap: 36pt; margin-bottom: 14pt; }
.side p, .side h3, .side h4 { margin-bottom: 8pt; }
img { display: block; margin: 0 0 14pt 0; }
a { color: #1a5fb4; }
"""
HEADER = '<div style="font-size:8pt; width:100%; text-align:center;">立方观评 NEWSLETTER</div>'
FOOTER = ('<div style="font-size:8pt; width:100%; text-align:center;"><span class="pageNumber"></span> / '
          '<span class="totalPages"></span></div>')


def chart_png(width: int = 360, height: int = 200) -> bytes:
    """A bar chart (a picture with detail, as a real chart is)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for index, value in enumerate((40, 90, 150, 120, 170)):
        left = 20 + index * 66
        draw.rectangle((left, height - 10 - value, left + 44, height - 10), fill=(30 + index * 40, 90, 160))
    draw.line((10, height - 10, width - 10, height - 10), fill="black", width=2)
    return _png(image)


def logo_png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (96, 40), (200, 30, 40))
    ImageDraw.Draw(image).ellipse((8, 6, 36, 34), fill="white")
    return _png(image)


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _img(data: bytes, alt: str, width: int) -> str:
    return f'<img alt="{html.escape(alt)}" width="{width}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _text(blocks: tuple[m.Block, ...]) -> list[str]:
    return [m.plain_text((block,)) for block in blocks]


def newsletter_html(issue: m.Issue, layout: str = "column", links: dict[str, tuple[str, str]] | None = None,
                    chart_in: str = "", logo: bool = False, footer: list[str] = (), body_link: tuple = ()) -> str:
    """The issue as the publisher's PDF lays it out. ``links`` maps an item's Chinese headline to its
    (Chinese, English) "(More)" addresses; ``chart_in`` is the headline of the item that shows a chart after its
    first Chinese paragraph; ``body_link`` (words, address) makes those words of a body a link."""
    links = links or {}
    out = [f"<html><head><meta charset='utf-8'><style>{STYLE}</style></head><body>"]
    if logo:
        out.append(_img(logo_png(), "logo", 72))
    out += [f"<p>{issue.number and f'No.{issue.number}'}</p>", f"<p>{issue.date.replace('-', '.')}</p>",
            f"<h1>{html.escape(issue.title.zh)}</h1>", f"<h2>{html.escape(issue.title.en)}</h2>"]
    for section in issue.sections:  # the contents
        out.append(f"<h3>{html.escape(section.heading.zh)} {html.escape(section.heading.en)}</h3>")
        for item in section.items:
            out += [f"<p>{html.escape(head)}</p>" for head in (item.headline.zh, item.headline.en) if head]
    for section in issue.sections:
        out.append(f"<h3>{html.escape(section.heading.zh)} {html.escape(section.heading.en)}</h3>")
        for item in section.items:
            zh_url, en_url = links.get(item.headline.zh, ("", ""))
            chart = _img(chart_png(), "chart", 300) if chart_in and chart_in == item.headline.zh else ""
            zh = _half(item.headline.zh, _text(item.body_zh), zh_url, "查看更多", chart, body_link)
            en = _half(item.headline.en, _text(item.body_en), en_url, "More", "", body_link)
            out.append(f"<div class='side'><div>{zh}</div><div>{en}</div></div>" if layout == "side" else zh + en)
    out += [f"<p>{html.escape(line)}</p>" for line in footer]
    if logo:
        out.append(_img(logo_png(), "logo", 72))
    out.append("</body></html>")
    return "\n".join(out)


def _half(headline: str, paragraphs: list[str], url: str, more: str, chart: str, body_link: tuple) -> str:
    out = [f"<h4>{html.escape(headline)}</h4>"] if headline else []
    for index, text in enumerate(paragraphs):
        body = html.escape(text)
        if body_link and body_link[0] in text:
            words = html.escape(body_link[0])
            body = body.replace(words, f'<a href="{html.escape(body_link[1])}">{words}</a>', 1)
        if url and index == len(paragraphs) - 1:
            body += f'<a href="{html.escape(url)}">({more})</a>'
        out.append(f"<p>{body}</p>")
        if index == 0 and chart:
            out.append(chart)
    return "".join(out)


def print_pdf(browser, page_html: str, running: bool = False, header: str = HEADER) -> bytes:
    """``page_html`` printed to A4 by Chromium; ``running``: ``header`` and page numbers on every page."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(page_html, wait_until="load")
        options = {"format": "A4", "margin": {"top": "60px", "bottom": "60px", "left": "50px", "right": "50px"}}
        if running:
            options.update(display_header_footer=True, header_template=header, footer_template=FOOTER)
        return page.pdf(**options)
    finally:
        context.close()
