"""A query as the index is asked: its terms (folded like the index), its words (Chinese runs split by the
vocabulary of the headlines), and the FTS5 expressions made of them, from strict to loose."""

from __future__ import annotations

import functools
import re

from wechat_pub.bot.fold import fold
from wechat_pub.bot.index import STOP_EN, STOP_ZH, normalise

_HAN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
_TERMS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:[-'][a-z0-9]+)*")
LONGEST_WORD = 8  # characters: the longest vocabulary word a query is split by


def query_terms(query: str) -> list[str]:
    """The words and Chinese runs of a query, folded (an English possessive dropped: ICO's -> ico)."""
    return list(_query_terms(query))


@functools.lru_cache(maxsize=256)  # (a reply asks for the terms of its query several times)
def _query_terms(query: str) -> tuple[str, ...]:
    return tuple(term.removesuffix("'s") for term in _TERMS.findall(fold(query)))


@functools.lru_cache(maxsize=8192)  # (the same words come again and again, in new questions)
def phrase(term: str) -> str:
    return '"' + normalise(term).strip().replace('"', "") + '"'


def split_words(run: str, vocabulary: frozenset) -> list[str]:
    """A run of Chinese split into the vocabulary's words, longest first; characters no word covers stay
    together as a phrase of their own (接触追踪 -> 接触, 追踪 when only 追踪 is a word)."""
    return list(_split_words(run, vocabulary))


@functools.lru_cache(maxsize=4096)  # (keyed on the vocabulary too: a new index's words make new entries)
def _split_words(run: str, vocabulary: frozenset) -> tuple[str, ...]:
    words, pending, at = [], "", 0
    while at < len(run):
        for end in range(min(len(run), at + LONGEST_WORD), at + 1, -1):
            if run[at:end] in vocabulary:
                if pending:
                    words.append(pending)
                    pending = ""
                words.append(run[at:end])
                at = end
                break
        else:
            pending += run[at]
            at += 1
    return tuple(words + ([pending] if pending else []))


def words_of(terms: list[str], vocabulary: frozenset = frozenset()) -> list[str]:
    """The words of ``terms``: Chinese runs split into the vocabulary's words, stop words left out."""
    words: list[str] = []
    for term in terms:
        if _HAN.match(term) and len(term) > 2:
            words += [w for w in split_words(term, vocabulary) if w not in STOP_ZH]
        elif term not in STOP_EN and term not in STOP_ZH:
            words.append(term)
    return words or terms


def expressions(terms: list[str], vocabulary: frozenset = frozenset()) -> list[str]:
    """FTS5 queries from strict to loose: typed phrases AND-ed, then words AND-ed."""
    strict = " AND ".join(phrase(t) for t in terms)
    loose = " AND ".join(phrase(w) for w in words_of(terms, vocabulary))
    # No "any word" step: 量子计算 answered with 云计算 misleads more than "nothing found" with suggestions.
    return list(dict.fromkeys([strict, loose]))
