"""Review 41: the word index's learned terms (commits 2a3a6d3 and 2ba4729: ``Cutter`` with rjieba's dictionary plus
the archive's own terms, learned from its newest headlines and kept in the stamp document; ``LAYOUT`` "words 3"; a
phrase's query kept per searcher). As in reviews 38-40, an archive answered by its word index is built with
``words_from=0``."""

from __future__ import annotations

import random
import sqlite3
import tracemalloc
from contextlib import closing

import tantivy
from test_review38_holes import _issue, _item

from conftest import SEED_ARTICLE, FakeClock
from wechat_pub.bot import wordindex
from wechat_pub.bot.index import entries_of, normalise
from wechat_pub.bot.search import Archive
from wechat_pub.bot.wordindex import words_made_from, words_path


def _previous_layouts_index(path, stamp: str) -> None:
    """The word index beside ``path`` as the release before 2a3a6d3 made it ("words 2": the same fields but
    ``learned`` and ``learned_at``, words cut by rjieba's dictionary alone), made from the update ``stamp``."""
    import shutil
    from importlib.metadata import version as package_version

    folder = words_path(path)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("issue", indexed=True)
    for name, _column, _weight in wordindex.TEXT_FIELDS:
        builder.add_text_field(name, tokenizer_name=wordindex.FOLDED, index_option="position")
    for name, _columns, _weight in wordindex.WORD_FIELDS:
        builder.add_text_field(name, tokenizer_name="whitespace", index_option="freq")
    for name in ("kind", "stamp", "cutter"):
        builder.add_text_field(name, tokenizer_name="raw", stored=True)
    index = tantivy.Index(builder.build(), path=str(folder))
    index.register_tokenizer(wordindex.FOLDED, wordindex.folded())
    writer = index.writer(heap_size=50_000_000)
    plain = wordindex.Cutter([], 0)
    with closing(sqlite3.connect(path)) as db:
        for row in db.execute("SELECT rowid, headline_zh, headline_en, body_zh, body_en FROM items_fts"):
            writer.add_document(wordindex._document(plain, *row))
    writer.add_document(tantivy.Document(kind=wordindex.STAMP_KIND, stamp=stamp,
                                         cutter=f"words 2 rjieba {package_version('rjieba')}"))
    writer.commit()
    writer.wait_merging_threads()
    del writer


def _uses_words(archive: Archive) -> bool:
    archive.version()
    return archive._matcher._searcher() is not None


def test_a_worker_that_read_the_previous_layouts_index_reads_the_new_one_after_the_next_update(tmp_path):
    """The upgrade to 2a3a6d3: the SQLite index is kept, its word index ("words 2") has the same stamp, so a
    webhook worker of the new release that answers a question before the first update reads that folder (the
    reader checks the stamp, not the layout). The update then makes the folder again with the new layout, whose
    stamp document has two more fields (``learned``, ``learned_at``). At the next update the worker reloads its
    ``tantivy.Index`` (opened with the old schema of 11 fields) and reading the new stamp document panics in
    tantivy ("index out of bounds: the len is 11 but the index is 11"). ``WordSearch._open_at`` reopens the index
    only on ValueError/OSError, so the panic leaves the stale ``Index`` in place: every later look (once a second
    while followers ask) panics again, prints a Rust panic to stderr and logs a warning, and that worker answers
    every question by FTS5 (10-20 ms of CPU instead of a fraction of one on 100,000 items) until it is restarted.
    A worker started after the update reads the new index fine."""
    issues = [_issue(n, [_item(f"跨境传输新规第{n}条", f"Rule {n}", "数据出境安全评估。", "Assessment.")] * 6,
                     date="2025-06-01") for n in range(100, 110)]
    version = ["v1"]

    def source(offer):
        return version[0], entries_of(issues)
    path = tmp_path / "search.sqlite3"
    updater = Archive(source, path, check_every=0, words_from=0)
    updater.refresh()
    _previous_layouts_index(path, updater.meta("words"))  # (as the release before left it)
    clock = FakeClock()
    worker = Archive(None, path, words_from=0, clock=clock.clock)
    assert _uses_words(worker) and worker.search("跨境传输").total == 60  # (the old layout, same stamp: read)
    issues[3] = _issue(103, [_item("蓝鲸计划启动", "Blue whale", "蓝鲸计划。", "Blue whale.")] * 6, date="2025-06-02")
    version[0] = "v2"
    updater.refresh()  # (the new layout made: another cutter)
    assert words_made_from(path) == updater.meta("words")
    assert _uses_words(Archive(None, path, words_from=0))  # (a worker started now reads it)
    for _second in range(3):
        clock.advance(61)
        assert worker.search("蓝鲸计划").total == 6  # (FTS5 or the word index: the same answer)
    assert _uses_words(worker), "the worker that read the previous layout never reads the word index again"


def test_learning_a_large_archives_terms_takes_memory_bounded_by_a_share_not_by_every_headline(monkeypatch):
    """2ba4729 bounds the learning's memory "on headlines made to blow it up" by forgetting, every 1,000
    headlines, the runs seen once. A run seen twice is never forgotten: headlines that each come twice within
    1,000 (an issue imported twice, a long story in two parts; here 60 dictionary words each, about the 100
    Chinese characters read) keep every one of their runs, so the counter grows with the headlines read, up to
    all 20,000 of them: about 300 MB traced (470 MB of RSS) in the process making the index (the webhook's
    ``wechat-pub index``), besides tantivy's 256 MB writer, and 11 s. Learning from ten times the headlines
    should take about the memory of the few (a bound: COUNTED_MAX runs, here made smaller to be quick)."""
    import rjieba

    monkeypatch.setattr(wordindex, "COUNTED_MAX", 20_000, raising=False)
    seed = SEED_ARTICLE.read_text(encoding="utf-8")
    vocabulary = sorted({word for word in rjieba.cut(seed) if len(word) > 1 and wordindex._HAN_WORD.fullmatch(word)})
    assert len(vocabulary) > 200

    def peak(headlines: int) -> int:
        with closing(sqlite3.connect(":memory:")) as db:
            db.execute("CREATE TABLE items_fts (headline_zh TEXT)")
            db.executemany("INSERT INTO items_fts VALUES (?)", [
                (normalise("".join(random.Random(n // 2).choices(vocabulary, k=60))),) for n in range(headlines)])
            tracemalloc.start()
            try:
                wordindex.Cutter.learning(db, headlines)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
    few, many = peak(200), peak(2_000)
    assert many < 2 * few, f"{few / 2**20:.0f} MB for 200 headlines, {many / 2**20:.0f} MB for 2,000"
