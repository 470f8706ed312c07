"""Preview: each article at phone width (375 px), in light and in dark mode, side by side.

The page wraps the exact HTML that would be pushed (images shown from the local files) in a
frame that looks like WeChat's article view (its padding and fonts). Dark mode is painted by
:mod:`wechat_pub.render.darkmode`, which applies WeChat's own dark-mode rules.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from html import escape

from wechat_pub import model as m
from wechat_pub.publish.planned import placeholder
from wechat_pub.render.darkmode import to_dark
from wechat_pub.render.options import RenderOptions
from wechat_pub.render.rules import ImageRef
from wechat_pub.render.split import RenderResult, render_issue
from wechat_pub.source.images import ImageFile, image_folders, open_image

PHONE_WIDTH = 375

# WeChat's reader: the article column has 20px 16px of padding, and text is set in WeChat's own stack
# (PingFang SC and the system's fonts on the phone). On Linux, where neither exists, Noto Sans CJK SC
# stands in for both scripts (its Latin is a plain sans close to the phone's), before system-ui, which
# would give Latin text DejaVu.
READER_FONTS = ('"mp-quote", "PingFang SC", -apple-system, BlinkMacSystemFont, "Helvetica Neue", '
                '"Hiragino Sans GB", "Microsoft YaHei UI", "Microsoft YaHei", "Noto Sans CJK SC", '
                '"Source Han Sans SC", system-ui, Arial, sans-serif')

PAGE_CSS = """
body { margin: 0; padding: 24px; background: #e9e9ec; font-family: %(fonts)s; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px 0; }
.meta { font-size: 13px; color: #555; margin: 0 0 20px 0; }
.article-row { display: flex; gap: 32px; flex-wrap: wrap; margin-bottom: 40px; align-items: flex-start; }
.phone { box-sizing: border-box; width: 375px; flex: 0 0 375px; border-radius: 28px; padding: 20px 16px;
         box-shadow: 0 4px 18px rgba(0,0,0,.18); font-family: %(fonts)s; }
.phone.light { background: #ffffff; color: #191919; }
.phone.dark { background: #191919; color: #a3a3a3; }
.label { font-size: 12px; text-align: center; color: #888; margin-bottom: 6px; }
.wx-head { padding: 0 0 20px 0; }
.wx-title { font-size: 22px; line-height: 1.4; font-weight: bold; margin: 0 0 12px 0; }
.light .wx-title { color: #191919; }
.dark .wx-title { color: #c8c8c8; }
.wx-meta { font-size: 15px; color: #8c8c8c; }
.wx-meta .account { color: #576b95; }
.wx-body { padding: 0; }
.problems { background: #fff4e5; border: 1px solid #f0b866; padding: 10px 14px; font-size: 13px; margin-bottom: 24px; white-space: pre-wrap; }
/* narrower than a phone and its margins (the console's editor on a phone): the phone is the whole width */
@media (max-width: 422px) { body { padding: 12px 0; } h1, .meta { padding: 0 12px; }
  .article-row > div { flex: 1 1 100%%; min-width: 0; } .phone { width: 100%%; border-radius: 0; } }
""" % {"fonts": READER_FONTS}

def embedded_images(issue: m.Issue, options: RenderOptions) -> dict[str, ImageRef]:
    """Local images (and the footer's QR code) as data URIs, for the preview page only (WeChat drops data: images).
    Each goes through :func:`~wechat_pub.source.images.open_image`: a file the article may not show, or one that
    is not a JPEG, PNG or GIF, is left out (`check` lists why), never embedded."""
    allowed = image_folders(issue.path, options.image_folders)
    files = {node.src: (node.path, allowed) for item in issue.items for body in (item.body_zh, item.body_en)
             for node in m.walk_inlines(body) if isinstance(node, m.Image) and node.path}
    qr_code = options.publisher.qr_code
    if qr_code:  # a setting: the file its owner named
        files[qr_code] = (qr_code, image_folders(qr_code))
    images: dict[str, ImageRef] = {}
    for src, (path, folders) in files.items():
        opened = open_image(path, src, folders)
        if isinstance(opened, ImageFile):
            images[src] = ImageRef(f"data:{opened.mime};base64,{base64.b64encode(opened.data).decode()}")
        else:  # shown broken, named as `render` names it: never by a path of this machine
            images[src] = placeholder(path, issue.path)
    return images


def preview_page(issue: m.Issue, options: RenderOptions, account: str = "", notes: str = "",
                 rendered: RenderResult | None = None) -> str:
    """``rendered``: the issue as already rendered with ``options`` (`check` renders it), used when showing its
    images changes nothing (no local image, no QR code): the page's render would be the same. Otherwise it
    cannot serve: an embedded image makes an article longer (and may split the issue differently)."""
    images = embedded_images(issue, options)
    if rendered is None or images != options.images:
        rendered = render_issue(issue, replace(options, images=images))
    rows = [_article_row(article, account, issue) for article in rendered.articles]
    problems = "\n".join(str(p) for p in rendered.problems)
    banner = f'<div class="problems">{escape(problems)}</div>' if problems else ""
    note = f'<div class="problems">{escape(notes)}</div>' if notes else ""
    title = escape(f"No.{issue.number} {issue.title.joined()}")
    return (
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>Preview · {title}</title><style>{PAGE_CSS}</style></head><body>"
        f"<h1>{title}</h1><p class=\"meta\">{len(rendered.articles)} article(s) · {escape(rendered.split_summary)} · "
        f"theme {escape(options.theme.name)} · phone width {PHONE_WIDTH}px</p>"
        f"{banner}{note}{''.join(rows)}</body></html>"
    )


def _article_row(article, account: str, issue: m.Issue) -> str:
    frames = [_phone(article, account, issue, "light", article.content),
              _phone(article, account, issue, "dark", to_dark(article.content))]
    return f'<section class="article-row" data-article="{article.part.index}">{"".join(frames)}</section>'


def _phone(article, account: str, issue: m.Issue, mode: str, content: str) -> str:
    label = {"light": "浅色 Light", "dark": "深色 Dark"}[mode]
    author = escape(article.author)
    return (
        f'<div><div class="label">Article {article.part.index} · {label}</div>'
        f'<div class="phone {mode}" data-mode="{mode}">'
        f'<div class="wx-head"><p class="wx-title">{escape(article.title)}</p>'
        f'<div class="wx-meta">{author}&nbsp; <span class="account">{escape(account)}</span>&nbsp; '
        f"{escape(issue.display_date)}</div></div>"
        f'<div class="wx-body">{content}</div></div></div>'
    )


def create_preview_app(load_issue, options: RenderOptions, account: str = ""):
    """`wechat-pub preview --serve`: the preview page, rebuilt from the article file on every reload, so
    edits show at once; an article with errors shows them in the page, and the server keeps serving.
    ``load_issue()`` reads the article (raising WechatPubError on errors)."""
    from flask import Flask

    from wechat_pub.errors import WechatPubError

    app = Flask("wechat_pub.preview")

    @app.get("/")
    def page():
        try:
            return preview_page(load_issue(), options, account)
        except WechatPubError as exc:
            return f"<!doctype html><meta charset=utf-8><pre>{escape(str(exc))}</pre>", 422

    return app
