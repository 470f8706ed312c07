"""What a push writes into and reads out of its articles: the push marker (a data- attribute WeChat keeps, by which
a draft or a published article whose answer was lost is found again), the fingerprint of what was sent, and which
article is too long when WeChat says only "too long" (45002)."""

from __future__ import annotations

import hashlib
import json

from wechat_pub.wechat.errors import WeChatAPIError


def too_long(exc: WeChatAPIError, articles: list[dict]) -> WeChatAPIError:
    """45002 names no article: say which one is the longest, and by how much."""
    if not articles:
        return exc
    index, longest = max(enumerate(articles, start=1), key=lambda pair: len(pair[1]["content"]))
    size = len(longest["content"])
    return WeChatAPIError(exc.errcode, exc.errmsg, exc.endpoint,
                          f"article {index} of {len(articles)}, {longest['title']!r}, has {size:,} characters "
                          f"and {len(longest['content'].encode()):,} bytes")


def digest(articles: list[dict]) -> str:
    return hashlib.sha256(json.dumps(articles, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def marker_for(appid: str, issue: int, content_hash: str) -> str:
    return f"{appid}:{issue}:{content_hash[:16]}"


def with_marker(articles: list[dict], marker: str) -> list[dict]:
    """Tag each article's root element with the push marker (a data- attribute WeChat keeps)."""
    return [{**a, "content": a["content"].replace("<section ", f'<section data-wechat-pub="{marker}" ', 1)}
            for a in articles]
