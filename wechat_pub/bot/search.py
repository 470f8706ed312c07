"""Bilingual search over every item of every issue (the index: :mod:`wechat_pub.bot.index`): phrases as typed,
then words, BM25 with headlines weighted over bodies, recency breaking ties (reference/scale-search.md §2).
Only when those find nothing: the words under their other names (:mod:`wechat_pub.bot.aliases`), then without
the words that only make them a question (:mod:`wechat_pub.bot.asking`), then with typos corrected against the
archive's own words (:mod:`wechat_pub.bot.typos`). Queries and index are folded alike (:mod:`wechat_pub.bot.fold`).

The index is a file of its own (``state/search-<account>-<scope>.sqlite3``) that every worker process of the
host reads. :class:`Archive` keeps it in step with the issues: a cheap look at whether anything changed at
most every few seconds, and then an update of the issues that did, by this process (commands) or, for the
webhook, by a separate short-lived process (``wechat-pub index``), so no worker waits for it, or holds the
parser and the segmenter it needs. An archive of :data:`WORDS_FROM` items or more also has a word index made
from it by the same update (:mod:`wechat_pub.bot.wordindex`), which answers its expressions while it is of that
update (:mod:`wechat_pub.bot.matching`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from wechat_pub.bot.aliases import AliasTable
from wechat_pub.bot.asking import without_fillers
from wechat_pub.bot.index import LAYOUT, IndexUpdate, word_counts
from wechat_pub.bot.matching import HIT_COLUMNS, Matcher
from wechat_pub.bot.memo import CommitCounter, VersionMemo
from wechat_pub.bot.query import expressions, phrase, query_terms, words_of
from wechat_pub.bot.results import Hit, IssueInfo, SearchResult
from wechat_pub.bot.typos import Speller
from wechat_pub.bot.wordindex import sync_words, words_made_from
from wechat_pub.bot.wordsearch import WORDS_FROM, WordSearch
from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.text import guess_lang

log = logging.getLogger(__name__)

_HAN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
_UNREAD = object()
CACHE_SIZE = 512  # answers to recent queries, per process, until the index changes
VERSION_EVERY = 0.5  # seconds: how stale an answer made from the index may be after an update
FALLBACK_MAX_CHARS = 64  # a longer query gets no other names, corrections or close words: their work grows with it
FIRST_WAIT = 3.0  # seconds the webhook waits for an index that does not exist yet (WeChat gives up after 5)


class IndexNotReady(Exception):
    """The index is still being made (the follower hears that search is unavailable, and tries again)."""


# ---- the archive: an index kept in step with the articles folder ---------------------------------------


class Archive:
    """Search over the issues ``source(offer)`` gives (as ``(version, entries)``: a string that changes when they
    may have changed, and an :class:`IndexEntry` per issue; meanwhile it may hand each issue it reads to
    ``offer``, see :meth:`IndexUpdate.offer`), kept in a local index file that every worker of the
    host shares. ``version()``, when given, is the cheap check of that string, made at most every
    ``check_every`` seconds; without it ``source()`` itself is called. With ``background`` (the webhook) no
    request waits for an update, nor for the database the issues come from: ``updater`` (run in a thread of
    its own; default: :meth:`refresh`) updates the index while the current one answers. ``source=None``: a
    fixed index, never updated."""

    def __init__(self, source, index_path: str | os.PathLike, check_every: float = 5.0,
                 clock: Clock = SYSTEM_CLOCK, background: bool = False, version=None, updater=None,
                 reading=None, aliases: AliasTable | None = None, words_from: int | None = None):
        self.source = source
        self.aliases = aliases or AliasTable()
        self.reading = reading  # numbers -> each number once its issue is read (on every core)
        self.source_version = version
        self.updater = updater
        self.index_path = Path(index_path)
        self.check_every = check_every
        self.clock = clock
        self.background = background
        self._checked = -check_every
        self._updating: threading.Event | None = None  # the background update running now: set when it ends
        self._updating_lock = threading.Lock()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._commits = CommitCounter(self.index_path)
        self._cache: OrderedDict[tuple, SearchResult] = OrderedDict()  # the same few words again and again
        self._cache_identity: tuple | None = None
        self._vocabulary: tuple[tuple | None, frozenset] = (None, frozenset())
        self._speller: tuple[tuple | None, Speller | None] = (None, None)
        self._updates = 0  # updates made by this process: answers made before one are not reused
        self._memo = VersionMemo()  # words' matches, corrections and close words, per version of the index
        self.words_from = WORDS_FROM if words_from is None else words_from  # items from which the word index is used
        self._matcher = Matcher(self.db, self.meta, self._memo, WordSearch(self.index_path, clock), self.words_from)
        self.first_wait = FIRST_WAIT
        self._failed: str | None = None  # why the last update in the background failed

    # ---- keeping it in step --------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Update the index when the issues changed (only the issues that did); one process at a time, the
        others go on reading the index as it was. ``force``: a new index, built beside the old one."""
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.index_path.with_suffix(".lock"), "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            update = IndexUpdate(self.index_path, rebuild=force)
            try:
                version, entries = self.source(update.offer)  # what it reads meanwhile is indexed meanwhile
                if not force and not update.rebuild and self.meta("version") == version:
                    update.abort()
                    self._words_in_step()
                    return False  # unchanged, or another process just did it
                update.finish(entries, version, self.reading)
            except BaseException:
                update.abort()
                raise
            if self._large():  # (a small archive's FTS5 is fast enough)
                sync_words(self.index_path, update.previous_stamp, update.stamp, update.changed)
        self._updates += 1
        return True

    def _large(self) -> bool:
        return int(self.meta("items") or 0) >= self.words_from

    def _words_in_step(self) -> None:
        """A large archive's word index made again when it is not of the index's last update (removed, broken, its
        making failed): an update makes it, but an archive that does not change has none."""
        stamp = self.meta("words")
        if stamp and self._large() and words_made_from(self.index_path) != stamp:
            sync_words(self.index_path, None, stamp, None)

    def maybe_refresh(self) -> None:
        if self.source is None:
            return
        now = self.clock.monotonic()
        if now - self._checked < self.check_every and getattr(self._local, "conn", None) is not None:
            return  # (a thread with a connection has an index file)
        self._checked = now
        if self.background and self.index_path.exists():
            self.make_in_background()  # one check at a time; nobody waits for it
            return
        self._make()

    def _make(self) -> None:
        """Update the index now (there is none yet, or this is not the webhook). The webhook has it made in the
        background and waits at most ``first_wait`` seconds: a first index of a large archive takes longer than
        WeChat waits for an answer."""
        if not (self.background and self.updater):
            self.refresh()
            return
        ended = self.make_in_background().wait(self.first_wait)
        if not self.index_path.exists():
            if ended and self._failed is not None:  # it ended without an index: say why (the health report too)
                raise RuntimeError(f"the search index could not be made: {self._failed}")
            raise IndexNotReady(f"the search index {self.index_path.name} is being made")

    @property
    def failed(self) -> str | None:
        """Why the last update in the background failed (None: it did not)."""
        return self._failed

    def make_in_background(self) -> threading.Event:
        """Start an update in a thread of its own, unless one runs; what is set when it has ended (the health
        report waits for nothing)."""
        with self._updating_lock:
            if self._updating is None or self._updating.is_set():
                self._updating = threading.Event()
                threading.Thread(target=self._refresh_quietly, args=(self._updating,), daemon=True).start()
            return self._updating

    def _refresh_quietly(self, ended: threading.Event) -> None:
        self._failed = None
        try:
            if (self.source_version is None or self.meta("layout") != LAYOUT  # (an older layout: rebuilt)
                    or self.source_version() != self.meta("version")):
                (self.updater or self.refresh)()
            elif self._matcher.words_lost(self.clock.monotonic()):  # (made again by the update, in step or not)
                log.warning("the word index of %s is behind it: making it again", self.index_path.name)
                (self.updater or self.refresh)()
        except Exception as exc:  # the database is away, or a bug: the index we have keeps answering
            self._failed = f"{type(exc).__name__}: {exc}"
            log.warning("search index not updated (%s); answering from the current one", self._failed)
        finally:
            ended.set()

    # ---- reading ------------------------------------------------------------------------------------

    def db(self) -> sqlite3.Connection:
        """This thread's connection, reopened when the index file was replaced."""
        try:
            inode = os.stat(self.index_path).st_ino
        except FileNotFoundError:
            self._make()
            inode = os.stat(self.index_path).st_ino
        cached = getattr(self._local, "conn", None)
        if cached is None or self._local.inode != inode:
            if cached is not None:
                cached.close()
            conn = sqlite3.connect(f"file:{self.index_path}?mode=ro", uri=True, check_same_thread=False)
            self._local.conn, self._local.inode = conn, inode
        return self._local.conn

    def version(self) -> tuple:
        """The index being read: it changes when an update commits or a rebuild replaces the file (what answers
        were made from). Looked at most every :data:`VERSION_EVERY` seconds per thread."""
        self.maybe_refresh()
        now = self.clock.monotonic()
        seen = getattr(self._local, "version", None)
        if seen is None or now - self._local.version_at >= VERSION_EVERY or seen[2] != self._updates:
            self.db()  # (this thread's connection, to the index file of now)
            seen = (self._local.inode, self._commits.count(self._local.inode), self._updates)
            self._local.version, self._local.version_at = seen, now
        self._memo.at(seen)
        return seen

    def meta(self, key: str) -> str | None:
        if not self.index_path.exists():
            return None
        try:
            row = self.db().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError:
            return None
        return row[0] if row else None

    def suggestions(self) -> list[str]:
        self.version()  # (what is kept is this version's)
        words = self._memo.get(("suggestions",), lambda: tuple(w for w in (self.meta("suggestions") or "").split(",")
                                                                 if w))
        return list(words)

    def issue(self, number: int) -> IssueInfo | None:
        row = self.db().execute(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE issue = ?", (number,)).fetchone()
        return IssueInfo(*row) if row else None

    def latest(self, skip: int = 0) -> IssueInfo | None:
        """The newest issue (by date, then number); ``skip=1``: the one before it."""
        row = self.db().execute(f"SELECT {_ISSUE_COLUMNS} FROM issues ORDER BY date DESC, issue DESC LIMIT 1 OFFSET ?",
                                (skip,)).fetchone()
        return IssueInfo(*row) if row else None

    def issues_dated(self, prefix: str, limit: int = 20) -> list[IssueInfo]:
        """The issues dated ``prefix`` (YYYY-MM or YYYY-MM-DD; an issue dated by month is in every day of it),
        newest first."""
        rows = self.db().execute(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE date = ? OR date LIKE ? OR date = ? "
                                 "ORDER BY date DESC, issue DESC LIMIT ?",
                                 (prefix, prefix + "-%", prefix[:7], limit))  # (prefix: digits and dashes)
        return [IssueInfo(*row) for row in rows]

    def issue_items(self, number: int) -> list[Hit]:
        rows = self.db().execute(f"SELECT {HIT_COLUMNS} FROM items WHERE issue = ? ORDER BY position",
                                 (number,)).fetchall()
        return [Hit(*row) for row in rows]

    def vocabulary(self) -> frozenset:
        """The Chinese words of the headlines and of the other names: what a query is split by (read once per
        version of the index)."""
        version = self.version()
        if self._vocabulary[0] != version:
            words = frozenset(word for word, _count in self.db().execute(word_counts(self.meta("layout")))
                              if _HAN.match(word))
            self._vocabulary = (version, words | {w for w in self.aliases.words() if _HAN.match(w)})
        return self._vocabulary[1]

    def speller(self) -> Speller:
        """The archive's words for correcting typos: read when first needed (a query found nothing), once per
        version of the index."""
        version = self.version()
        if self._speller[0] != version:
            db = self.db()
            english = {word for word, in db.execute("SELECT word FROM spelling")}
            chinese = {w: n for w, n in db.execute(word_counts(self.meta("layout"))) if _HAN.match(w)}
            own = set(english) | set(chinese)
            for name in self.aliases.words():  # (names of several English words are found word by word)
                if _HAN.match(name):
                    chinese.setdefault(name, 1)
                elif " " not in name:
                    english.add(name)
            self._speller = (version, Speller(english, chinese, self._sounds,
                                              lambda word: self._count(phrase(word)), own))
        return self._speller[1]

    def _sounds(self, chars: set[str]) -> dict[str, set[str]]:
        """{character: its readings} of those of ``chars`` the index has (each read once per version)."""
        chars = list(chars)[:64]
        kept = self._memo.current()  # (taken before reading: what is read now is at least as new as it)
        known = {char: kept.get(("sound", char), _UNREAD) for char in chars}
        unread = [char for char, readings in known.items() if readings is _UNREAD]
        if unread:
            rows = dict(self.db().execute(
                f"SELECT char, readings FROM sounds WHERE char IN ({','.join('?' * len(unread))})", unread))
            for char in unread:
                known[char] = kept[("sound", char)] = frozenset(rows[char].split()) if char in rows else None
        return {char: set(readings) for char, readings in known.items() if readings is not None}

    def close_words(self, query: str, limit: int = 6) -> list[str]:
        """Words of the archive close to what ``query`` asks (for "nothing found" and alias candidates)."""
        terms = query_terms(query)
        if sum(map(len, terms)) > FALLBACK_MAX_CHARS:
            return []
        asked = without_fillers(terms)
        speller, close = self.speller(), []
        for term in asked:
            near = self._memo.get(("close", term, limit), lambda: speller.close(term, limit))
            close += [w for w in near if w != term and w not in close]
        return close[:limit]

    # ---- searching -----------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Phrases as typed first; then every word (Chinese runs split into the headlines' words); then, while
        nothing is found, other names, the question's subject alone, typos corrected."""
        terms = query_terms(query)
        if not terms:
            return SearchResult([], 0, [])
        version = self.version()
        key = (tuple(terms), limit)
        with self._lock:
            if self._cache_identity != version:
                self._cache, self._cache_identity = OrderedDict(), version
            if key in self._cache:
                return self._cache[key]
        result = self._search(terms, limit)
        with self._lock:
            if self._cache_identity == version:  # (not kept for an index that came meanwhile)
                if len(self._cache) >= CACHE_SIZE:
                    self._cache.popitem(last=False)
                self._cache[key] = result
        return result

    def _search(self, terms: list[str], limit: int) -> SearchResult:
        vocabulary = self.vocabulary()
        for expression in expressions(terms, vocabulary):
            found = self._matching(expression, limit, terms)
            if found:
                return found
        if sum(map(len, terms)) > FALLBACK_MAX_CHARS:
            return SearchResult([], 0, terms)
        words = words_of(terms, vocabulary)
        asked = without_fillers(terms)
        subject = words_of(asked, vocabulary)
        for expression in dict.fromkeys(self._alias_expressions(words, subject)):
            found = self._matching(expression, limit, terms)
            if found:
                return found
        corrected = self._corrected(asked)
        if corrected:
            found = self._matching(self._with_aliases(words_of(corrected, vocabulary)), limit, terms)
            if found:
                found.corrected = " ".join(corrected)
                return found
        return SearchResult([], 0, terms)

    def _alias_expressions(self, words: list[str], subject: list[str]):
        """Fallbacks in order: the words under their other names; the question's subject, as written, then so."""
        if any(self.aliases.names_of(w) for w in words):
            yield self._with_aliases(words)
        if subject and subject != words:
            yield " AND ".join(phrase(w) for w in subject)
            if any(self.aliases.names_of(w) for w in subject):
                yield self._with_aliases(subject)

    def _with_aliases(self, words: list[str]) -> str:
        groups = []
        for word in words:
            names = sorted(self.aliases.names_of(word) or {word})
            groups.append(phrase(names[0]) if len(names) == 1 else "(" + " OR ".join(map(phrase, names)) + ")")
        return " AND ".join(groups)

    def _corrected(self, words: list[str]) -> list[str] | None:
        """``words`` (and Chinese runs) with each that the archive does not have replaced by the archive's closest
        word (in a run: each part of it one character off a word)."""
        speller, out, changed = self.speller(), [], False
        for word in words:
            fixed = None
            if not self._count(phrase(word)) and not self.aliases.names_of(word):
                fixed = self._memo.get(("correct", word), lambda: speller.correct_chinese(word) if _HAN.match(word)
                                       else speller.correct_english(word))
            out.append(fixed or word)
            changed = changed or bool(fixed)
        return out if changed else None

    def _count(self, expression: str) -> int:
        return self._matcher.count(expression)

    def _matching(self, expression: str, limit: int, terms: list[str]) -> SearchResult | None:
        return self._matcher.matching(expression, limit, terms)


_ISSUE_COLUMNS = "issue, date, title_zh, title_en, items"


def query_language(query: str) -> str:
    return guess_lang(query) or "zh"
