"""Review 39: the word index's fixes after review 38 (commit 8e9a37c: ties ranked by recency up to TIED_MAX items,
``Cutter.words`` across FTS5's separators, ``without_accents``, ``Matcher.words_lost`` + ``Archive._refresh_quietly``
making a lost word index again). As in review 38, each search test asks an archive answered by its word index
(``words_from=0``) and the same index file answered by FTS5 alone, and expects the same answer."""

from __future__ import annotations

import pytest
from test_review38_holes import _answer, _both, _filler, _issue, _item, webhook_archive_made

from conftest import FakeClock
from wechat_pub.bot.search import Archive
from wechat_pub.bot.wordindex import words_made_from, words_path


def test_more_than_256_tied_items_still_give_the_newest_ones(tmp_path):
    """A recurring column (the same headline and body issue after issue: the same score) in more than 256 issues,
    five years of a weekly newsletter. FTS5 gives the newest (``ORDER BY bm25, date DESC, issue DESC``); the word
    index reads only 256 of the tied items (``TIED_MAX``), the ones tantivy picks (the lowest document
    addresses: the oldest issues after a full sync), and shows the newest of those. So a follower of a large
    archive asking for the column gets issues of 2006 (here 335, 323, ...), never the last ones (383, 371, ...),
    and "limit 1" (the one best answer) is an old issue too."""
    issues = [_issue(n, [_item("苹果发布隐私报告", "Apple privacy report", "苹果公司发布年度报告。",
                               "Apple publishes its annual report.")],
                     date=f"{2000 + n // 52}-{n % 12 + 1:02d}-{n % 28 + 1:02d}")
              for n in range(100, 400)] + _filler()
    words, fts5 = _both(tmp_path / "search.sqlite3", issues)
    for query in ("苹果", "apple report"):
        for limit in (1, 5):
            assert _answer(words, query, limit) == _answer(fts5, query, limit), (query, limit)


@pytest.mark.parametrize("headline, query", [
    ("İstanbul court fines Garanti over a data leak", "istanbul"),  # (Python's lower(): i + U+0307)
    ("The Ab\u0301c ruling", "abc"),  # (a combining accent with no precomposed letter: NFKC keeps it apart)
])
def test_an_accent_already_apart_from_its_letter_is_dropped_as_fts5_drops_it(tmp_path, headline, query):
    """``without_accents`` returns the text untouched when its NFD is as long as it, i.e. when no letter of it
    is precomposed: but an accent may already stand apart. ``fold`` lowers İ (Turkish dotted capital I, in
    İstanbul, İzmir, İş Bankası) to i + U+0307, and NFKC leaves an accent apart where no letter has it
    (b + U+0301). FTS5 drops U+0307 inside the token (istanbul); tantivy's tokenizer cuts the word there (i,
    stanbul). So "istanbul" finds the item in an archive of 4,999 items, and in one of 5,000 finds nothing as
    asked: the follower is offered a "correction" to "stanbul" instead."""
    issues = [_issue(100, [_item("伊斯坦布尔法院罚款", headline, "", headline)], date="2025-06-01")] + _filler()
    words, fts5 = _both(tmp_path / "search.sqlite3", issues)
    assert _answer(fts5, query) == (1, [(100, 1)])
    assert _answer(words, query) == _answer(fts5, query)
    assert words.search(query).corrected == fts5.search(query).corrected


@pytest.mark.parametrize("text, query", [
    ("AI🤖 rules for robot🤖 makers", "robot"),  # (an emoji of Unicode 8 and later: FTS5's tables predate it)
    ("\uf0b7GDPR fines rise", "gdpr"),  # (a Symbol-font bullet as a PDF's text gives it: private use)
    ("个人\uf0b7信息保护新规", "个人信息"),
])
def test_characters_fts5_keeps_in_a_token_are_not_separators_in_the_word_index(tmp_path, text, query):
    """``Cutter.words`` drops ``[\\W_]+`` and tantivy's tokenizer splits at anything not alphanumeric, "what FTS5
    takes for separators". But FTS5 (unicode61, categories L* N* Co, its Unicode tables of 6.x) takes private-use
    characters (a PDF's Symbol/Wingdings bullets, U+F0B7) and every character newer than its tables (🤖, 🥳,
    🫠, ₽, ₺) for letters: robot🤖 is one token there, robot and nothing else in the word index. The same
    question gets an item or "nothing found" by the archive's size (here the word index finds more; a fix may
    as well make FTS5 split there)."""
    issues = [_issue(100, [_item(text if not text.isascii() and "个" in text else "新规", text, "", text)],
                     date="2025-06-01")] + _filler()
    words, fts5 = _both(tmp_path / "search.sqlite3", issues)
    assert _answer(words, query)[0] == _answer(fts5, query)[0]


def test_a_word_index_that_cannot_be_made_is_not_made_again_every_minute_by_every_worker(tmp_path):
    """``words_lost`` says "make it again" once per ``WORDS_GRACE`` (60 s) for as long as the word index stays
    behind, in every worker (each has its own ``_behind``), and a remake that fails leaves it behind: a full disk,
    a read-only or broken state folder (here a file where its folder goes), a tantivy error on some item. Each
    time the webhook starts ``wechat-pub index``, which reads the issues and tries a full sync of the word index
    (at 100,000 items seconds of CPU, rjieba's cut of every item and tantivy's writing, before a full disk makes
    it fail), and which exits 0 (``sync_words`` never raises): nothing in the health report. Four gunicorn
    workers: four index processes a minute, for as long as the disk stays full, on a 2-core host answering
    followers. Before the fix the webhook never tried; a lost index is worth trying again, but not forever at
    this rate: after a failed remake the next tries should back off (or be shared by the workers)."""
    path, source, index_process, started = webhook_archive_made(tmp_path)
    folder = words_path(path)
    import shutil

    shutil.rmtree(folder)
    folder.write_text("")  # (the word index cannot be made here: as a full disk or a read-only folder)
    clock = FakeClock()
    workers = [Archive(source, path, check_every=0, background=True, version=lambda: "v1",
                       updater=index_process, words_from=0, clock=clock.clock) for _ in range(2)]
    for _minute in range(30):
        for webhook in workers:
            assert webhook.search("苹果").total  # (FTS5 answers all along)
            assert webhook.make_in_background().wait(30)
        clock.advance(61)
    assert words_made_from(path) is None  # (still not made: it cannot be)
    assert len(started) <= 10, f"`wechat-pub index` started {len(started)} times in 30 minutes by 2 workers"
