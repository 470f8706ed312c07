"""The word index: the search index's items again, in tantivy, with the Chinese of each item cut into words, so
that a large archive answers a question of common words without walking every place its characters occur.

SQLite FTS5 (:mod:`wechat_pub.bot.index`) keeps one token per Chinese character: 个人信息 is found as a phrase of
four characters, by walking the positions of each in every item that has it. At 100,000 items the common words
of an archive are each in about an eighth of them, and a question of two or three of them took 10-20 ms, where a
follower's answer should take a fraction of one. Here every dictionary word of the text is a token of its own
(rjieba's ``cut_all``: every word of its dictionary at every place it starts), so such a word's items are one
list, and exactly the items where its characters stand together: any word in the index is found as a word, any
other as a phrase of characters (fields of their own, tokenized as FTS5 tokenizes them). English is stemmed.

The dictionary is rjieba's and the archive's own terms: runs of two to four words that stand together in many of
its newest headlines (数据出境, 关键信息基础设施, 征求意见稿: not in rjieba's dictionary, each a phrase of four to
eight characters that FTS5 and tantivy walk in every item that has one of them). They are learned when the whole
index is made, kept in it, and cut by again for each changed issue, so a word's items stay exactly those where its
characters stand together; they are learned again once the archive has doubled.

The file of record stays the SQLite index: this one is made from it, after each of its updates, and carries the
*stamp* of the update it was made from (kept in the SQLite index's ``meta`` too). A reader uses it only while
the two stamps agree (:mod:`wechat_pub.bot.wordsearch`); an index behind, missing or broken is made again from
the SQLite index by the next update, and meanwhile FTS5 answers.
"""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
from collections import Counter
from contextlib import closing
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Callable, Iterable, TypeVar

import tantivy

from wechat_pub.bot.index import ID_STRIDE

log = logging.getLogger(__name__)

# Text fields: (name, FTS5 column, weight); a headline's match weighs as much as six of a body's, as in FTS5's bm25
TEXT_FIELDS = (("headline_zh", 0, 6.0), ("headline_en", 1, 6.0), ("body_zh", 2, 1.0), ("body_en", 3, 1.0))
WORD_FIELDS = (("headline_words", (0, 1), 6.0), ("body_words", (2, 3), 1.0))  # the Chinese of both languages
FOLDED = "folded"  # the analyzer of the text fields: what FTS5's 'porter unicode61 remove_diacritics 2' does
STAMP_KIND = "stamp"
LAYOUT = "words 3"  # bump when the fields or the cut change (3: the archive's own terms)
LEARN_FROM = 20_000  # the newest headlines the archive's terms are learned from
LEARN_SHARE = 1_000  # a run of words is learned when it is in one of this many of those headlines, and in
LEARN_LEAST = 20  # this many at least
LEARNED_MAX = 5_000  # terms learned at most (the most common)
RUN_MAX = 4  # words in a learned term at most
COUNTED_MAX = 200_000  # runs counted at once while learning (an archive's headlines have about 20,000)
HEADLINE_READ = 200  # characters of a headline read for its terms (the index spaces its Chinese: about 100 of them)
_HAN_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_BETWEEN_TOKENS = re.compile(r"[\W_]+")  # what FTS5 takes for separators (spaces, punctuation, U+200B, symbols)
WRITER_MEMORY = 256_000_000  # bytes tantivy may buffer before it writes a segment: 100,000 items in two
# segments (with 64 MB, six: every search pays for each segment; about 200 MB at the peak of that build)
T = TypeVar("T")


def words_path(index_path: str | Path) -> Path:
    """The word index's folder, beside the SQLite index it is made from."""
    index_path = Path(index_path)
    return index_path.with_name(index_path.name.removesuffix(".sqlite3") + ".words")


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("issue", indexed=True)
    for name, _column, _weight in TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=FOLDED, index_option="position")
    for name, _columns, _weight in WORD_FIELDS:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    builder.add_text_field("kind", tokenizer_name="raw", stored=True)
    builder.add_text_field("stamp", tokenizer_name="raw", stored=True)
    builder.add_text_field("cutter", tokenizer_name="raw", stored=True)
    builder.add_text_field("learned", tokenizer_name="raw", stored=True)  # the archive's terms, one value each
    builder.add_integer_field("learned_at", stored=True)  # items in the archive when they were learned
    return builder.build()


def folded() -> tantivy.TextAnalyzer:
    """Words and single Chinese characters (the SQLite index's text has a space around each), punctuation
    dropped, lower case, stemmed: one analyzer for the text and for the questions (accents are gone already)."""
    return (tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("english")).build())


def open_words(folder: Path, create: bool = False) -> tantivy.Index:
    """The word index in ``folder`` (made there when ``create``), its analyzer registered."""
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema(), path=str(folder), reuse=True) if create else tantivy.Index.open(str(folder))
    index.register_tokenizer(FOLDED, folded())
    return index


def cutter() -> str:
    """The fields and the dictionary the words were cut by: an index of others is made again."""
    return f"{LAYOUT} rjieba {package_version('rjieba')}"


def stamp_of(searcher: tantivy.Searcher, schema_: tantivy.Schema) -> tuple[str, str] | None:
    """(stamp, cutter) of the update the index was made from; None: it has none."""
    doc = _stamp_document(searcher, schema_)
    return None if doc is None else (doc["stamp"][0], doc["cutter"][0])


def _stamp_document(searcher: tantivy.Searcher, schema_: tantivy.Schema) -> dict | None:
    found = searcher.search(tantivy.Query.term_query(schema_, "kind", STAMP_KIND), 1, count=False)
    return searcher.doc(found.hits[0][1]).to_dict() if found.hits else None


class Cutter:
    """Cuts text into the words of rjieba's dictionary and the archive's terms ``learned``: each dictionary cuts
    it alone (every word of either at every place it starts is the same words as one dictionary of both would
    give), so rjieba's stays as it is for the process's other cuts, the questions', and making a cutter costs a
    millisecond, not the 0.1 s of a second copy of rjieba's dictionary."""

    def __init__(self, learned: list[str], learned_at: int):
        import rjieba  # only where the index is made: its dictionary alone is 30 MB

        self.learned = learned
        self.learned_at = learned_at
        self._rjieba = rjieba
        self._terms = rjieba.Jieba.empty()
        for word in learned:
            self._terms.add_word(word, None, None)

    @classmethod
    def learning(cls, db: sqlite3.Connection, items: int) -> Cutter:
        """A cutter with the terms of the archive in ``db`` (of ``items`` items). Which terms are learned changes
        only how fast a question is answered, never what it finds, so the counting may forget: past
        :data:`COUNTED_MAX` runs the rarest are dropped, which bounds the memory whatever the headlines (each is
        read up to :data:`HEADLINE_READ` characters)."""
        import rjieba

        counts: Counter[str] = Counter()
        headlines = 0
        for (headline,) in db.execute("SELECT substr(headline_zh, 1, ?) FROM items_fts ORDER BY rowid DESC LIMIT ?",
                                      (HEADLINE_READ, LEARN_FROM)):
            headlines += 1
            counts.update(set(_runs(headline)))
            if len(counts) > COUNTED_MAX:
                _forget_rarest(counts)
        least = max(LEARN_LEAST, headlines // LEARN_SHARE)
        common = [word for word, count in counts.most_common(LEARNED_MAX) if count >= least]
        return cls(sorted(word for word in common if not rjieba.has_word(word)), items)

    def words(self, text: str) -> list[str]:
        """Every word of two Chinese characters or more at every place it starts in ``text`` (spaced by the
        SQLite index). What FTS5 takes for separators goes first, so characters it finds as a phrase (个人 信息,
        个人，信息, 个人<U+200B>信息) are cut as one run, and a token between them (个人 gdpr 信息) keeps them apart."""
        if text.isascii():
            return []
        joined = _BETWEEN_TOKENS.sub("", text)
        cut = self._rjieba.cut_all(joined)
        if self.learned:
            cut += self._terms.cut_all(joined)
        return [word for word in cut if len(word) > 1 and _HAN_WORD.fullmatch(word)]


def _forget_rarest(counts: Counter[str]) -> None:
    """Drop the runs seen least until half of :data:`COUNTED_MAX` are left (in place: the dict's room is reused)."""
    floor = 1
    while len(counts) > COUNTED_MAX // 2:
        for run in [run for run, count in counts.items() if count <= floor]:
            del counts[run]
        floor += 1


def _runs(text: str) -> Iterable[str]:
    """The runs of two to :data:`RUN_MAX` words of ``text`` (cut by rjieba), one of them of two characters or
    more."""
    import rjieba

    for chinese in _HAN_WORD.findall(_BETWEEN_TOKENS.sub("", text)):
        words = rjieba.cut(chinese, False)
        for start in range(len(words) - 1):
            for end in range(start + 2, min(start + RUN_MAX, len(words)) + 1):
                if any(len(word) > 1 for word in words[start:end]):
                    yield "".join(words[start:end])


def words_made_from(index_path: Path) -> str | None:
    """The stamp of the update the word index beside ``index_path`` was made from (None: none is there)."""
    _index, made_from = _opened(words_path(index_path))
    return made_from[0] if made_from is not None and made_from[1] == cutter() else None


def guarded(ask: Callable[[], T], level: int = logging.WARNING) -> T | None:
    """What ``ask`` answers from the word index; None when tantivy fails (an error, or a panic of its Rust, which
    Python raises as a BaseException): FTS5 answers instead, and the follower never sees it."""
    try:
        return ask()
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 (pyo3's PanicException is not an Exception)
        log.log(level, "word index failed (%s: %s); FTS5 answers", type(exc).__name__, exc)
        return None


def sync_words(index_path: Path, previous: str | None, stamp: str, changed: Iterable[int] | None) -> None:
    """Make the word index of the SQLite index at ``index_path`` (just committed with ``stamp``): only the issues
    ``changed`` when it was made from the update before (``previous``) by the same cutter, else all of it.
    Never raises: an index not made is one FTS5 stands in for, and the next update makes it."""
    folder = words_path(index_path)

    def make() -> bool:
        with closing(sqlite3.connect(f"file:{index_path}?mode=ro", uri=True)) as db:
            _sync(folder, db, previous, stamp, changed)
        return True
    if guarded(make) is None:  # (a full disk, a broken folder: the answers come from FTS5 meanwhile)
        shutil.rmtree(folder, ignore_errors=True)


def _sync(folder: Path, db: sqlite3.Connection, previous: str | None, stamp: str,
          changed: Iterable[int] | None) -> None:
    index, made_from = _opened(folder)
    if index is None or made_from is None or made_from[1] != cutter():  # (another layout or dictionary)
        shutil.rmtree(folder, ignore_errors=True)
        index, made_from = open_words(folder, create=True), None
    whole = changed is None or previous is None or made_from != (previous, cutter())
    cut = None if whole else _cutter_of(index)
    items = int(next(iter(db.execute("SELECT value FROM meta WHERE key = 'items'")), ("0",))[0] or 0)
    if cut is None or items >= 2 * max(cut.learned_at, 1):  # (new, or the archive has doubled: learned again)
        whole, cut = True, Cutter.learning(db, items)
    writer = index.writer(heap_size=WRITER_MEMORY)  # (on every core: a full sync is rare, an issue's is small)
    try:
        if whole:
            writer.delete_all_documents()
            rows = db.execute("SELECT rowid, headline_zh, headline_en, body_zh, body_en FROM items_fts")
        else:
            numbers = sorted(set(changed))
            for number in numbers:
                writer.delete_documents_by_term("issue", number)
            rows = (row for number in numbers for row in db.execute(
                "SELECT rowid, headline_zh, headline_en, body_zh, body_en FROM items_fts WHERE rowid >= ? AND "
                "rowid < ?", (number * ID_STRIDE, (number + 1) * ID_STRIDE)))
        for row in rows:
            writer.add_document(_document(cut, *row))
        writer.delete_documents_by_term("kind", STAMP_KIND)
        writer.add_document(tantivy.Document(kind=STAMP_KIND, stamp=stamp, cutter=cutter(), learned=cut.learned,
                                             learned_at=cut.learned_at))
        writer.commit()
        writer.wait_merging_threads()
    except BaseException:
        writer.rollback()
        raise
    finally:
        del writer  # (its lock on the folder goes with it)


def _opened(folder: Path) -> tuple[tantivy.Index | None, tuple[str, str] | None]:
    """The index in ``folder`` and what it was made from; (None, None) when there is none that opens."""
    def read() -> tuple[tantivy.Index, tuple[str, str] | None]:
        index = open_words(folder)
        index.reload()
        return index, stamp_of(index.searcher(), index.schema)
    found = guarded(read, logging.DEBUG) if folder.is_dir() else None  # (None: not an index, or of other fields)
    return found or (None, None)


def _cutter_of(index: tantivy.Index) -> Cutter | None:
    """The cutter the index was made by (None: it has no stamp)."""
    doc = _stamp_document(index.searcher(), index.schema)
    return None if doc is None else Cutter(doc.get("learned", []), doc.get("learned_at", [0])[0])


def _document(cut: Cutter, rowid: int, *columns: str) -> tantivy.Document:
    document = tantivy.Document(id=rowid, issue=rowid // ID_STRIDE)
    for name, column, _weight in TEXT_FIELDS:
        document.add_text(name, columns[column])
    for name, of, _weight in WORD_FIELDS:
        document.add_text(name, " ".join(word for c in of for word in cut.words(columns[c])))
    return document

