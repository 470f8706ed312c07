"""What a scheduled issue does at its time lives in the article too: ``deliver:`` and ``send_to_tag:`` in its front
matter. Setting them edits those lines only (the rest of the file is left exactly as it was), as
:mod:`wechat_pub.source.schedule` does for ``publish_at``."""

from __future__ import annotations

import re

from wechat_pub.errors import ArticleError, WechatPubError
from wechat_pub.source.frontmatter import DELIVERIES


def set_delivery(path: str, deliver: str, tag: str = "") -> None:
    """Write ``deliver:`` (and, for send, ``send_to_tag:``); '' removes them (the account's default applies)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    text = with_delivery(text, deliver, tag, path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def with_delivery(text: str, deliver: str, tag: str = "", path: str = "the article") -> str:
    """``text`` with its ``deliver:`` (and, for send, ``send_to_tag:``) set; '' removes them."""
    if deliver and deliver not in DELIVERIES:
        raise WechatPubError(f"deliver {deliver[:40]!r} is not draft, publish or send.", "Choose one of the three.")
    if tag and not (tag.isascii() and tag.isdigit() and len(tag) <= 10):
        raise WechatPubError(f"tag {tag[:40]!r} is not a tag id.", "Give the tag's number from mp.weixin.qq.com → "
                                                                   "用户管理 → 标签, or leave it empty (everyone).")
    lines = text.splitlines(keepends=True)
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if not lines or lines[0].strip() != "---" or end is None:
        raise ArticleError(f"{path} has no front matter.", "Run `wechat-pub check` on it first.")
    head = [line for line in lines[1:end] if not re.match(r"^(deliver|send_to_tag)\s*:", line)]
    if deliver:
        head.append(f"deliver: {deliver}\n")
    if deliver == "send" and tag:
        head.append(f"send_to_tag: {tag}\n")
    return "".join([lines[0], *head, *lines[end:]])
