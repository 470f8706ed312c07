"""Reading the word index (:mod:`wechat_pub.bot.wordindex`) of a large archive: the expressions the search makes
for FTS5 (phrases AND-ed, other names OR-ed in brackets) asked of tantivy instead, while the word index was made
from the very update of the SQLite index being read.

A phrase of Chinese characters the word index has as a word is asked as that word (one list of items); any other
phrase as a phrase of the folded text's tokens, in every field. Ranking is tantivy's BM25 with a headline's match
weighing six of a body's, as FTS5's bm25 weighs them; recency breaks ties, as it does there.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import NamedTuple

import tantivy

from wechat_pub.bot.wordindex import (
    TEXT_FIELDS,
    WORD_FIELDS,
    folded,
    guarded,
    open_words,
    stamp_of,
    words_made_from,
    words_path,
)
from wechat_pub.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger(__name__)

WORDS_FROM = 5_000  # items: a smaller archive is answered by FTS5 in a millisecond or two, and has no word index
TIED_MAX = 256  # items read to rank those tied with the last shown by recency (more: FTS5 ranks them)
RETRY_EVERY = 1.0  # seconds between looks at a word index behind the SQLite index (it is made just after it)
PHRASES_KEPT = 20_000  # phrases' queries kept for the searcher of now (all dropped when full)
_PART = re.compile(r'"[^"]*"|\(|\)| AND | OR ')
_UNKNOWN = object()  # (a phrase not kept yet; None is kept for one tantivy cannot ask)
_ONE_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class Ranked(NamedTuple):
    total: int  # every item matched (not capped)
    best: list[tuple[float, int]]  # (score, item id) of the best, best first, and of every item tied with the last


class WordSearch:
    """The word index beside the SQLite index at ``index_path``, read by every thread of a process."""

    def __init__(self, index_path: str | Path, clock: Clock = SYSTEM_CLOCK):
        self.index_path = Path(index_path)
        self.folder = words_path(index_path)
        self.clock = clock
        self._lock = threading.Lock()
        self._index: tantivy.Index | None = None
        self._analyzer = folded()
        self._current: tuple[str | None, tantivy.Searcher | None] = (None, None)  # (stamp, its searcher)
        self._looked: tuple[str | None, float] = (None, 0.0)  # (stamp looked for, when)
        self._phrases: tuple[tantivy.Searcher | None, dict] = (None, {})  # a searcher, its phrases' queries

    def searcher(self, stamp: str) -> tantivy.Searcher | None:
        """A searcher of the word index made from the SQLite index's update ``stamp``; None while there is none
        (being made, behind, missing, broken: FTS5 answers)."""
        current = self._current
        if current[0] == stamp:
            return current[1]
        with self._lock:
            if self._current[0] == stamp:
                return self._current[1]
            now = self.clock.monotonic()
            if self._looked[0] == stamp and now - self._looked[1] < RETRY_EVERY:
                return None
            self._looked = (stamp, now)
            searcher = guarded(lambda: self._open_at(stamp))
            if searcher is not None:
                self._current = (stamp, searcher)
            return searcher

    def made_from(self) -> str | None:
        """The stamp of the word index in the folder now (a searcher read before keeps the files it had)."""
        return words_made_from(self.index_path)

    def _open_at(self, stamp: str) -> tantivy.Searcher | None:
        if not self.folder.exists():
            return None
        for _attempt in range(2):  # (a folder made again since it was opened, perhaps with other fields: anew)
            try:
                if self._index is None:
                    self._index = open_words(self.folder)
                self._index.reload()
                searcher = self._index.searcher()
                made_from = stamp_of(searcher, self._index.schema)
                return searcher if made_from is not None and made_from[0] == stamp else None
            except (KeyboardInterrupt, SystemExit, GeneratorExit):
                raise
            except BaseException as exc:  # noqa: BLE001 (tantivy panics reading a document of another schema)
                log.debug("word index %s not read (%s: %s)", self.folder, type(exc).__name__, exc)
                self._index = None
        return None

    def ranked(self, searcher: tantivy.Searcher, expression: str, limit: int, since: int = 0) -> Ranked | None:
        """The items ``expression`` (an FTS5 expression of :mod:`wechat_pub.bot.query`) matches, with ids from
        ``since`` on; None: an expression this cannot ask (FTS5 does)."""
        query = self.query(searcher, expression)
        if query is None:
            return None
        if limit < 1:
            return Ranked(searcher.search(query, 1, count=True).count, [])
        if since:
            window = tantivy.Query.range_query(self._index.schema, "id", tantivy.FieldType.Integer, since, 2**62)
            query = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.Must, window)])
        most = max(TIED_MAX, limit + 1)
        fetch = min(limit * 4 + 1, most)  # (ties with the last shown are common: tantivy rounds lengths)
        found = searcher.search(query, fetch, count=True)
        while len(found.hits) == fetch < most and found.hits[-1][0] == found.hits[limit - 1][0]:
            fetch = min(fetch * 8, most)  # (items tied with the last shown: recency chooses among them)
            found = searcher.search(query, fetch, count=True)
        if len(found.hits) == most < found.count and found.hits[-1][0] == found.hits[limit - 1][0]:
            return None  # (more tied than read: which are the newest, FTS5 says)
        last = found.hits[limit - 1][0] if len(found.hits) >= limit else float("-inf")
        return Ranked(found.count, [(score, searcher.doc(address)["id"][0]) for score, address in found.hits
                                    if score >= last])

    def query(self, searcher: tantivy.Searcher, expression: str) -> tantivy.Query | None:
        """``expression`` as a tantivy query: groups AND-ed, each one phrase or phrases OR-ed in brackets."""
        groups: list[list[str]] = [[]]
        bracket = False
        for part in _PART.findall(expression):
            if part == " AND " and not bracket:
                groups.append([])
            elif part in ("(", ")"):
                bracket = part == "("
            elif part.startswith('"'):
                groups[-1].append(part[1:-1])
        if "".join(_PART.findall(expression)) != expression or not all(groups):
            return None  # (something else than phrases, AND, OR and brackets)
        musts = []
        for phrases in groups:
            asked = [self._kept_phrase(searcher, text) for text in phrases]
            if None in asked:
                return None
            musts.append((tantivy.Occur.Must, asked[0] if len(asked) == 1 else
                          tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in asked])))
        return tantivy.Query.boolean_query(musts)

    def _kept_phrase(self, searcher: tantivy.Searcher, text: str) -> tantivy.Query | None:
        """The query of a phrase, kept for ``searcher``: a new question is mostly made of phrases asked before."""
        kept_for, kept = self._phrases
        if kept_for is not searcher:
            kept = {}
            self._phrases = (searcher, kept)
        query = kept.get(text, _UNKNOWN)
        if query is _UNKNOWN:
            query = self._phrase(searcher, text)
            if len(kept) >= PHRASES_KEPT:
                kept.clear()
            kept[text] = query
        return query  # (not read again: another thread may have cleared it meanwhile)

    def _phrase(self, searcher: tantivy.Searcher, text: str) -> tantivy.Query | None:
        schema = self._index.schema
        tokens = self._analyzer.analyze(text)
        if not tokens:
            return None
        word = "".join(tokens)
        if len(tokens) > 1 and all(_ONE_HAN.fullmatch(t) for t in tokens) and any(
                searcher.doc_freq(name, word) for name, _of, _weight in WORD_FIELDS):
            fields = [(name, [word], weight) for name, _of, weight in WORD_FIELDS]
        else:
            fields = [(name, tokens, weight) for name, _column, weight in TEXT_FIELDS]
        should = []
        for name, asked, weight in fields:
            if not all(searcher.doc_freq(name, token) for token in asked):
                continue  # (a field without one of them cannot match: its lists are not walked)
            query = (tantivy.Query.term_query(schema, name, asked[0]) if len(asked) == 1
                     else tantivy.Query.phrase_query(schema, name, asked))
            should.append((tantivy.Occur.Should, tantivy.Query.boost_query(query, weight) if weight != 1 else query))
        return tantivy.Query.boolean_query(should)
