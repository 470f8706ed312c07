"""Bilingual search over every item of every issue: SQLite FTS5 with one token per Chinese character
(exact matches for 苹果 or 个人信息, on any SQLite), Porter stemming and case-folding for English, BM25
with headlines weighted over bodies, recency breaking ties (reference/scale-search.md §2).

The index is a file of its own (``state/search.sqlite3``), rebuilt when the articles change and swapped
in atomically, so every worker process reads the same index and none waits for a rebuild.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import sqlite3
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from wechat_pub import model as m
from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.text import guess_lang

log = logging.getLogger(__name__)

_HAN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
_TERMS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:[-'][a-z0-9]+)*")
_STOP_ZH = set("的 了 和 与 及 在 对 为 是 将 等 关于 发布 有关 相关 公司 工作 进行 一 本 其 中 并 或 以 于".split())
_STOP_EN = set("the a an and or of to in on for with by from at as is are be its this that new".split())
HEADLINE_WEIGHT = 6.0
COUNT_CAP = 1000  # "1000+ matches" is as useful to a follower as the exact number, and far cheaper
RECENT_WINDOW = 5_000  # a very common word is ranked among the newest items only: bounded time per query
CACHE_SIZE = 512  # answers to recent queries, per process, until the index changes

SCHEMA = """
CREATE TABLE items (id INTEGER PRIMARY KEY, issue INTEGER NOT NULL, date TEXT NOT NULL, position INTEGER NOT NULL,
                    headline_zh TEXT NOT NULL, headline_en TEXT NOT NULL, path TEXT NOT NULL);
CREATE VIRTUAL TABLE items_fts USING fts5(headline_zh, headline_en, body_zh, body_en, content='',
                                          tokenize='porter unicode61 remove_diacritics 2');
CREATE TABLE issues (issue INTEGER PRIMARY KEY, date TEXT NOT NULL, title_zh TEXT NOT NULL, title_en TEXT NOT NULL,
                     items INTEGER NOT NULL, path TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def normalise(text: str) -> str:
    """What the index stores and queries use: NFKC, lower case, a space around every Han character."""
    return _HAN.sub(r" \1 ", unicodedata.normalize("NFKC", text).lower())


@dataclass(frozen=True)
class Hit:
    issue: int
    date: str
    position: int
    headline_zh: str
    headline_en: str


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

    @property
    def capped(self) -> bool:
        return self.total >= COUNT_CAP


# ---- building ----------------------------------------------------------------------------------------


def build_index(path: str | os.PathLike, issues, signature: str = "") -> None:
    """Write a fresh index of ``issues`` to ``path`` (via a temporary file and an atomic rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    temporary.unlink(missing_ok=True)
    db = sqlite3.connect(temporary)
    try:
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + SCHEMA)
        words: Counter = Counter()
        next_id = 1
        for issue in issues:
            db.execute("INSERT OR REPLACE INTO issues VALUES (?, ?, ?, ?, ?, ?)",
                       (issue.number, issue.date, issue.title.zh, issue.title.en, len(issue.items), issue.path))
            for position, item in enumerate(issue.items, start=1):
                db.execute("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (next_id, issue.number, issue.date, position, item.headline.zh, item.headline.en,
                            issue.path))
                db.execute("INSERT INTO items_fts (rowid, headline_zh, headline_en, body_zh, body_en) "
                           "VALUES (?, ?, ?, ?, ?)",
                           (next_id, normalise(item.headline.zh), normalise(item.headline.en),
                            normalise(m.plain_text(item.body_zh, alt=False)),
                            normalise(m.plain_text(item.body_en, alt=False))))
                words.update(_headline_words(item.headline))
                next_id += 1
        suggestions = ",".join(word for word, _ in words.most_common(8))
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("signature", signature), ("suggestions", suggestions),
                                                           ("built_at", str(time.time()))])
        db.commit()
    finally:
        db.close()
    os.replace(temporary, path)


def _headline_words(headline: m.Bilingual) -> list[str]:
    import rjieba

    zh = [w for w in rjieba.cut(headline.zh) if len(w) >= 2 and w not in _STOP_ZH and _HAN.match(w)]
    en = [w for w in re.findall(r"[A-Z][A-Za-z]{2,}|[A-Z]{2,}", headline.en) if w.lower() not in _STOP_EN]
    return zh + en


# ---- the archive: an index kept in step with the articles folder ---------------------------------------


class Archive:
    """Search over the issues ``source()`` gives (as ``(signature, issues)``), kept in a local index file that
    every worker of the host shares. Changes are looked for at most every ``check_every`` seconds. With
    ``background`` (the webhook) a request never waits for a rebuild, nor for the database the issues come
    from: the current index answers meanwhile. ``source=None``: a fixed index, never rebuilt."""

    def __init__(self, source, index_path: str | os.PathLike, check_every: float = 5.0,
                 clock: Clock = SYSTEM_CLOCK, background: bool = False):
        self.source = source
        self.index_path = Path(index_path)
        self.check_every = check_every
        self.clock = clock
        self.background = background
        self._checked = -check_every
        self._refreshing = threading.Lock()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cache: dict[tuple, SearchResult] = {}  # followers ask the same few words again and again
        self._cache_identity: tuple | None = None

    # ---- keeping it fresh --------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Rebuild when the issues changed; one process rebuilds, the others keep serving the old index."""
        signature, issues = self.source()
        if not force and self.meta("signature") == signature:
            return False
        self.index_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.index_path.with_suffix(".lock"), "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            if not force and self.meta("signature") == signature:
                return False  # another process just did it
            build_index(self.index_path, issues, signature)
        return True

    def maybe_refresh(self) -> None:
        if self.source is None:
            return
        now = self.clock.monotonic()
        if now - self._checked < self.check_every and getattr(self._local, "conn", None) is not None:
            return  # (a thread with a connection has an index file)
        self._checked = now
        if self.background and self.index_path.exists():
            if self._refreshing.acquire(blocking=False):  # one refresh at a time; nobody waits for it
                threading.Thread(target=self._refresh_quietly, daemon=True).start()
            return
        self.refresh()

    def _refresh_quietly(self) -> None:
        try:
            self.refresh()
        except Exception as exc:  # the database is away, or a bug: the index we have keeps answering
            log.warning("search index not refreshed (%s: %s); answering from the current one", type(exc).__name__, exc)
        finally:
            self._refreshing.release()

    # ---- reading ------------------------------------------------------------------------------------

    def db(self) -> sqlite3.Connection:
        """This thread's connection, reopened when the index file was replaced."""
        try:
            stat = os.stat(self.index_path)
        except FileNotFoundError:
            self.refresh()
            stat = os.stat(self.index_path)
        identity = (stat.st_ino, stat.st_mtime_ns)
        cached = getattr(self._local, "conn", None)
        if cached is None or self._local.identity != identity:
            if cached is not None:
                cached.close()
            conn = sqlite3.connect(f"file:{self.index_path}?mode=ro", uri=True, check_same_thread=False)
            self._local.conn, self._local.identity = conn, identity
        return self._local.conn

    def version(self) -> tuple:
        """The index being read (it changes when a rebuild replaces the file): what answers were made from."""
        self.maybe_refresh()
        self.db()
        return self._local.identity

    def meta(self, key: str) -> str | None:
        if not self.index_path.exists():
            return None
        try:
            row = self.db().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError:
            return None
        return row[0] if row else None

    def suggestions(self) -> list[str]:
        return [w for w in (self.meta("suggestions") or "").split(",") if w]

    def issue(self, number: int) -> IssueInfo | None:
        row = self.db().execute("SELECT issue, date, title_zh, title_en, items FROM issues WHERE issue = ?",
                                (number,)).fetchone()
        return IssueInfo(*row) if row else None

    def latest(self) -> IssueInfo | None:
        row = self.db().execute("SELECT issue, date, title_zh, title_en, items FROM issues "
                                "ORDER BY date DESC, issue DESC LIMIT 1").fetchone()
        return IssueInfo(*row) if row else None

    def issue_items(self, number: int) -> list[Hit]:
        rows = self.db().execute("SELECT issue, date, position, headline_zh, headline_en FROM items WHERE issue = ? "
                                 "ORDER BY position", (number,)).fetchall()
        return [Hit(*row) for row in rows]

    # ---- searching -----------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Phrases as typed first; then every word (Chinese runs segmented into words)."""
        self.maybe_refresh()
        terms = _TERMS.findall(unicodedata.normalize("NFKC", query).lower())
        if not terms:
            return SearchResult([], 0, [])
        db = self.db()
        key = (tuple(terms), limit)
        with self._lock:
            if self._cache_identity != self._local.identity:
                self._cache, self._cache_identity = {}, self._local.identity
            if key in self._cache:
                return self._cache[key]
        result = self._search(db, terms, limit)
        with self._lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = result
        return result

    def _search(self, db: sqlite3.Connection, terms: list[str], limit: int) -> SearchResult:
        for expression in _expressions(terms):
            total = db.execute("SELECT COUNT(*) FROM (SELECT 1 FROM items_fts WHERE items_fts MATCH ? LIMIT ?)",
                               (expression, COUNT_CAP)).fetchone()[0]
            if total:
                return SearchResult(self._ranked(expression, limit, common=total >= COUNT_CAP), total, terms)
        return SearchResult([], 0, terms)

    def _ranked(self, expression: str, limit: int, common: bool) -> list[Hit]:
        query = ("SELECT i.issue, i.date, i.position, i.headline_zh, i.headline_en FROM items_fts "
                 "JOIN items i ON i.id = items_fts.rowid WHERE items_fts MATCH ? {window}"
                 f"ORDER BY bm25(items_fts, {HEADLINE_WEIGHT}, {HEADLINE_WEIGHT}, 1.0, 1.0), i.date DESC, "
                 "i.issue DESC LIMIT ?")
        if common:  # items are numbered in issue order: the newest ones have the highest ids
            newest = self.db().execute("SELECT MAX(id) FROM items").fetchone()[0] or 0
            rows = self.db().execute(query.format(window="AND items_fts.rowid > ? "),
                                     (expression, newest - RECENT_WINDOW, limit)).fetchall()
            if len(rows) >= limit:
                return [Hit(*row) for row in rows]
        return [Hit(*row) for row in self.db().execute(query.format(window=""), (expression, limit)).fetchall()]


def _phrase(term: str) -> str:
    return '"' + normalise(term).strip().replace('"', "") + '"'


def _expressions(terms: list[str]) -> list[str]:
    """FTS5 queries from strict to loose: typed phrases AND-ed, then words AND-ed, then words OR-ed."""
    import rjieba

    strict = " AND ".join(_phrase(t) for t in terms)
    words: list[str] = []
    for term in terms:
        if _HAN.match(term) and len(term) > 2:
            words += [w for w in rjieba.cut(term) if w not in _STOP_ZH]
        elif term not in _STOP_EN:
            words.append(term)
    loose = " AND ".join(_phrase(w) for w in words or terms)
    # No "any word" step: 量子计算 answered with 云计算 misleads more than "nothing found" with suggestions.
    return list(dict.fromkeys([strict, loose]))


def query_language(query: str) -> str:
    return guess_lang(query) or "zh"
