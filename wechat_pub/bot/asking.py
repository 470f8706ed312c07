"""How followers ask, beyond keywords: for an issue ("latest issue", 上一期, "No. 135", 第135期), for a month
(2020.04, 2020-04, 2020年4月: the replies print dates as 2020.04, and followers send them back), and in whole
questions, whose question and filler words (什么, 哪些, 吗, what, did, about…) are dropped when the query as a
whole finds nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from wechat_pub.bot.fold import fold

LATEST = {"最新", "最新一期", "最新的一期", "本期", "这一期", "latest", "latest issue", "the latest issue", "newest",
          "newest issue", "the newest issue", "new", "new issue", "current issue", "this issue", "last issue"}
PREVIOUS = {"上一期", "上期", "前一期", "previous issue", "the previous issue", "issue before", "last but one"}
_ISSUE = re.compile(r"^(?:(?:the\s+)?issue\s*)?(?:no\.?|number|num\.?|#)?\s*(\d{1,5})$|^第?\s*(\d{1,5})\s*期$")
# A request for an issue as a sentence: the issue (or month) between the words that make it a request
# (最新一期有什么, 第136期的内容, what's in the latest issue?, show me issue 136).
_ASKED_ZH = re.compile(r"^(?:请问|我想看看?|看看|看一下|发一下|给我看看?)?(.+?)(?:的)?(?:都)?(?:有什么|有哪些|讲了什么|说了什么|"
                       r"写了什么|是什么|有啥)?(?:内容|文章|新闻|消息)?$")
_ASKED_EN = re.compile(r"^(?:(?:what(?:'s| is| was| are)?|whats) (?:new )?in |(?:show|send|give) me |"
                       r"(?:can i|could i) (?:see|read) )?(.+?)(?: please)?$")
_MONTH = re.compile(r"^(\d{4})\s*(?:[.\-/]|年)\s*(\d{1,2})\s*月?(?:\s*(?:[.\-/])\s*(\d{1,2})|\s*(\d{1,2})\s*[日号])?$")
_ENDING = re.compile(r"[\s?？!！。.,，、~～]+$")

# Words that carry the question, not its subject; dropped only when the query as a whole found nothing.
FILLER_EN = frozenset("""what which who whom whose when where why how did does do done doing is are was were be been
    has have had any anything something some about say said says tell me us please show find search news latest
    recent recently there here can could would should will i you we they it its their there's whats what's know
    look looking want article articles post posts update updates happened happen new regarding
    on in of the a an to for and or with by from at as this that these those""".split())
# Longest first, so 有没有 goes before 有; single characters last (they are cut from runs only after the words).
FILLER_ZH = tuple(sorted(set("""请问 请 问一下 一下 什么 哪些 哪个 哪家 哪里 怎么样 怎么 如何 为什么 是否 有没有 有哪些 有何
    最近 近期 近来 目前 现在 关于 有关 相关 消息 新闻 动态 进展 情况 内容 文章 资料 新的 一些 公布了 发布了 做了 说了 讲了
    了 吗 呢 吧 啊 呀 嘛 的 在 做 有 是 谁 新 么""".split()), key=lambda w: -len(w)))


@dataclass(frozen=True)
class IssueQuery:
    """What a query asks for when it asks for issues: ``latest``, ``previous``, ``number`` or ``month``."""

    kind: str
    number: int = 0
    month: str = ""  # YYYY-MM, or YYYY-MM-DD with a day


def issue_query(query: str) -> IssueQuery | None:
    """The issue(s) ``query`` asks for, if it asks for issues rather than for words: as one of the forms above,
    alone or asked for in a sentence."""
    text = _ENDING.sub("", " ".join(fold(query).split()))
    asked = _issue_asked(text)
    if asked is None:
        for sentence in (_ASKED_ZH, _ASKED_EN):
            core = sentence.match(text)
            if core and core.group(1) != text and not core.group(1).strip().isdigit():  # (2019新闻: the year's news)
                asked = _issue_asked(core.group(1).strip())
                if asked is not None:
                    break
    return asked


def _issue_asked(text: str) -> IssueQuery | None:
    if text in LATEST:
        return IssueQuery("latest")
    if text in PREVIOUS:
        return IssueQuery("previous")
    number = _ISSUE.match(text)
    if number:
        return IssueQuery("number", int(number.group(1) or number.group(2)))
    month = _MONTH.match(text)
    if month and 1 <= int(month.group(2)) <= 12:
        day = month.group(3) or month.group(4)
        prefix = f"{month.group(1)}-{int(month.group(2)):02d}"
        if day:
            if not 1 <= int(day) <= 31:
                return None
            prefix += f"-{int(day):02d}"
        return IssueQuery("month", month=prefix)
    return None


def without_fillers(terms: list[str]) -> list[str]:
    """``terms`` (folded) without the words that only make them a question; Chinese runs are cut at them."""
    kept: list[str] = []
    for term in terms:
        if term.isascii():
            if term not in FILLER_EN:
                kept.append(term)
            continue
        kept += _without_chinese_fillers(term)
    return kept


@functools.lru_cache(maxsize=4096)  # (a few thousand words and runs: the same ones come again and again)
def _without_chinese_fillers(run: str) -> tuple[str, ...]:
    pieces = [run]
    for filler in FILLER_ZH:
        if filler in run:  # (a piece is a part of the run: what the run lacks, no piece has)
            pieces = [part for piece in pieces for part in piece.split(filler)]
    return tuple(piece for piece in pieces if piece)
