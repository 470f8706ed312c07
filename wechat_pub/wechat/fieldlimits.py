"""45003 (title), 45110 (author), 45004 (digest): WeChat names neither the article nor the length. Say which
field, in which article, how long it is in characters and in UTF-8 bytes (WeChat may count either), and what to
shorten."""

from __future__ import annotations

from wechat_pub.limits import FIELD_ERRORS, FRONT_MATTER_KEYS, length_of
from wechat_pub.wechat.errors import WeChatAPIError

FIELD_OF = {code: name for name, code in FIELD_ERRORS.items()}


def explain_field_error(exc: WeChatAPIError, articles: list[dict]) -> WeChatAPIError:
    """The error with the longest value of the refused field named (an error of another code is returned as is)."""
    name = FIELD_OF.get(exc.errcode)
    values = [(i, str(article.get(name) or "")) for i, article in enumerate(articles, start=1)] if name else []
    if not values:
        return exc
    index, text = max(values, key=lambda pair: len(pair[1].encode("utf-8")))
    where = f"article {index} of {len(articles)}, " if len(articles) > 1 else ""
    explained = WeChatAPIError(exc.errcode, exc.errmsg, exc.endpoint,
                               f"{where}the {name} {text!r} has {length_of(text)}")
    explained.hint = (f"Shorten '{FRONT_MATTER_KEYS[name]}:' in the front matter. `wechat-pub doctor --limits` "
                      "measures this account's limits; `wechat-pub check` then finds this before a push.")
    explained.action = explained.hint
    return explained
