"""The word index of a large archive (tantivy; bot/wordindex.py, bot/wordsearch.py): it finds what FTS5 finds,
is read only while it was made from the SQLite index's last update, and is made again when it is not."""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
from contextlib import closing
from dataclasses import replace

import pytest

from conftest import SEED_ARTICLE
from wechat_pub import model as m
from wechat_pub.bot import wordindex
from wechat_pub.bot.index import entries_of
from wechat_pub.bot.query import phrase
from wechat_pub.bot.replies import Replier
from wechat_pub.bot.search import Archive
from wechat_pub.bot.wordindex import sync_words, words_made_from, words_path
from wechat_pub.source.article import load_issue
from wechat_pub.source.folder import ArticleFolder
from wechat_pub.synthetic import IssueFactory


def _issues(count: int = 24):
    return [load_issue(SEED_ARTICLE)] + [
        IssueFactory(n).issue(number=n, sections=4, items_per_section=6, date=f"2025-{n % 12 + 1:02d}-01")
        for n in range(1, count + 1)]


def _archive(path, issues, words_from: int = 0) -> Archive:
    archive = Archive(lambda offer: (repr([i.number for i in issues]) + str(len(repr(issues))), entries_of(issues)),
                      path, check_every=0, words_from=words_from)
    archive.refresh()
    return archive


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # (its headlines' common runs of words learned as words)
        patch.setattr(wordindex, "LEARN_LEAST", 3)
        return _archive(tmp_path_factory.mktemp("words") / "search.sqlite3", _issues())


def _learned(path) -> list[str]:
    index, _made_from = wordindex._opened(words_path(path))
    return wordindex._cutter_of(index).learned


def _uses_words(archive: Archive) -> bool:
    archive.version()
    return archive._matcher._searcher() is not None


def _expressions(archive: Archive) -> list[str]:
    """Phrases the archive has (headline words, English words) and has not, alone, AND-ed, OR-ed."""
    db = archive.db()
    words = [w for w, in db.execute("SELECT word FROM vocabulary ORDER BY word")]
    english = [w for w, in db.execute("SELECT word FROM spelling ORDER BY word")]
    rng = random.Random(5)
    learned = _learned(archive.index_path)
    single = [phrase(w) for w in rng.sample(words, 60) + rng.sample(english, 40) + rng.sample(learned, 30)] + [
        phrase(w) for w in ("个人信息", "苹果", "接触", "人信", "追踪技术", "量子计算", "apples", "contact tracing",
                            "covid-19", "第1号", "tracing apps", "隐私", "data", "跨境传输", "境传", "关键信息基础",
                            "数据出境安全")]
    anded = [" AND ".join(rng.sample(single, rng.choice((2, 3)))) for _ in range(80)]
    ored = [f'({a} OR {b}) AND {c}' for a, b, c in (rng.sample(single, 3) for _ in range(20))]
    return single + anded + ored


def _stems_differ(expression: str) -> bool:
    """Whether an English word of ``expression`` is stemmed otherwise by FTS5 (Porter's stemmer of 1980) than by
    the word index (Snowball's English, "Porter2": jointly -> joint, where Porter gives jointli)."""
    analyzer = wordindex.folded()
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61 remove_diacritics 2')")
        db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
        for word in re.findall(r"[a-z0-9]+", expression):
            db.execute("DELETE FROM t")
            db.execute("INSERT INTO t VALUES (?)", (word,))
            if [term for term, in db.execute("SELECT term FROM v")] != analyzer.analyze(word):
                return True
    return False


def test_the_word_index_counts_what_fts5_counts(archive):
    """The same items for every expression, but where the two stemmers differ on an English word."""
    assert _uses_words(archive)
    counter = archive._matcher.counter
    differ = [e for e in _expressions(archive) if archive._count(e) != counter.count_now(e)]
    assert [e for e in differ if not _stems_differ(e)] == []
    assert len(differ) < 5 and _stems_differ('"jointly"')


def test_the_archives_own_terms_are_learned_and_asked_as_words(archive):
    """跨境传输 is not in rjieba's dictionary (跨境 + 传输): a phrase of four characters, walked in every item that
    has one of them. The archive's headlines have it often, so it is learned and asked as one word; the process's
    own dictionary, which cuts the followers' questions, is not changed."""
    import rjieba

    learned = _learned(archive.index_path)
    assert {"跨境传输", "关键信息基础设施", "数据出境"} <= set(learned) and not rjieba.has_word("跨境传输")
    archive.version()
    searcher = archive._matcher._searcher()
    assert all(searcher.doc_freq("headline_words", word) for word in ("跨境传输", "关键信息基础设施"))
    assert archive._count('"跨 境 传 输"') == archive._matcher.counter.count_now('"跨 境 传 输"') > 0
    assert "跨境传输" not in rjieba.cut_all("跨境传输")


def test_a_changed_issue_is_cut_by_the_terms_learned_and_a_doubled_archive_learns_again(tmp_path, monkeypatch):
    monkeypatch.setattr(wordindex, "LEARN_LEAST", 3)
    issues = _issues(6)
    path = tmp_path / "search.sqlite3"
    archive = _archive(path, issues)
    learned = _learned(path)
    assert "跨境传输" in learned and "蓝鲸计划" not in learned
    changed = issues[3]
    first = changed.sections[0]
    item = replace(first.items[0], body_zh=(m.Paragraph((m.Text("新规要求跨境传输前申报，蓝鲸计划启动。"),)),))
    issues[3] = replace(changed, sections=[replace(first, items=[item, *first.items[1:]]), *changed.sections[1:]])
    archive.refresh()
    assert _learned(path) == learned  # (one issue changed: cut as the rest was)
    expression = '"跨 境 传 输" AND "蓝 鲸 计 划"'
    assert _uses_words(archive) and archive._count(expression) == 1 == archive._matcher.counter.count_now(expression)
    def with_term(issue):  # (蓝鲸计划 before each headline)
        return replace(issue, sections=[replace(section, items=[
            replace(i, headline=m.Bilingual("蓝鲸计划" + i.headline.zh, i.headline.en)) for i in section.items])
            for section in issue.sections])
    issues += [with_term(IssueFactory(n).issue(number=n, sections=4, items_per_section=6, date="2026-01-01"))
               for n in range(30, 37)]
    archive.refresh()
    assert "蓝鲸计划" in _learned(path) and _uses_words(archive)
    assert archive._count('"蓝 鲸 计 划"') == archive._matcher.counter.count_now('"蓝 鲸 计 划"') > 100


def test_two_dictionaries_cut_as_one_of_both_would(archive):
    """rjieba's dictionary and the archive's terms cut the text each alone: every item's words are the words one
    dictionary of both gives (a learned term inside a dictionary word, or across two, keeps each of them)."""
    import rjieba

    learned = _learned(archive.index_path)
    cutter = wordindex.Cutter(learned, 0)
    both = rjieba.Jieba()
    for word in learned:
        both.add_word(word, None, None)
    texts = [text for row in archive.db().execute("SELECT headline_zh, body_zh FROM items_fts") for text in row]
    texts += ["关键信息基础设施安全保护条例", "跨境传输跨境传输", "数据出境安全评估办法", "个人信息跨境传输认证"]
    for text in texts:
        joined = wordindex._BETWEEN_TOKENS.sub("", text)
        expected = [w for w in both.cut_all(joined) if len(w) > 1 and wordindex._HAN_WORD.fullmatch(w)]
        assert sorted(cutter.words(text)) == sorted(expected), text


def test_learning_reads_a_headline_up_to_its_first_characters_and_forgets_runs_seen_once():
    """Headlines made to fill the memory of the learning (thousands of characters, every run new) are read up to
    HEADLINE_READ characters, and what was seen once is forgotten as it goes; a common term is learned still."""
    rng = random.Random(3)
    noise = [chr(c) for c in range(0x4E00, 0x9FA5)]
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE TABLE items_fts (headline_zh TEXT)")
        db.executemany("INSERT INTO items_fts VALUES (?)", [
            (" ".join("跨境传输" + "".join(rng.choices(noise, k=3000)) + ("数据出境" if n % 2 else "")),)
            for n in range(3000)])
        learned = wordindex.Cutter.learning(db, 3000).learned
    assert "跨境传输" in learned and "数据出境" not in learned and len(learned) < 50


def test_what_it_ranks_is_what_it_counted_and_headlines_first(archive):
    for expression in _expressions(archive)[:100]:
        found = archive._matching(expression, 5, ["x"])
        total = archive._matcher.counter.count_now(expression)
        assert (found is None) == (total == 0) or _stems_differ(expression), expression
        if found and not _stems_differ(expression):
            assert found.total == total and len(found.hits) == min(5, total)


@pytest.mark.parametrize("query, first, also", [
    ("隐私", "Twenty-First Plenary Session of the EDPB", ["Apple and Google"]),  # in both bodies, EDPB's thrice
    ("contact tracing", "Apple and Google", ["Twenty-First Plenary"]),  # the headline's match above the body's
    ("个人信息", "MPS Releases 10 Typical Cases", ["MPS & CAC Take the Lead"]),
    ("接触追踪", "Apple and Google", []),  # not in the text as such: 接触 + 追踪
    ("apples", "Apple and Google", []),  # stemmed
    ("Apple 隐私", "Apple and Google", []),
    ("云计算", "NDRC & CAC Jointly Publish", []),
])
def test_the_seeds_relevance_as_a_large_archive_answers(tmp_path, query, first, also):
    seed = _archive(tmp_path / "search.sqlite3", [load_issue(SEED_ARTICLE)])
    hits = [hit.headline_en for hit in seed.search(query, 10).hits]
    assert _uses_words(seed) and hits and hits[0].startswith(first), hits
    assert all(any(h.startswith(other) for h in hits) for other in also), hits


def test_a_small_archive_has_none_and_is_answered_by_fts5(tmp_path):
    archive = _archive(tmp_path / "search.sqlite3", _issues(3), words_from=5_000)
    assert not words_path(tmp_path / "search.sqlite3").exists() and not _uses_words(archive)
    assert archive.search("苹果").hits


def test_one_changed_issue_is_made_again_alone_and_read_at_once(tmp_path):
    issues = _issues(6)
    archive = _archive(tmp_path / "search.sqlite3", issues)
    assert _uses_words(archive) and not archive.search("蓝鲸计划").hits
    changed = issues[3]
    first = changed.sections[0]
    item = replace(first.items[0], headline=m.Bilingual("蓝鲸计划启动", "Blue whale"))
    issues[3] = replace(changed, sections=[replace(first, items=[item, *first.items[1:]]), *changed.sections[1:]])
    archive.refresh()
    assert _uses_words(archive)
    assert [h.headline_zh for h in archive.search("蓝鲸计划").hits] == ["蓝鲸计划启动"]


def test_a_word_index_removed_or_behind_is_not_read_and_is_made_again(tmp_path):
    path = tmp_path / "search.sqlite3"
    archive = _archive(path, _issues(4))
    shutil.rmtree(words_path(path))
    fresh = Archive(None, path, words_from=0)
    assert not _uses_words(fresh) and fresh.search("苹果").hits  # FTS5 answers meanwhile
    sync_words(path, None, "an update that never committed", None)
    assert words_made_from(path) == "an update that never committed"
    assert not _uses_words(Archive(None, path, words_from=0))
    archive.refresh()  # nothing changed: the word index is made again all the same
    assert words_made_from(path) == archive.meta("words") and _uses_words(Archive(None, path, words_from=0))


def test_one_made_by_another_dictionary_is_made_again(tmp_path, monkeypatch):
    path = tmp_path / "search.sqlite3"
    archive = _archive(path, _issues(3))
    monkeypatch.setattr(wordindex, "cutter", lambda: "words 1 rjieba 0.0")
    assert words_made_from(path) is None  # (not of this dictionary)
    archive.refresh()
    assert words_made_from(path) == archive.meta("words")


def test_a_broken_folder_is_replaced_and_fts5_answers_meanwhile(tmp_path):
    path = tmp_path / "search.sqlite3"
    archive = _archive(path, _issues(3))
    for file in words_path(path).iterdir():
        file.write_bytes(b"not an index")
    assert _uses_words(Archive(None, path, words_from=0)) is False
    assert Archive(None, path, words_from=0).search("苹果").hits
    archive.refresh()
    assert _uses_words(Archive(None, path, words_from=0))


def test_hostile_questions_through_the_word_index(archive):
    replier = Replier(archive)
    for query in ("个" * 3000, "\"OR\" AND (苹果", "a" * 5000, "苹果 " * 400, "NEAR(苹果 谷歌)", "*", "苹果*",
                  "^苹果", "apple:google", "🍎" * 50, "\x00苹果"):
        assert len(replier.answer(query).text.encode()) <= 2048


def test_the_webhooks_archive_uses_it_from_5000_items(tmp_path, monkeypatch):
    """As the service makes it: from a folder, by `wechat-pub index`'s Archive, with the default threshold."""
    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(SEED_ARTICLE, folder)
    monkeypatch.setattr("wechat_pub.bot.search.WORDS_FROM", 5)
    articles = ArticleFolder(folder)
    archive = Archive(lambda offer: (articles.signature(), entries_of(articles.read().issues)),
                      tmp_path / "state" / "search.sqlite3", check_every=0)
    assert archive.search("苹果").hits and _uses_words(archive)


def test_a_panic_of_tantivy_is_answered_by_fts5(archive, caplog):
    """tantivy panics (its Rust; pyo3 raises it as a BaseException, past `except Exception`) on a search for no
    items: what asks it is guarded, and the search goes on with FTS5."""
    archive.version()
    searcher = archive._matcher._searcher()
    query = archive._matcher.words.query(searcher, '"苹 果"')
    assert wordindex.guarded(lambda: searcher.search(query, 0)) is None
    assert "word index failed (PanicException" in caplog.text
    assert archive.search("苹果 谷歌", limit=0).hits == [] and archive.search("苹果 谷歌").hits
