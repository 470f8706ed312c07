"""Titles and digests: the issue's, and each part's when an issue is split into several articles.

A part is named after its sections, so a split issue reads as a series in the feed: ``立方观评｜第935期·
国内要闻``, then ``…·海外动态``; a section continued from the previous part is ``国内要闻（续）``. The title
is shortened to WeChat's 32 characters (the issue's title first, then the section names), and parts that
would still look alike get their number.
"""

from __future__ import annotations

from wechat_pub import model as m
from wechat_pub.limits import TITLE_MAX_CHARS

CONTINUED = {"zh": "（续）", "en": " (cont.)"}


def base_title(issue: m.Issue) -> str:
    return issue.wechat_title or f"{issue.title.zh or issue.title.en}｜第{issue.number}期"


def part_names(sections, continued: bool) -> m.Bilingual:
    """What a part holds, in both languages: its sections, the first marked when it goes on from the part before."""
    zh, en = [], []
    for position, (section, _) in enumerate(sections):
        more = continued and position == 0
        heading = section.heading
        zh.append((heading.zh or heading.en) + (CONTINUED["zh"] if more else ""))
        en.append((heading.en or heading.zh) + (CONTINUED["en"] if more else ""))
    return m.Bilingual("·".join(zh), " · ".join(en))


def part_titles(issue: m.Issue, names: list[m.Bilingual]) -> list[str]:
    """One distinct title per part, each within WeChat's limit."""
    titles = [_fitted(issue, part.zh) for part in names]
    if len(set(titles)) < len(titles):
        total = len(titles)
        titles = [_fitted(issue, f"{part.zh}（{index}/{total}）") for index, part in enumerate(names, start=1)]
    return titles


def _fitted(issue: m.Issue, names: str) -> str:
    for title in (f"{base_title(issue)}·{names}", f"第{issue.number}期·{names}"):
        if len(title) <= TITLE_MAX_CHARS:
            return title
    return f"第{issue.number}期·{names}"[:TITLE_MAX_CHARS - 1] + "…"


def issue_digest(issue: m.Issue, headlines: list[str], limit: int = 120) -> str:
    """The digest of a one-article issue: its own, else its headlines. (WeChat keeps no digest for the
    articles of a multi-article draft: draft/add's documentation, reference/wechat-api.md.)"""
    if issue.digest:
        return issue.digest
    text = "本期：" + "；".join(headlines)
    return text if len(text) <= limit else text[: limit - 1] + "…"
