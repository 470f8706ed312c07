"""How the sandbox's pages show an article: at phone width, with the account's name and the uploaded images
(shared by the draft pages, :mod:`.pages`, and the mass-send pages, :mod:`.masspages`)."""

from __future__ import annotations

import re
from html import escape

from flask import Response

from wechat_pub.sandbox.api import state
from wechat_pub.sandbox.content import own_media_id

PHONE_CSS = """
body { margin: 0; background: #ededed; font-family: -apple-system, "PingFang SC", system-ui, "Noto Sans CJK SC",
       sans-serif; }
.bar { padding: 10px 16px; font-size: 13px; color: #555; }
.phone { width: 375px; margin: 0 auto 24px auto; background: #fff; padding: 18px 0 24px 0; }
.head { padding: 0 16px 12px 16px; }
.title { font-size: 22px; line-height: 1.4; font-weight: bold; color: #191919; margin: 0 0 8px 0; }
.meta { font-size: 14px; color: #8c8c8c; }
.body { padding: 0 8px; }
table.list { border-collapse: collapse; margin: 16px; font-size: 14px; }
table.list td, table.list th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
"""


def _local_images(html: str) -> str:
    """Point WeChat CDN addresses at the sandbox's copy, so the page shows the uploaded images."""
    def swap(match: re.Match) -> str:
        media_id = own_media_id(match.group(1))
        return f'src="/sandbox/media/{media_id}"' if media_id else match.group(0)

    return re.sub(r'src="([^"]+)"', swap, html)


def account_id(appid: str) -> str:
    account = state().settings.account(appid)
    return account.account_id if account else appid


def page(title: str, body: str) -> Response:
    html = (f"<!doctype html><html lang=zh-CN><head><meta charset=utf-8>"
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{PHONE_CSS}</style></head><body>{body}</body></html>")
    return Response(html, content_type="text/html; charset=utf-8")


def article_html(article: dict, account: str) -> str:
    return (f'<div class="phone"><div class="head"><p class="title">{escape(article["title"])}</p>'
            f'<div class="meta">{escape(article.get("author", ""))} · {escape(account)}</div></div>'
            f'<div class="body">{_local_images(article["content"])}</div></div>')
