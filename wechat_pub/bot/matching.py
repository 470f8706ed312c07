"""What one FTS5 expression of a search finds: how many items (up to :data:`COUNT_CAP`) and the best of them.

SQLite FTS5 answers, unless the archive is large (:data:`wechat_pub.bot.wordsearch.WORDS_FROM` items) and its
word index was made from the update being read: then tantivy does, with the Chinese asked as words
(:mod:`wechat_pub.bot.wordsearch`). A very common question is ranked among the newest items first, either way.
"""

from __future__ import annotations

from typing import Callable

from wechat_pub.bot.counting import PhraseCounter
from wechat_pub.bot.memo import VersionMemo
from wechat_pub.bot.results import COUNT_CAP, Hit, SearchResult
from wechat_pub.bot.wordsearch import WORDS_FROM, Ranked, WordSearch, guarded

HEADLINE_WEIGHT = 6.0
WORDS_GRACE = 60.0  # seconds a large archive's word index may stay behind its index before it is made again
WORDS_RETRY_MAX = 3600.0  # seconds: the longest wait between attempts, each twice the one before, while they fail
HIT_COLUMNS = "issue, date, position, headline_zh, headline_en, section_zh, section_en"


class Matcher:
    """Counts and ranks expressions over the index ``db()`` (this thread's connection), ``meta(key)`` its facts,
    kept in ``memo`` per version; ``words``: its word index, used from ``words_from`` items on."""

    def __init__(self, db, meta: Callable[[str], str | None], memo: VersionMemo, words: WordSearch,
                 words_from: int = WORDS_FROM):
        self.db = db
        self.meta = meta
        self.memo = memo
        self.words = words
        self.words_from = words_from
        self.counter = PhraseCounter(db, memo)
        self._behind: tuple[str, float, float] | None = None  # (the stamp it is behind, since when, how long to wait)

    def count(self, expression: str) -> int:
        searcher = self._searcher()
        if searcher is not None:
            if self._a_part_finds_nothing(searcher, expression):
                return 0
            found = self._word_count(searcher, expression)
            if found is not None:
                return found
        return self.counter.count(expression)

    def matching(self, expression: str, limit: int, terms: list[str]) -> SearchResult | None:
        searcher = self._searcher()
        if searcher is not None and self._a_part_finds_nothing(searcher, expression):
            return None
        ranked = guarded(lambda: self._word_ranked(searcher, expression, limit)) if searcher is not None else None
        if ranked is not None:
            hits = self._hits(ranked.best)[:limit]
            return SearchResult(hits, min(ranked.total, COUNT_CAP), terms) if hits else None
        total = self.count(expression)
        hits = self._ranked(expression, limit, common=total >= COUNT_CAP) if total else []
        return SearchResult(hits, total, terms) if hits else None  # (counted at the version before an update)

    def words_lost(self, now: float) -> bool:
        """Whether a large archive's word index has been behind its index for :data:`WORDS_GRACE` seconds (deleted,
        its making killed or failed: an update makes it just after the index, so it is behind only for that
        long): then it should be made again, though no issue changed. While that fails (a full disk, a broken
        folder), each worker asks again after twice as long as before, up to an hour."""
        stamp, items = self.meta("words"), int(self.meta("items") or 0)
        if stamp is None or items < self.words_from or self.words.made_from() == stamp:
            self._behind = None
            return False
        if self._behind is None or self._behind[0] != stamp:
            self._behind = (stamp, now, WORDS_GRACE)
            return False
        _stamp, since, wait = self._behind
        if now - since < wait:
            return False
        self._behind = (stamp, now, min(wait * 2, WORDS_RETRY_MAX))
        return True

    def _searcher(self):
        stamp, items = self.memo.get(("words",), lambda: (self.meta("words"), int(self.meta("items") or 0)))
        if stamp is None or items < self.words_from:
            return None
        return self.words.searcher(stamp)

    def _word_count(self, searcher, expression: str) -> int | None:
        """How many items ``expression`` matches in the word index, kept for this version (None: not asked)."""
        found = self.memo.get(("word count", expression),
                              lambda: guarded(lambda: self.words.ranked(searcher, expression, 0)))
        return None if found is None else min(found.total, COUNT_CAP)

    def _a_part_finds_nothing(self, searcher, expression: str) -> bool:
        """Whether one of the groups AND-ed finds nothing alone: a new question is mostly made of words asked
        before (each counted once per version), and one no item has answers it without a search."""
        parts = expression.split(" AND ")
        return len(parts) > 1 and any(self._word_count(searcher, part) == 0 for part in parts)

    def _word_ranked(self, searcher, expression: str, limit: int) -> Ranked | None:
        ranked = self.words.ranked(searcher, expression, limit)
        if ranked is not None and ranked.total >= COUNT_CAP:  # (the newest items' best, when there are enough)
            recent = self.words.ranked(searcher, expression, limit, since=self._recent_from())
            if recent is None:  # (more tied among the newest than read: FTS5 ranks it)
                return None
            return recent._replace(total=ranked.total) if len(recent.best) >= limit else ranked
        return ranked

    def _recent_from(self) -> int:
        return self.memo.get(("recent_from",), lambda: int(self.meta("recent_from") or 0))

    def _hits(self, best: list[tuple[float, int]]) -> list[Hit]:
        """The items of ``best`` (scores, ids), best first; recency (then the issue) breaks a tie of scores."""
        if not best:
            return []
        rows = self.db().execute(f"SELECT id, {HIT_COLUMNS} FROM items WHERE id IN ({','.join('?' * len(best))})",
                                 [item for _score, item in best]).fetchall()
        found = {row[0]: Hit(*row[1:]) for row in rows}
        ordered = sorted((item for item in best if item[1] in found),
                         key=lambda item: (found[item[1]].date, found[item[1]].issue), reverse=True)
        ordered.sort(key=lambda item: item[0], reverse=True)  # (stable: ties stay newest first)
        return [found[item] for _score, item in ordered]

    def _ranked(self, expression: str, limit: int, common: bool) -> list[Hit]:
        query = (f"SELECT {', '.join('i.' + c for c in HIT_COLUMNS.split(', '))} FROM items_fts "
                 "JOIN items i ON i.id = items_fts.rowid WHERE items_fts MATCH ? {window}"
                 f"ORDER BY bm25(items_fts, {HEADLINE_WEIGHT}, {HEADLINE_WEIGHT}, 1.0, 1.0), i.date DESC, "
                 "i.issue DESC LIMIT ?")
        if common:  # ids follow the issues: the newest items have the highest ones
            rows = self.db().execute(query.format(window="AND items_fts.rowid >= ? "),
                                     (expression, self._recent_from(), limit)).fetchall()
            if len(rows) >= limit:
                return [Hit(*row) for row in rows]
        return [Hit(*row) for row in self.db().execute(query.format(window=""), (expression, limit)).fetchall()]
