"""Review 40: the word index after commits 888aa1c (symbols are separators for both engines, ``without_accents``
drops an accent that stands apart, more than 256 tied items ranked by FTS5) and d330fb4 (an AND whose one group
finds nothing answered without a search; ``limit * 4 + 1`` read first). As in reviews 38 and 39, each search test
asks an archive answered by its word index (``words_from=0``) and the same index file answered by FTS5 alone, and
expects the same answer."""

from __future__ import annotations

import pytest
from test_review38_holes import _answer, _both, _filler, _issue, _item


def test_a_common_word_with_more_than_256_tied_recent_items_is_still_ranked_among_the_newest(tmp_path):
    """A word in 1,000 items or more (``COUNT_CAP``) is ranked among the newest 5,000 items (``RECENT_ITEMS``),
    by FTS5 and by the word index (``Matcher._word_ranked`` asks again with ``since``). Since 888aa1c,
    ``WordSearch.ranked`` answers None when more than 256 items are tied with the last shown, "FTS5 ranks them";
    but ``_word_ranked`` takes the None of the recent window for "not enough recent items" and shows the best of
    the whole archive instead. A weekly column mentioning 苹果 in its body (hundreds of identical, tied items
    among the newest) and a few old items with 苹果 in the headline: FTS5 (an archive of 4,999 items) shows this
    year's columns, newest first; the word index (5,000 items and more) shows the items of 2001, which the design
    ("a very common question is ranked among the newest items first") never would."""
    old = [_issue(n, [_item("苹果隐私报告", "Apple privacy report", "旧闻。", "Old news.")], date="2001-01-01")
           for n in range(1, 6)]
    filler = [_issue(n, [_item("天气晴朗", "Sunny weather", "今天天气晴朗。", "It is sunny today.")] * 820,
                     date="2010-01-01") for n in range(10, 15)]
    column = [_issue(n, [_item("每周专栏", "Weekly column", "本周苹果公司发布新品。", "This week Apple launched.")],
                     date="2024-01-01") for n in range(100, 1100)]
    words, fts5 = _both(tmp_path / "search.sqlite3", old + filler + column)
    assert _answer(fts5, "苹果") == (1000, [(n, 1) for n in range(1099, 1094, -1)])
    assert _answer(words, "苹果") == _answer(fts5, "苹果")


@pytest.mark.parametrize("headline, query", [
    ("1\u20e3Clearview fined", "clearview"),  # (a keycap numbering a list, without U+FE0F: 1⃣GDPR)
    ("Fines for c\u0336o\u0336o\u0336k\u0336i\u0336e\u0336s\u0336 trackers", "cookies"),  # (strikethrough text)
])
def test_a_combining_mark_fts5_keeps_apart_splits_the_word_in_both_engines(tmp_path, headline, query):
    """``without_accents`` now drops every mark of ``_ACCENTS`` (U+0300-036F, U+1AB0-1AFF, U+1DC0-1DFF,
    U+20D0-20FF, U+FE20-FE2F) wherever it stands (before 888aa1c: only in a text with a precomposed letter), and
    ``normalise`` keeps them in FTS5's text. But FTS5's ``remove_diacritics 2`` drops only a few of them (the
    accents of Latin letters: U+0301, U+0307, ...); the others (a keycap U+20E3, a strikethrough U+0336, an
    underline U+0332, U+20DD, ...: 228 of them) are separators there. So 1⃣Clearview is the tokens 1, clearview in FTS5
    and the one token 1clearview in the word index: "clearview" finds the item in an archive of 4,999 items and nothing in one
    of 5,000 (and struck-through text is one word there, letters apart in FTS5: the archives disagree on the
    total)."""
    issues = [_issue(100, [_item("数据保护新闻", headline, "", headline)], date="2025-06-01")] + _filler()
    words, fts5 = _both(tmp_path / "search.sqlite3", issues)
    assert _answer(words, query) == _answer(fts5, query)


def test_an_archive_indexed_before_the_upgrade_gets_the_new_separators(tmp_path):
    """888aa1c changed what the index stores (``normalise``: symbols and private use are spaces) but not
    ``LAYOUT``, and an issue is indexed again only when its text changes. So after the upgrade an archive keeps
    robot🤖 and a PDF's bullet+GDPR as single tokens, in FTS5 and in the word index made from its text: the
    review-39 fix reaches only issues edited since, and "robot" still finds nothing in the archive the firm
    already has. (Here the index is made by this code, then its item's text is put back as ea6eb26's
    ``normalise`` stored it: fold + spaces around Han, nothing else.)"""
    import sqlite3

    from wechat_pub.bot.index import entries_of
    from wechat_pub.bot.search import Archive

    issues = [_issue(100, [_item("机器人新规", "AI🤖 rules for robot🤖 makers", "", "")], date="2025-06-01")]
    path = tmp_path / "search.sqlite3"
    Archive(lambda offer: ("v1", entries_of(issues)), path, check_every=0).refresh()
    with sqlite3.connect(path) as db:  # (what the index of a deployment made before 888aa1c holds)
        db.execute("UPDATE items_fts SET headline_en = ? WHERE rowid = 100001", ("ai🤖 rules for robot🤖 makers",))
        db.execute("UPDATE meta SET value = '5' WHERE key = 'layout'")  # (ea6eb26's LAYOUT)
    upgraded = Archive(lambda offer: ("v1", entries_of(issues)), path, check_every=0)
    upgraded.refresh()  # (what the first sync after the upgrade does)
    assert _answer(upgraded, "robot") == (1, [(100, 1)])
