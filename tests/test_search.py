"""Search relevance on the seed issue, the archive's freshness, and replies within WeChat's limits."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from conftest import SEED_ARTICLE
from wechat_pub.bot.index import IndexEntry, build_index, entries_of
from wechat_pub.bot.replies import TEXT_LIMIT, Replier
from wechat_pub.bot.search import Archive
from wechat_pub.source.folder import ArticleFolder
from wechat_pub.source.writer import write_article
from wechat_pub.synthetic import IssueFactory

APPLE = "Apple and Google Partner on COVID-19 Contact Tracing Technology"
EDPB = "Twenty-First Plenary Session of the EDPB"
MPS = "MPS & CAC Take the Lead"
MPS_CASES = "MPS Releases 10 Typical Cases"
NDRC = "NDRC & CAC Jointly Publish"


@pytest.fixture
def archive(tmp_path):
    (tmp_path / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, tmp_path / "articles")
    folder = ArticleFolder(tmp_path / "articles")  # the issues straight from a folder, looked at on every search
    return Archive(lambda offer: (folder.signature(), entries_of(folder.read().issues)), tmp_path / "state" / "search.sqlite3",
                   check_every=0)


def found(archive, query: str) -> list[str]:
    return [hit.headline_en for hit in archive.search(query, limit=10).hits]


@pytest.mark.parametrize("query, expected_first, also", [
    ("苹果", APPLE, []),
    ("隐私", EDPB, [APPLE]),  # in both bodies; EDPB's says it three times
    ("个人信息", MPS_CASES, [MPS]),
    ("接触者追踪", APPLE, []),
    ("接触追踪", APPLE, []),  # not in the text as such: segmented into 接触 + 追踪
    ("contact tracing", APPLE, [EDPB]),  # headline match ranks above the body-only match
    ("tracing", APPLE, [EDPB]),
    ("Contact-Tracing", APPLE, [EDPB]),
    ("APPLE", APPLE, []),
    ("apples", APPLE, []),  # stemming
    ("Apple 隐私", APPLE, []),  # mixed languages: both must match
    ("EDPB", EDPB, []),
    ("数据安全", MPS, []),
    ("blockchain", NDRC, []),
    ("云计算", NDRC, []),
])
def test_relevance_on_the_seed(archive, query, expected_first, also):
    hits = found(archive, query)
    assert hits and hits[0].startswith(expected_first), hits
    for other in also:
        assert any(h.startswith(other) for h in hits), (other, hits)


def test_two_character_words_match_exactly(archive):
    assert found(archive, "苹果") == [APPLE]
    assert found(archive, "谷歌") == [APPLE]
    assert found(archive, "GDPR") == []


def test_headline_outranks_body(tmp_path):
    factory = IssueFactory(1)
    issue = factory.issue(number=1, sections=1, items_per_section=2)
    from wechat_pub import model as m

    body_only, in_headline = issue.sections[0].items
    body_only = replace(body_only, body_zh=body_only.body_zh + (m.Paragraph((m.Text("区块链监管"),)),))
    in_headline = replace(in_headline, headline=m.Bilingual("区块链监管新规", "Blockchain rules"))
    issue = replace(issue, sections=(replace(issue.sections[0], items=(body_only, in_headline)),))
    build_index(tmp_path / "i.sqlite3", [issue])
    archive = Archive(None, tmp_path / "i.sqlite3")
    assert [h.headline_en for h in archive.search("区块链监管").hits][0] == "Blockchain rules"


def test_recency_breaks_ties(tmp_path):
    factory = IssueFactory(7)
    older = factory.issue(number=10, sections=1, items_per_section=1, date="2025-01-01")
    newer = older.__class__(**{**{f: getattr(older, f) for f in older.__dataclass_fields__}, "number": 11,
                               "date": "2026-01-01"})
    build_index(tmp_path / "i.sqlite3", [older, newer])
    archive = Archive(None, tmp_path / "i.sqlite3")
    hits = archive.search(older.items[0].headline.en.split()[0]).hits
    assert [h.issue for h in hits] == [11, 10]


def test_new_articles_are_found_without_a_restart(archive, tmp_path):
    assert found(archive, "区块链白皮书") == []
    issue = IssueFactory(3).issue(number=200, sections=1, items_per_section=1)
    text = write_article(issue).replace(issue.items[0].headline.zh, "区块链白皮书发布")
    (tmp_path / "articles" / "issue-200.md").write_text(text)
    assert [h.issue for h in archive.search("区块链白皮书").hits] == [200]


def test_issue_number_latest_and_help(archive):
    replier = Replier(archive)
    for query in ("135", "No.135", "no 135", "第135期", "#135"):
        text = replier.answer(query).text
        assert text.startswith("第135期 No.135 · 2020.04") and "苹果和谷歌联手" in text, query
    for query in ("最新", "latest", "Latest"):
        assert replier.answer(query).text.startswith("第135期"), query
    for query in ("帮助", "help", "?", "？", ""):
        assert "发送关键词查找往期内容" in replier.answer(query).text, query
    assert "没有找到" in replier.answer("999").text  # an issue that does not exist is a search


def test_reply_languages_follow_the_query(archive):
    replier = Replier(archive)
    zh = replier.answer("苹果").text.splitlines()
    assert zh[2].strip().startswith("苹果和谷歌") and zh[3].strip().startswith("Apple and Google")
    en = replier.answer("Apple").text.splitlines()
    assert en[2].strip().startswith("Apple and Google") and en[3].strip().startswith("苹果和谷歌")


def test_no_match_suggests_keywords(archive):
    text = Replier(archive).answer("量子计算").text
    assert "没有找到与「量子计算」相关的内容" in text and "Nothing found" in text and "个人信息" in text


@pytest.fixture(scope="module")
def big_archive(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    issues = [IssueFactory(n).issue(number=n, sections=4, items_per_section=8, date=f"2026-{n % 12 + 1:02d}-01")
              for n in range(1, 31)]
    build_index(folder / "i.sqlite3", issues)
    return Archive(None, folder / "i.sqlite3")


@pytest.mark.parametrize("max_results", [5, 50])
def test_replies_stay_within_2048_bytes_with_whole_entries(big_archive, max_results):
    replier = Replier(big_archive, urls_for=lambda issue: [f"https://mp.weixin.qq.com/s/{'x' * 60}{issue}"],
                      max_results=max_results)
    for query in ("个人信息", "data security", "苹果", "GDPR"):
        reply = replier.answer(query)
        size = len(reply.text.encode("utf-8"))
        assert size <= TEXT_LIMIT, (query, size)
        reply.text.encode("utf-8").decode("utf-8")  # whole characters only
        lines = reply.text.splitlines()
        assert reply.matches > 5 and ("more" in lines[-1] and "还有" in lines[-1])
        shown = sum(1 for line in lines if line[:1].isdigit() and ". 第" in line)
        rest = int(lines[-1].split("还有 ")[1].split(" ")[0]) if "还有 " in lines[-1] else \
            int(lines[-1].split(" more")[0].split()[-1])
        assert shown + rest == reply.matches
        for index, line in enumerate(lines):  # every entry complete: number line, headlines, link
            if line[:1].isdigit() and ". 第" in line:
                assert lines[index + 3].strip().startswith("https://mp.weixin.qq.com/s/")


def test_one_huge_entry_is_shortened_not_dropped(tmp_path):
    from wechat_pub import model as m

    issue = m.Issue(1, "2026-01-01", m.Bilingual("周报", "Weekly"), (m.Section(m.Bilingual("国内", "Domestic"), (
        m.Item(m.Bilingual("监管" * 700, "Rules " * 300), (m.Paragraph((m.Text("监管"),)),)),)),))
    build_index(tmp_path / "i.sqlite3", [issue])
    reply = Replier(Archive(None, tmp_path / "i.sqlite3")).answer("监管")
    assert len(reply.text.encode("utf-8")) <= TEXT_LIMIT and reply.text.count("…") == 1


def test_a_changed_issue_is_reindexed_alone(tmp_path):
    """Issue 13: every change re-indexed everything; now only the issues whose text changed, came or went."""
    from wechat_pub import model as m
    from wechat_pub.bot.index import IndexEntry, extract, update_index

    issues = {n: IssueFactory(n).issue(number=n, sections=1, items_per_section=3) for n in (1, 2, 3)}
    loads = []

    def entries(fingerprints):
        return [IndexEntry(n, fingerprints[n], (lambda n=n: loads.append(n) or extract(issues[n])))
                for n in fingerprints]

    path = tmp_path / "i.sqlite3"
    assert update_index(path, entries({1: "a", 2: "a", 3: "a"})) == 3 and sorted(loads) == [1, 2, 3]
    loads.clear()
    first = issues[2].items[0]
    issues[2] = replace(issues[2], sections=(replace(issues[2].sections[0], items=(
        replace(first, headline=m.Bilingual("区块链白皮书发布", "Blockchain white paper")),
        *issues[2].sections[0].items[1:])),))
    assert update_index(path, entries({1: "a", 2: "b"})) == 2 and loads == [2]  # 2 changed, 3 went
    archive = Archive(None, path)
    assert [h.issue for h in archive.search("区块链白皮书").hits] == [2]
    assert archive.issue(3) is None and archive.issue(1) is not None


def test_the_archives_word_counts_follow_every_update_as_a_rebuild_counts_them(tmp_path):
    """The suggestions and the words a query is split by come from ``vocabulary``, kept in step as issues
    come, change and go (adding up every issue's words took 70 ms an update at 100,000 items)."""
    import sqlite3

    from wechat_pub.bot.index import build_index, entries_of, update_index

    issues = [IssueFactory(n).issue(number=n, sections=2, items_per_section=3) for n in range(1, 6)]
    path = tmp_path / "i.sqlite3"
    update_index(path, entries_of(issues[:3]))
    update_index(path, entries_of([issues[0], IssueFactory(9).issue(number=2, sections=1, items_per_section=2),
                                   *issues[3:]]))  # 2 rewritten, 3 gone, 4 and 5 new
    rebuilt = tmp_path / "rebuilt.sqlite3"
    build_index(rebuilt, [issues[0], IssueFactory(9).issue(number=2, sections=1, items_per_section=2), *issues[3:]])

    def counts(index):
        with sqlite3.connect(index) as db:
            kept = dict(db.execute("SELECT word, count FROM vocabulary"))
            assert kept == dict(db.execute("SELECT word, SUM(count) FROM words GROUP BY word"))
            return kept

    assert counts(path) == counts(rebuilt) and counts(path)


def _as_layout_3(path) -> None:
    """What an index made before the vocabulary table was (the file a host has on upgrading)."""
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE vocabulary")
        db.execute("UPDATE meta SET value = '3' WHERE key = 'layout'")


def test_an_index_of_the_layout_before_answers_and_is_rebuilt_though_no_issue_changed(tmp_path):
    """Found by the review: after the upgrade, an index of layout 3 was kept (no issue had changed, so the
    update stopped at the version) and every query failed on its missing vocabulary table."""
    from wechat_pub.bot.index import LAYOUT, entries_of, update_index

    issues = [IssueFactory(1).issue(number=1, sections=1, items_per_section=3)]
    path = tmp_path / "i.sqlite3"
    update_index(path, entries_of(issues), "v1")
    _as_layout_3(path)
    word = issues[0].items[0].headline.en.split()[0]
    assert Archive(None, path).search(word).hits  # answered from the old layout while it is rebuilt
    archive = Archive(lambda offer: ("v1", entries_of(issues)), path, check_every=0)
    assert archive.refresh() and archive.meta("layout") == LAYOUT
    assert archive.search(word).hits


def test_the_webhook_rebuilds_an_index_of_the_layout_before_though_no_issue_changed(tmp_path):
    from wechat_pub.bot.index import LAYOUT, entries_of, update_index

    issues = [IssueFactory(1).issue(number=1, sections=1, items_per_section=3)]
    path = tmp_path / "i.sqlite3"
    update_index(path, entries_of(issues), "v1")
    _as_layout_3(path)
    archive = Archive(lambda offer: ("v1", entries_of(issues)), path, check_every=0, version=lambda: "v1")
    archive.background = True
    assert archive.make_in_background().wait(30)
    assert archive.failed is None and archive.meta("layout") == LAYOUT


def test_a_rebuild_is_never_read_with_the_old_files_log(tmp_path):
    """Found while fixing the layout upgrade: SQLite takes a -wal file beside a database for that database's, so
    a rebuilt index renamed over a file whose log still held updates (readers kept it from being written back)
    was read with the old file's pages laid over its own: a rebuild to layout 4 read as layout 3."""
    import sqlite3

    from wechat_pub.bot.index import build_index, entries_of, update_index

    old = [IssueFactory(n).issue(number=n, sections=1, items_per_section=3) for n in (1, 2)]
    path = tmp_path / "i.sqlite3"
    update_index(path, entries_of(old[:1]), "v1")
    reader = Archive(None, path)
    assert reader.issue(1) is not None  # a webhook worker has the index open...
    update_index(path, entries_of(old), "v2")  # ...so this update stays in the log
    assert (tmp_path / "i.sqlite3-wal").stat().st_size > 0
    new = [IssueFactory(9).issue(number=7, sections=1, items_per_section=2)]
    build_index(path, new, "v3")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT issue FROM issues").fetchall() == [(7,)]
        assert db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("v3",)
    assert Archive(None, path).issue(7) is not None and Archive(None, path).issue(1) is None


def test_tied_suggestions_are_ranked_as_a_rebuild_ranks_them(tmp_path):
    """Found by the review: ties were ranked by when the word was first counted, so an index kept in step ranked
    them unlike a rebuild of the same issues once the issue that brought a word in was gone."""
    from wechat_pub.bot.index import IndexEntry, IssueText, update_index

    def text(number, words):
        return IssueText(number, "2024-01-01", "t", "t", f"{number}.md", (("标题", "title"),),
                         (("标 题", "title", "", ""),), words)

    def entries(*texts):
        return [IndexEntry(t.number, str(t.number), lambda t=t: t) for t in texts]

    one, two = text(1, (("数据", 1),)), text(2, (("隐私", 1), ("数据", 1)))
    update_index(tmp_path / "kept.sqlite3", entries(one, two), "v1")
    update_index(tmp_path / "kept.sqlite3", entries(two), "v2")  # issue 1 goes
    update_index(tmp_path / "new.sqlite3", entries(two), "v2")
    assert Archive(None, tmp_path / "kept.sqlite3").meta("suggestions") == \
        Archive(None, tmp_path / "new.sqlite3").meta("suggestions")


def test_readers_see_the_index_before_or_after_an_update(tmp_path, fake_clock):
    """The update is one transaction in WAL mode: a reader that opened the index keeps reading it meanwhile; it
    notices another process's update within VERSION_EVERY seconds, and stops reusing answers then."""
    from wechat_pub.bot.index import entries_of, update_index
    from wechat_pub.bot.search import VERSION_EVERY

    path = tmp_path / "i.sqlite3"
    first = IssueFactory(1).issue(number=1, sections=1, items_per_section=2)
    update_index(path, entries_of([first]))
    archive = Archive(None, path, clock=fake_clock.clock)
    before = archive.version()
    second = IssueFactory(2).issue(number=2, sections=1, items_per_section=2)
    update_index(path, entries_of([first, second]))
    assert archive.version() == before  # (looked at again only every VERSION_EVERY seconds)
    fake_clock.advance(VERSION_EVERY)
    assert archive.version() != before  # answers made from the old index are not reused
    assert archive.issue(2) is not None and archive.latest().issue == 2


def test_an_index_of_an_older_layout_is_rebuilt(tmp_path):
    import sqlite3

    from wechat_pub.bot.index import entries_of, update_index

    path = tmp_path / "i.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY)")  # what an older version left
    issue = IssueFactory(5).issue(number=5, sections=1, items_per_section=2)
    assert update_index(path, entries_of([issue])) == 1
    assert Archive(None, path).issue(5) is not None


def test_a_new_index_is_merged_once_and_then_merges_as_it_grows(tmp_path):
    """A new index is written without merging and merged once at the end; SQLite's own merging (off meanwhile)
    is back on for the updates that follow, which find what they add."""
    import sqlite3

    from wechat_pub.bot.index import entries_of, update_index

    path = tmp_path / "i.sqlite3"
    issues = [IssueFactory(n).issue(number=n, sections=1, items_per_section=3) for n in range(1, 6)]
    update_index(path, entries_of(issues[:4]))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT v FROM items_fts_config WHERE k = 'automerge'").fetchone() == (4,)
    update_index(path, entries_of(issues))
    assert Archive(None, path).issue(5) is not None


def test_issues_offered_while_the_source_is_read_are_kept_only_as_the_entries_want_them(tmp_path):
    """Archive.refresh hands the source an ``offer``: what it offers is indexed at once (while the rest is
    read), and the update then keeps an offered issue only if the entries want it with that fingerprint."""
    from wechat_pub.bot.index import entries_of, extract

    issues = {n: IssueFactory(n).issue(number=n, sections=1, items_per_section=2) for n in (1, 2, 3)}
    wanted = entries_of([issues[1], issues[2]])
    fingerprint = {entry.number: entry.fingerprint for entry in wanted}
    loaded = []

    def source(offer):
        offer(1, fingerprint[1], extract(issues[1]))  # wanted so: kept, not loaded again
        offer(2, "an older text", extract(issues[2]))  # wanted, but as another text: indexed again
        offer(3, "x", extract(issues[3]))  # not wanted (say, not published): dropped
        return "v1", [replace(entry, load=lambda entry=entry: loaded.append(entry.number) or entry.load())
                      for entry in wanted]

    archive = Archive(source, tmp_path / "i.sqlite3")
    assert archive.refresh()
    assert loaded == [2]
    assert archive.issue(1) is not None and archive.issue(2) is not None and archive.issue(3) is None
    assert [hit.issue for hit in archive.search(issues[2].items[0].headline.en).hits][:1] == [2]

    def offers_then_fails(offer):  # say, the database went away in the middle of the sync
        offer(3, "x", extract(issues[3]))
        raise ConnectionError("database away")

    archive.source = offers_then_fails
    with pytest.raises(ConnectionError):
        archive.refresh()
    assert archive.issue(3) is None and archive.meta("version") == "v1"  # the index as it was
    with pytest.raises(ConnectionError):
        archive.refresh(force=True)  # a rebuild: its file beside the index is removed again
    assert not [p.name for p in tmp_path.iterdir() if ".tmp" in p.name]
    assert archive.issue(1) is not None  # and the index it would have replaced still answers


def test_an_issue_offered_again_replaces_the_one_indexed(tmp_path):
    from wechat_pub.bot.index import IndexUpdate, entries_of, extract, update_index

    path = tmp_path / "i.sqlite3"
    old = IssueFactory(1).issue(number=1, sections=1, items_per_section=2)
    update_index(path, entries_of([old]))
    new = IssueFactory(2).issue(number=1, sections=1, items_per_section=3)  # issue 1, rewritten
    update = IndexUpdate(path)
    update.offer(1, "new", extract(new))
    assert update.finish([IndexEntry(1, "new", lambda: pytest.fail("offered already"))], "v2") == 1
    archive = Archive(None, path)
    assert archive.issue(1).items == 3


def test_english_text_is_only_lowered_and_chinese_is_spaced_by_character():
    from wechat_pub.bot.index import normalise

    assert normalise("Apple's GDPR Fine") == "apple's gdpr fine"
    assert normalise("苹果Ｇ罚款") == " 苹 果 g 罚 款 "  # NFKC: the full-width letter is a plain one


@pytest.mark.parametrize("run, vocabulary, words", [
    ("接触追踪", {"接触者", "追踪"}, ["接触", "追踪"]),
    ("个人信息保护法", {"个人信息", "保护"}, ["个人信息", "保护", "法"]),
    ("量子计算", set(), ["量子计算"]),
])
def test_queries_are_split_by_the_headlines_words(run, vocabulary, words):
    from wechat_pub.bot.query import split_words

    assert split_words(run, frozenset(vocabulary)) == words


def test_what_is_kept_of_words_goes_with_the_index_it_came_from(archive, tmp_path):
    """A word's matches, correction and close words are kept per version of the index (bot/memo.py): once the
    index has the words, the query that found nothing finds them, and phrases AND-ed are searched again."""
    assert found(archive, "区块链 白皮书") == [] and found(archive, "区块链白皮书 量子") == []
    issue = IssueFactory(3).issue(number=200, sections=1, items_per_section=1)
    text = write_article(issue).replace(issue.items[0].headline.zh, "区块链白皮书发布量子")
    (tmp_path / "articles" / "issue-200.md").write_text(text)
    assert [h.issue for h in archive.search("区块链 白皮书").hits] == [200]
    assert [h.issue for h in archive.search("区块链白皮书 量子").hits] == [200]


def test_close_words_are_those_sharing_the_most_character_pairs_as_scoring_every_word_found():
    """The index of character pairs finds what scoring the whole vocabulary found (issue 27: it was a scan)."""
    import random

    from wechat_pub.bot.typos import Speller
    from wechat_pub.synthetic import ZH_FILLER, ZH_WORDS

    rng = random.Random(5)
    chinese = {word: rng.randint(1, 9) for word in [*ZH_WORDS, *ZH_FILLER[:3000]]}
    suggestable = set(list(chinese)[::2])
    speller = Speller(set(), chinese, lambda chars: {}, lambda word: 0, suggestable)
    for term in [*ZH_WORDS, *rng.sample(ZH_FILLER, 200), "数据安全执法", "谷歌苹果"]:
        pairs = {term[at:at + 2] for at in range(len(term) - 1)}
        scored = [(sum(pair in word for pair in pairs), chinese[word], word) for word in chinese if word in suggestable]
        assert speller.close(term, 6) == [word for score, _, word in sorted(scored, reverse=True) if score][:6]


def test_every_thread_sees_one_index_as_one_version(tmp_path, fake_clock):
    """SQLite counts commits per connection; the threads of a gthread worker each have their own, and what is kept
    per version (answers, words) would be dropped whenever another thread answered, were each count its version."""
    import threading

    from wechat_pub.bot.index import entries_of, update_index
    from wechat_pub.bot.search import VERSION_EVERY

    path = tmp_path / "i.sqlite3"
    first = IssueFactory(1).issue(number=1, sections=1, items_per_section=2)
    update_index(path, entries_of([first]))
    archive = Archive(None, path, clock=fake_clock.clock)
    archive.version()  # this thread's connection, opened before the update
    update_index(path, entries_of([first, IssueFactory(2).issue(number=2, sections=1, items_per_section=2)]))
    fake_clock.advance(VERSION_EVERY)
    seen = []
    other = threading.Thread(target=lambda: seen.append(archive.version()))  # a connection opened after it
    other.start()
    other.join()
    assert seen == [archive.version()]


def test_the_webhook_never_waits_long_for_a_first_index(tmp_path):
    """CI's +3y run: the first query to a host with no index yet waited for `wechat-pub index` to make it, more
    than ten seconds on a loaded machine (a first index of a large archive takes longer still), while WeChat waits
    five. Now the webhook's archive has it made in the background and waits ``first_wait`` at most: meanwhile
    the follower hears that search is unavailable, and the next query after it is made is answered."""
    import threading
    import time

    from wechat_pub.bot.search import IndexNotReady

    (tmp_path / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, tmp_path / "articles")
    folder = ArticleFolder(tmp_path / "articles")
    go_on = threading.Event()
    archive = Archive(lambda offer: (folder.signature(), entries_of(folder.read().issues)), tmp_path / "search.sqlite3",
                      check_every=0, background=True)

    def slow_index_process():
        go_on.wait(30)  # (the separate process that makes the index, as slow as the test likes)
        archive.refresh()

    archive.updater, archive.first_wait = slow_index_process, 0.2
    started = time.monotonic()
    with pytest.raises(IndexNotReady):
        archive.search("苹果")
    assert time.monotonic() - started < 10
    reply = Replier(archive)
    with pytest.raises(IndexNotReady):  # (the webhook answers with the replier's "search is unavailable")
        reply.answer("苹果")
    assert "感谢关注" in reply.welcome_text()  # a new follower is welcomed all the same (the review: it was not)
    go_on.set()
    deadline = time.monotonic() + 30
    while not archive.index_path.exists():
        assert time.monotonic() < deadline
        go_on.wait(0.05)
    assert archive.search("苹果").hits


def test_a_first_index_that_cannot_be_made_says_why(tmp_path):
    """The review: when every attempt to make the first index failed (the database away), the webhook and the
    health report still said "being made", for ever; now they say it could not be made, and why."""
    from wechat_pub.bot.search import IndexNotReady

    def away():
        raise RuntimeError("`wechat-pub index` failed: the state database is away")

    archive = Archive(lambda offer: ("v", []), tmp_path / "search.sqlite3", check_every=0, background=True,
                      updater=away)
    with pytest.raises(RuntimeError, match="could not be made: RuntimeError: `wechat-pub index` failed") as raised:
        archive.search("苹果")
    assert not isinstance(raised.value, IndexNotReady)


def test_phrases_anded_are_counted_as_the_index_counts_them(big_archive):
    """Phrases AND-ed are counted from each phrase's items when it has few (Archive._items): the same count as
    the index's, for rare and common words, found together or not."""
    import random

    from wechat_pub.bot.counting import FEW_ITEMS
    from wechat_pub.bot.query import phrase

    words = sorted(w for w, _n in big_archive.db().execute("SELECT word, count FROM vocabulary"))[:400]
    assert {big_archive._matcher.counter.count_now(phrase(w)) < FEW_ITEMS for w in words} == {True, False}  # rare and common
    rng = random.Random(7)
    for _ in range(300):
        expression = " AND ".join(phrase(w) for w in rng.sample(words, rng.choice((2, 3))))
        assert big_archive._count(expression) == big_archive._matcher.counter.count_now(expression), expression


def test_a_new_question_of_words_already_asked_does_not_ask_the_index(archive):
    """The long tail of questions (issue 27): new questions, old words; their count is worked out from what
    each word matched, with no statement to the index."""
    archive.search("个人信息")
    archive.search("数据")
    archive.search("苹果")
    statements = []
    archive.db().set_trace_callback(statements.append)
    assert archive.search("个人信息 苹果 数据").total == archive._matcher.counter.count_now('"个人信息" AND "苹果" AND "数据"')
    statements.clear()
    archive.search("数据 苹果")
    archive.search("苹果 个人信息 数据 量子")  # (one of them is in no item: nothing is found)
    assert not [s for s in statements if "items_fts MATCH" in s and "量 子" not in s], statements


def test_the_answers_kept_are_the_ones_asked_last(archive, monkeypatch):
    """A process keeps its last answers; the one pushed out when it is full is the least recently asked (an
    answer asked again moves to the end)."""
    from wechat_pub.bot import replies

    monkeypatch.setattr(replies, "ANSWERS_KEPT", 3)
    replier = Replier(archive)
    worked_out = []
    real_work_out = replier.work_out
    monkeypatch.setattr(replier, "work_out", lambda query: worked_out.append(query) or real_work_out(query))
    for query in ("苹果", "隐私", "谷歌", "苹果", "区块链", "苹果", "隐私", "谷歌"):
        replier.answer(query)
    # 苹果 was asked again before 区块链 came, so 隐私 went; then 隐私 came back and pushed out 谷歌
    assert worked_out == ["苹果", "隐私", "谷歌", "区块链", "隐私", "谷歌"]
