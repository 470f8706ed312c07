"""How many items of the search index an FTS5 expression matches (up to :data:`COUNT_CAP`), kept per version of
the index. Phrases AND-ed match the items each of them matches: a phrase's items are read once per version (when
it has fewer than :data:`FEW_ITEMS`), so a new question made of words already asked is counted without the index;
one of them in no item, and the question finds nothing without asking the index.
"""

from __future__ import annotations

import re
from array import array

from wechat_pub.bot.memo import VersionMemo
from wechat_pub.bot.results import COUNT_CAP

FEW_ITEMS = 64  # a phrase matching fewer items has them kept: a few hundred bytes a phrase, however many are asked
_PHRASE = re.compile(r'"[^"]*"')  # (one phrase of an FTS5 expression: see query.phrase)


class PhraseCounter:
    """Counts of the index ``db()`` (a connection), kept in ``memo`` (the version the thread last looked at)."""

    def __init__(self, db, memo: VersionMemo):
        self.db = db
        self.memo = memo

    def count(self, expression: str) -> int:
        phrases = expression.split(" AND ")
        if not all(_PHRASE.fullmatch(p) for p in phrases):
            return self.memo.get(("count", expression), lambda: self.count_now(expression))
        items = [self.items(p) for p in phrases]
        few = sorted((found for found in items if found is not None), key=len)
        if few:
            common = set(few[0]).intersection(*few[1:])
            if not common or len(few) == len(items):
                return len(common)
        return self.memo.get(("count", expression), lambda: self.count_now(expression))

    def items(self, one_phrase: str) -> array | None:
        """The ids of the items ``one_phrase`` matches; None when it matches :data:`FEW_ITEMS` or more."""
        def read() -> array | None:
            rows = self.db().execute("SELECT rowid FROM items_fts WHERE items_fts MATCH ? LIMIT ?",
                                     (one_phrase, FEW_ITEMS)).fetchall()
            return array("q", (rowid for rowid, in rows)) if len(rows) < FEW_ITEMS else None
        return self.memo.get(("items", one_phrase), read)

    def count_now(self, expression: str) -> int:
        return self.db().execute("SELECT COUNT(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH ? LIMIT ?)",
                                 (expression, COUNT_CAP)).fetchone()[0]
