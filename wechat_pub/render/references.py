"""Outside links become numbered references: WeChat refuses links that are not mp.weixin.qq.com
(and ``#`` anchors), so the text keeps a ``[n]`` mark and the list at the end gives the URL."""

from __future__ import annotations

from dataclasses import dataclass, field

from wechat_pub.urls import link_host


def is_wechat_link(url: str | None) -> bool:
    """Links WeChat lets an article keep: published articles on mp.weixin.qq.com. (Its host written in the URL is
    asked first: the full reading of the host, by two parsers, costs the render of a linked issue a fifth.)"""
    return isinstance(url, str) and WECHAT_HOST in url.lower() and link_host(url) == WECHAT_HOST


WECHAT_HOST = "mp.weixin.qq.com"


@dataclass
class References:
    """Numbers outside links in the order they first appear, one number per URL."""

    entries: list[tuple[str, str]] = field(default_factory=list)  # (url, label)
    _numbers: dict[str, int] = field(default_factory=dict)

    def number(self, url: str, label: str = "") -> int:
        key = url.strip()
        if key not in self._numbers:
            self.entries.append((key, label.strip()))
            self._numbers[key] = len(self.entries)
        elif label and not self.entries[self._numbers[key] - 1][1]:
            self.entries[self._numbers[key] - 1] = (key, label.strip())
        return self._numbers[key]
