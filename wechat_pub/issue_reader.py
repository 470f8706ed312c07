"""The account's issues as the shared database holds them, read (parsed) when asked for and kept read while
their text is the same: at most :data:`KEPT` of them, the least recently used going first, so a long-running
webhook or service holds a bounded number of parsed issues however large the archive. One place builds an
entry (:meth:`IssueReader.entry`)."""

from __future__ import annotations

import gc
import hashlib
import time
from collections import OrderedDict
from typing import Iterator

from wechat_pub import model as m
from wechat_pub.publish.timing import Slot
from wechat_pub.source.folder import ArticleFile, ArticleFolder, Catalogue, duplicates_of, read_each
from wechat_pub.state.issues import IssueRow, IssueStore

KEPT = 4096  # parsed issues kept: more than an archive of two thousand issues, which the index reads at once


class IssueReader:
    def __init__(self, store: IssueStore, folder: ArticleFolder, kept: int = KEPT):
        """``folder``: where the issues live on this host (their paths, the time zone they are read in)."""
        self.store = store
        self.folder = folder
        self.kept = kept
        self._read: OrderedDict[tuple[str, str], ArticleFile] = OrderedDict()

    def entry(self, filename: str, text: str | None, text_hash: str) -> ArticleFile:
        """The article of ``filename`` with ``text_hash``: as read before, else a new one (its text read from the
        database when first needed, if ``text`` is None)."""
        key = (filename, text_hash)
        article = self._read.get(key)
        if article is None:
            article = ArticleFile(str(self.folder.path / filename), text, text_hash, self.folder.timezone)
            self.keep(article)
        else:
            self._read.move_to_end(key)
        return article

    def keep(self, article: ArticleFile) -> None:
        """Keep an article read elsewhere (the sync read it to import it: the index takes it from here)."""
        self._read[(article.filename, article.sha256)] = article
        self._read.move_to_end((article.filename, article.sha256))
        while len(self._read) > self.kept:
            self._read.popitem(last=False)

    def known(self, filename: str, text_hash: str) -> ArticleFile | None:
        article = self._read.get((filename, text_hash))
        if article is not None:
            self._read.move_to_end((filename, text_hash))  # used: the least recently used go first
        return article

    def catalogue(self) -> Catalogue:
        """The account's issues as the database holds them (paths: where they live in this host's folder)."""
        rows = self.store.all()
        files = [self.entry(row.filename, row.text, row.text_hash) for row in rows]
        signature = hashlib.sha256("".join(f"{r.number}:{r.text_hash};" for r in rows).encode()).hexdigest()
        return Catalogue(signature, tuple(files), duplicates_of(files))

    def articles_of(self, rows: list[IssueRow]) -> dict[int, ArticleFile]:
        """Issue number -> the article of each of ``rows`` (read without their texts: IssueStore.all(texts=False)):
        those read before as they are, the texts of the others fetched (the console's lists, two thousand issues
        a view, without two thousand texts; a page of them, without the others' texts)."""
        found = {row.number: article for row in rows if (article := self.known(row.filename, row.text_hash))}
        wanted = {row.number for row in rows} - set(found)
        fetched = (self.store.all(low=min(wanted), high=max(wanted)) if len(wanted) > 50
                   else [row for n in sorted(wanted) if (row := self.store.get(n))])
        for row in fetched:
            if row.number in wanted:
                found[row.number] = self.entry(row.filename, row.text, row.text_hash)
        return found

    def read_each_issue(self, numbers: list[int], also=None) -> Iterator[int]:
        """Have issues ``numbers`` read (from the database's texts, on every core), for :meth:`issue` and
        :meth:`derived`, yielding each number as soon as its issue is read (in no set order), so the caller works
        on it while the rest are still being read; ``also``: see :func:`read_each`."""
        wanted = set(numbers)
        articles: list[ArticleFile] = []
        number_of: dict[int, int] = {}  # id(article) -> its issue number
        rows = self.store.all() if len(wanted) > 50 else [row for n in sorted(wanted) if (row := self.store.get(n))]
        for row in rows:
            if row.number in wanted:
                article = self.entry(row.filename, row.text, row.text_hash)
                articles.append(article)
                number_of[id(article)] = row.number
        for article in read_each(articles, also):
            yield number_of[id(article)]
        yield from sorted(wanted - set(number_of.values()))  # not in the database: nothing to read

    def issue(self, number: int) -> m.Issue | None:
        """Issue ``number`` as the database holds it, read (and kept read while its text is the same)."""
        article = self._article(number)
        return article.issue if article is not None and article.valid else None

    def derived(self, number: int, also, filename: str | None = None, text_hash: str | None = None):
        """``also(issue)`` for issue ``number`` (of ``filename`` and ``text_hash`` when known): as worked out when
        it was read, else now."""
        known = self.known(filename, text_hash) if filename else None
        article = known or self._article(number)
        if article is None or not article.valid:
            return None
        if article.derived is None:
            article.derived = also(article.issue)
        return article.derived

    def derived_from(self, also, filename: str, text: str, text_hash: str):
        """``also(issue)`` for the issue of ``text`` (an earlier text of ``filename``: what went out)."""
        article = self.entry(filename, text, text_hash)
        if not article.valid:
            return None
        if article.derived is None:
            article.derived = also(article.issue)
        return article.derived

    def _article(self, number: int) -> ArticleFile | None:
        row = self.store.get(number)
        return self.entry(row.filename, row.text, row.text_hash) if row is not None else None

    def slots(self) -> list[Slot]:
        """Every issue with a publish time; an issue whose text broke keeps its time, with its problems."""
        return [Slot(row.number, str(self.folder.path / row.filename), row.publish_at, row.problems)
                for row in self.store.all() if row.publish_at]


_SETTLE_EVERY = 600.0  # seconds: at most one settling a process in that time
_settled_at: float | None = None


def settle_long_lived() -> None:
    """Leave what this process holds now (the issues just parsed, kept for its life) out of the garbage
    collector's full passes. Left in, every full pass walked them: 180 ms at two thousand issues, every few
    console views, the p95 of every page. The objects are still freed when nothing refers to them (the parsed
    issues are trees: no cycles); what is frozen is only kept if it later becomes a cycle, so this runs at most
    once in :data:`_SETTLE_EVERY`, not on every view."""
    global _settled_at
    now = time.monotonic()
    if _settled_at is not None and now - _settled_at < _SETTLE_EVERY:
        return
    _settled_at = now
    gc.collect()
    gc.freeze()
