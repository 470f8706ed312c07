"""What a search gives: the items found (:class:`Hit`), an issue's facts (:class:`IssueInfo`), and the result of
one query (:class:`SearchResult`)."""

from __future__ import annotations

from dataclasses import dataclass

COUNT_CAP = 1000  # "1000+ matches" is as useful to a follower as the exact number, and far cheaper


@dataclass(frozen=True)
class Hit:
    issue: int
    date: str
    position: int
    headline_zh: str
    headline_en: str
    section_zh: str = ""
    section_en: str = ""


@dataclass(frozen=True)
class IssueInfo:
    issue: int
    date: str
    title_zh: str
    title_en: str
    items: int


@dataclass
class SearchResult:
    hits: list[Hit]
    total: int  # capped at COUNT_CAP
    terms: list[str]
    corrected: str = ""  # the words searched for instead, when the query's had typos

    @property
    def capped(self) -> bool:
        return self.total >= COUNT_CAP
