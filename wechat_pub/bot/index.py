"""The search index file: built once, then kept in step one issue at a time.

SQLite FTS5 with one token per Chinese character (exact matches for 苹果 or 个人信息, on any SQLite), Porter
stemming and case-folding for English (reference/scale-search.md §2). A large archive's word index is made from
this file's text after each update (:mod:`wechat_pub.bot.wordindex`). An item's id is its issue number times
1000 plus its position, so ids follow the issues' order and an issue's rows are found by range.

:func:`update_index` compares each issue's fingerprint (the hash of its text) with the one indexed and
re-indexes only the issues that changed, came or went, in one transaction: the file is in WAL mode, so readers
go on reading the index as it was until that transaction commits, and then see all of it. A file of an older
layout is rebuilt beside it and swapped in with an atomic rename.

The words of the headlines (segmented by rjieba) are kept per issue, and counted over the archive in
``vocabulary`` (kept in step as issues come and go: adding up a 100,000-item archive's words took 70 ms, every
update): the most frequent ones are the suggestions shown when nothing matches, and all of them are the vocabulary
that splits a follower's Chinese query into words, so answering needs no segmenter (and no dictionary in memory).
The English words of every item and the sounds of Chinese characters (from pypinyin, where the index is built)
are kept for correcting typos (:mod:`wechat_pub.bot.typos`). Text is folded (:mod:`wechat_pub.bot.fold`: NFKC,
case, traditional to simplified) before any of it is kept.
"""

from __future__ import annotations

import functools
import os
import re
import sqlite3
import threading
import unicodedata
import uuid
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from wechat_pub import model as m
from wechat_pub.bot.fold import fold
from wechat_pub.bulk import paused_gc

LAYOUT = "6"  # bump when the tables or what they hold change: an index of another layout is rebuilt (5: meta
# has the word index's stamp and the items counted, see wordindex.py; 6: normalise drops accents, spaces symbols)
ID_STRIDE = 1000  # item id = issue * ID_STRIDE + position
RECENT_ITEMS = 5_000  # a very common word is ranked among the newest items only: bounded time per query

_HAN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ENGLISH_WORD = re.compile(r"[a-z]{4,}")
_ACCENT = re.compile(r"[\u0300-\u036f]")  # combining diacritics (of a letter taken apart: é is e + U+0301)
_NOT_A_TOKEN = re.compile(r"[^\w\s]")  # symbols, punctuation, private use, other marks (a keycap, a strike-through)
# The mark of a story continued across the parts of a split issue: （第二部分）, (Part 2), （续）, (cont.), (2/3)
PART_MARK = re.compile(r"\s*[（(]\s*(?:第?[一二三四五六七八九十\d]+部分|part\s*\d+|续|cont\.?|[上中下]|\d+\s*/\s*\d+)\s*[)）]\s*$",
                       re.I)
STOP_ZH = set("的 了 和 与 及 在 对 为 是 将 等 关于 发布 有关 相关 公司 工作 进行 一 本 其 中 并 或 以 于".split())
STOP_EN = set("the a an and or of to in on for with by from at as is are be its this that new".split())

SCHEMA = """
CREATE TABLE items (id INTEGER PRIMARY KEY, issue INTEGER NOT NULL, date TEXT NOT NULL, position INTEGER NOT NULL,
                    headline_zh TEXT NOT NULL, headline_en TEXT NOT NULL, path TEXT NOT NULL,
                    section_zh TEXT NOT NULL, section_en TEXT NOT NULL);
CREATE VIRTUAL TABLE items_fts USING fts5(headline_zh, headline_en, body_zh, body_en,
                                          tokenize='porter unicode61 remove_diacritics 2');
CREATE TABLE issues (issue INTEGER PRIMARY KEY, date TEXT NOT NULL, title_zh TEXT NOT NULL, title_en TEXT NOT NULL,
                     items INTEGER NOT NULL, path TEXT NOT NULL, fingerprint TEXT NOT NULL);
CREATE TABLE words (issue INTEGER NOT NULL, word TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (issue, word));
CREATE TABLE vocabulary (word TEXT PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE spelling (word TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE sounds (char TEXT PRIMARY KEY, readings TEXT NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class IssueText:
    """What the index keeps of an issue: :func:`extract` makes it (in whichever process read the issue)."""

    number: int
    date: str
    title_zh: str
    title_en: str
    path: str
    headlines: tuple[tuple[str, str], ...]  # (zh, en) per item, in order
    texts: tuple[tuple[str, str, str, str], ...]  # per item, normalised: headline zh, en, body zh, en
    words: tuple[tuple[str, int], ...]  # headline words and how often they occur
    sections: tuple[tuple[str, str], ...] = ()  # (zh, en) heading of each item's section, in order
    spelling: frozenset[str] = frozenset()  # the English words of the items


@dataclass(frozen=True)
class IndexEntry:
    """An issue the index should hold: its number, a fingerprint that changes with its text, and how to get
    its :class:`IssueText` (called only when it has to be indexed; None: it cannot be read)."""

    number: int
    fingerprint: str
    load: Callable[[], IssueText | None]


def entries_of(issues: Iterable[m.Issue]) -> list[IndexEntry]:
    """Entries for issues already read (tests, small tools): fingerprinted by their content."""
    return [IndexEntry(issue.number, str(hash(repr(issue))), (lambda issue=issue: extract(issue))) for issue in issues]


def extract(issue: m.Issue) -> IssueText:
    items = issue.items[:ID_STRIDE - 1]
    texts = tuple((normalise(item.headline.zh), normalise(item.headline.en),
                   normalise(m.plain_text(item.body_zh, alt=False)), normalise(m.plain_text(item.body_en, alt=False)))
                  for item in items)
    words = Counter(word for item in items for word in headline_words(item.headline))
    spelling = frozenset(_ENGLISH_WORD.findall(" ".join(text[1] + " " + text[3] for text in texts)))
    sections = tuple((section.heading.zh, section.heading.en) for section in issue.sections
                     for _ in section.items)[:len(items)]
    return IssueText(issue.number, issue.date, issue.title.zh, issue.title.en, issue.path,
                     tuple((item.headline.zh, item.headline.en) for item in items), texts, tuple(words.items()),
                     sections, spelling)


def normalise(text: str) -> str:
    """What the index stores and queries use: folded (NFKC, lower case, simplified), accents dropped (café is
    cafe, İ lowered i), a space around every Han character and in the place of every other mark and symbol. Both
    engines then read the same tokens: FTS5's tables of Unicode 6.1 took private use (a PDF's Symbol-font bullets)
    and newer symbols (robot🤖) for letters, and dropped only some marks; tantivy's tokenizer splits at them."""
    if text.isascii():  # (English text: only the case changes, and a tenth as costly to find so)
        return text.lower()
    folded = fold(text)
    apart = unicodedata.normalize("NFD", folded)
    if _ACCENT.search(apart):
        folded = unicodedata.normalize("NFC", _ACCENT.sub("", apart))
    return _HAN_RUN.sub(_spaced, _NOT_A_TOKEN.sub(" ", folded))


def strip_part(headline: str) -> str:
    """A headline without the mark of the part it continues in (the story's own words)."""
    return PART_MARK.sub("", headline)


def _spaced(run: re.Match) -> str:
    return " " + " ".join(run.group()) + " "


def update_index(path: str | os.PathLike, entries: list[IndexEntry], version: str = "",
                 reading: Callable[[list[int]], Iterable[int]] | None = None) -> int:
    """Bring the index at ``path`` in step with ``entries``: the issues (re)indexed. ``version``: what the
    source was when read, stored for :meth:`Archive.refresh` to compare. ``reading(numbers)``: reads the issues
    about to be indexed (on every core), yielding each number once its issue is read."""
    return IndexUpdate(path).finish(entries, version, reading)


def build_index(path: str | os.PathLike, issues: Iterable[m.Issue], version: str = "") -> None:
    """A fresh index of ``issues`` at ``path`` (replacing what is there)."""
    IndexUpdate(path, rebuild=True).finish(entries_of(issues), version)


class IndexUpdate:
    """One update of the index file at ``path``: in place, in one transaction (the file is in WAL mode, so
    readers see the index before it, or after it); or, for a file of an older layout, none, or ``rebuild``, a
    new file built beside it and swapped in with an atomic rename.

    Issues may be :meth:`offer` ed while their source is still being read (the first sync of a large archive
    reads it on every core): each is indexed as it comes, so SQLite's full-text work (a quarter of building
    such an index) is done while the other cores read, not after them. :meth:`finish` keeps what was offered
    when its fingerprint is the one wanted, removes the rest, and indexes what is still missing."""

    def __init__(self, path: str | os.PathLike, rebuild: bool = False):
        self.path = Path(path)
        self.rebuild = rebuild or not _current_layout(self.path)
        self.temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        self._db: sqlite3.Connection | None = None
        self._before: dict[int, str] = {}  # issue -> fingerprint, as indexed before this update
        self._spelled: set[str] = set()  # English words this update has kept (a removed issue's stay until a rebuild)
        self.stamp = uuid.uuid4().hex  # this update's, in meta: what the word index made from it carries
        self.previous_stamp: str | None = None  # the update's before it (in place)
        self.changed: set[int] | None = None  # the issues this update changed (None: all of them, rebuilt)

    def offer(self, number: int, fingerprint: str, text: IssueText) -> None:
        """Index issue ``number`` as ``text`` now; :meth:`finish` keeps it if ``fingerprint`` is the one wanted."""
        db = self._open()
        if number in self._before:  # (only then: a deletion makes SQLite write out what it holds so far)
            _remove(db, number)
        _insert(db, text, fingerprint, self._spelled, counted=not self.rebuild)

    def finish(self, entries: list[IndexEntry], version: str,
               reading: Callable[[list[int]], Iterable[int]] | None = None) -> int:
        """The index in step with ``entries`` (see :func:`update_index`), committed: the issues (re)indexed."""
        try:
            db = self._open()
            with paused_gc():
                _apply(db, entries, reading, self._spelled, counted=not self.rebuild)
            if self.rebuild:  # the archive's words counted once, at the end
                db.execute("INSERT INTO vocabulary SELECT word, SUM(count) FROM words GROUP BY word")
            _finish(db, version, self.stamp)
            after = dict(db.execute("SELECT issue, fingerprint FROM issues"))
            if self.rebuild:  # merged once, now: less work than merging as it grew, and one segment to read
                db.execute("INSERT INTO items_fts (items_fts) VALUES ('optimize')")
                db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 4)")  # SQLite's default
            db.commit()
            if self.rebuild:
                db.execute("PRAGMA journal_mode=WAL")  # from now on updated in place, readers never blocked
            db.close()
            self._db = None
            if self.rebuild:
                _swap_in(self.temporary, self.path)
        except BaseException:
            self.abort()
            raise
        changed = {n for n in self._before.keys() | after.keys() if self._before.get(n) != after.get(n)}
        self.changed = None if self.rebuild else changed
        return len(changed)

    def abort(self) -> None:
        """Nothing of this update is kept (its source failed, or nothing changed)."""
        if self._db is not None:
            self._db.rollback()
            self._db.close()
            self._db = None
        if self.rebuild:
            self._remove_temporary()

    def _open(self) -> sqlite3.Connection:
        """The update's connection, in its transaction (opened when first needed)."""
        if self._db is not None:
            return self._db
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.rebuild:
            self._remove_temporary()
            db = sqlite3.connect(self.temporary)
            db.executescript("PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF;" + SCHEMA)
            db.execute("INSERT INTO meta VALUES ('layout', ?)", (LAYOUT,))
            db.execute("INSERT INTO items_fts (items_fts, rank) VALUES ('automerge', 0)")  # see finish()
            db.executemany("INSERT INTO sounds VALUES (?, ?)", _sounds())
        else:
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("BEGIN IMMEDIATE")
            self._before = dict(db.execute("SELECT issue, fingerprint FROM issues"))
            stamp = db.execute("SELECT value FROM meta WHERE key = 'words'").fetchone()
            self.previous_stamp = stamp[0] if stamp else None
        self._db = db
        return db

    def _remove_temporary(self) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.temporary}{suffix}").unlink(missing_ok=True)


def _swap_in(new: Path, path: Path) -> None:
    """The rebuilt file ``new`` in the place of ``path``. SQLite takes a -wal file beside a database for that
    database's: the old file's, left there, would be laid over the new one (its pages over pages of another
    file). So the old log is first written into the old file (a reader opening it meanwhile sees all of it), then
    removed with its index (-shm). Readers that have the old file open go on reading it (read-only connections
    never write back or remove a log) until they notice the new file."""
    if path.exists():
        try:
            with closing(sqlite3.connect(path, timeout=5)) as old:
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.DatabaseError:  # (busy, or not an index at all: its log goes all the same)
            pass
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(new, path)


def _current_layout(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
    except sqlite3.DatabaseError:
        return False
    return row is not None and row[0] == LAYOUT


def _apply(db: sqlite3.Connection, entries: list[IndexEntry], reading=None, spelled: set | None = None,
           counted: bool = True) -> None:
    indexed = dict(db.execute("SELECT issue, fingerprint FROM issues"))
    wanted = {entry.number: entry for entry in entries}
    gone = [number for number, fingerprint in indexed.items()
            if number not in wanted or wanted[number].fingerprint != fingerprint]
    for number in gone:
        _remove(db, number)
    fresh = [number for number, entry in wanted.items() if indexed.get(number) != entry.fingerprint]
    # Each issue is indexed as soon as it is read, while the others are still being read elsewhere.
    for number in (reading(fresh) if reading is not None else fresh):
        text = wanted[number].load()
        if text is not None:
            _insert(db, text, wanted[number].fingerprint, spelled, counted)


def _remove(db: sqlite3.Connection, number: int) -> None:
    low, high = number * ID_STRIDE, (number + 1) * ID_STRIDE
    db.execute("DELETE FROM items_fts WHERE rowid >= ? AND rowid < ?", (low, high))
    db.execute("DELETE FROM items WHERE id >= ? AND id < ?", (low, high))
    db.execute("DELETE FROM issues WHERE issue = ?", (number,))
    its_words = "word IN (SELECT word FROM words WHERE issue = ?)"  # (the vocabulary is not scanned)
    db.execute("UPDATE vocabulary SET count = count - (SELECT count FROM words WHERE issue = ? AND "
               f"word = vocabulary.word) WHERE {its_words}", (number, number))
    db.execute(f"DELETE FROM vocabulary WHERE count <= 0 AND {its_words}", (number,))
    db.execute("DELETE FROM words WHERE issue = ?", (number,))


def _insert(db: sqlite3.Connection, text: IssueText, fingerprint: str, spelled: set | None = None,
            counted: bool = True) -> None:
    """Issue ``text`` into the index. ``spelled``: the English words this update has already kept (the archive's
    words are kept once, not per issue: a few thousand, where per issue they would be millions). ``counted``: its
    words added to ``vocabulary`` now (a rebuild counts the whole archive's at its end, at once)."""
    db.execute("INSERT INTO issues VALUES (?, ?, ?, ?, ?, ?, ?)", (text.number, text.date, text.title_zh,
                                                                    text.title_en, len(text.headlines), text.path,
                                                                    fingerprint))
    base = text.number * ID_STRIDE
    sections = text.sections or (("", ""),) * len(text.headlines)
    db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   [(base + position, text.number, text.date, position, zh, en, text.path, *section)
                    for position, ((zh, en), section) in enumerate(zip(text.headlines, sections), start=1)])
    db.executemany("INSERT INTO items_fts (rowid, headline_zh, headline_en, body_zh, body_en) VALUES (?, ?, ?, ?, ?)",
                   [(base + position, *normalised) for position, normalised in enumerate(text.texts, start=1)])
    db.executemany("INSERT INTO words VALUES (?, ?, ?)", [(text.number, w, n) for w, n in text.words])
    if counted:
        db.executemany("INSERT INTO vocabulary VALUES (?, ?) ON CONFLICT (word) DO UPDATE SET count = count + "
                       "excluded.count", text.words)
    fresh = text.spelling - spelled if spelled is not None else text.spelling
    db.executemany("INSERT OR IGNORE INTO spelling VALUES (?)", [(word,) for word in fresh])
    if spelled is not None:
        spelled |= fresh


def _finish(db: sqlite3.Connection, version: str, stamp: str) -> None:
    # Chinese words and acronyms (EDPB, GDPR): a capitalised English word of a headline (Personal) says little alone
    suggestions = [word for word, in db.execute("SELECT word FROM vocabulary ORDER BY count DESC, word "
                                                 "LIMIT 200")  # (ties by the word: as a rebuild ranks them)
                   if not word.isascii() or word.isupper()][:8]
    recent = db.execute("SELECT id FROM items ORDER BY id DESC LIMIT 1 OFFSET ?", (RECENT_ITEMS - 1,)).fetchone()
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                   [("version", version), ("suggestions", ",".join(suggestions)),
                    ("recent_from", str(recent[0] if recent else 0)), ("words", stamp),
                    ("items", str(db.execute("SELECT COUNT(*) FROM items").fetchone()[0]))])


def word_counts(layout: str | None) -> str:
    """What reads the archive's words and their counts from an index of ``layout``: one of the layout before
    (read while its rebuild runs, after an upgrade) has no ``vocabulary``, and counts them as it did."""
    if layout == LAYOUT:
        return "SELECT word, count FROM vocabulary"
    return "SELECT word, SUM(count) FROM words GROUP BY word"


def headline_words(headline: m.Bilingual) -> list[str]:
    """The words of a headline worth suggesting and segmenting by: Chinese words of two characters or more, and
    English proper nouns and acronyms."""
    import rjieba  # only where an index is built: its dictionary alone is 30 MB

    zh = [w for w in rjieba.cut(fold(strip_part(headline.zh))) if len(w) >= 2 and w not in STOP_ZH and _HAN.match(w)]
    en = [w for w in re.findall(r"[A-Z][A-Za-z]{2,}|[A-Z]{2,}", strip_part(headline.en)) if w.lower() not in STOP_EN]
    return zh + en


def _sounds() -> list[tuple[str, str]]:
    """(character, its readings without tones) for every character pypinyin knows: what typos are matched by."""
    return [(chr(code), " ".join(sorted({_toneless(r) for r in readings.split(",")})))
            for code, readings in _pinyin_dict().items() if 0x3400 <= code <= 0xFAFF]


def _pinyin_dict() -> dict[int, str]:
    """pypinyin's table of the readings of each character (code point -> "pīn,pìn"), read from its data file:
    importing the package loads its dictionary of phrases too (a second, and 40 MB), which this does not need."""
    import importlib.util
    import json

    spec = importlib.util.find_spec("pypinyin")  # (finds the package without importing it)
    path = Path(spec.submodule_search_locations[0]) / "pinyin_dict.json" if spec else None
    if path is None or not path.exists():
        from pypinyin.pinyin_dict import pinyin_dict
        return pinyin_dict
    return {int(code): readings for code, readings in json.loads(path.read_text(encoding="utf-8")).items()}


@functools.lru_cache(maxsize=None)
def _toneless(reading: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
