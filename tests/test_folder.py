"""An articles folder read afresh (a new process) reads only the files changed since it was last read."""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

from conftest import SEED_ARTICLE, open_site
from wechat_pub.source import folder as folder_module
from wechat_pub.source.files import hash_text
from wechat_pub.source.folder import ArticleFolder
from wechat_pub.source.writer import write_article
from wechat_pub.synthetic import IssueFactory


def _folder_of_three(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    for number in (1, 2, 3):
        (articles / f"issue-{number}.md").write_text(write_article(IssueFactory(number).issue(number=number)),
                                                     encoding="utf-8")
    return articles


@pytest.fixture
def files_read(monkeypatch) -> list[str]:
    """The names of the article files the folder reads from disk, in order."""
    read: list[str] = []

    def reading(path):
        read.append(os.path.basename(path))
        return real(path)

    real = folder_module.read_text
    monkeypatch.setattr(folder_module, "read_text", reading)
    return read


def test_unchanged_files_are_known_by_their_hash_and_read_only_when_asked(tmp_path, files_read):
    articles, known = _folder_of_three(tmp_path), tmp_path / "state" / "files.json"
    first = ArticleFolder(articles, known=known).read()
    assert known.exists()
    (articles / "issue-2.md").write_text((articles / "issue-2.md").read_text(encoding="utf-8") + "\n",
                                         encoding="utf-8")
    files_read.clear()
    again = ArticleFolder(articles, known=known).read()  # as another process would
    assert files_read == ["issue-2.md"]
    assert [(f.number, f.sha256) for f in again.files if f.number != 2] == \
           [(f.number, f.sha256) for f in first.files if f.number != 2]
    assert again.file(1).text == (articles / "issue-1.md").read_text(encoding="utf-8")  # read when asked
    assert [issue.number for issue in again.issues] == [1, 2, 3]


def test_an_edit_that_keeps_size_and_modification_time_is_still_seen(tmp_path):
    articles, known = _folder_of_three(tmp_path), tmp_path / "files.json"
    ArticleFolder(articles, known=known).read()
    path = articles / "issue-3.md"
    before = os.stat(path)
    edited = path.read_text(encoding="utf-8").replace("News", "Ne_s", 1)
    path.write_text(edited, encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same modification time
    again = ArticleFolder(articles, known=known).read()
    assert again.file(3).sha256 == hash_text(edited)  # known by the new text's hash, before its text is asked for
    assert "Ne_s" in again.file(3).text


def test_a_broken_record_means_every_file_is_read(tmp_path, files_read):
    articles, known = _folder_of_three(tmp_path), tmp_path / "files.json"
    known.write_text("{not json", encoding="utf-8")
    catalogue = ArticleFolder(articles, known=known).read()
    assert sorted(files_read) == ["issue-1.md", "issue-2.md", "issue-3.md"]
    assert len(catalogue.issues) == 3


def test_the_seed_reads_the_same_known_or_not(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "issue-135.md").write_text(SEED_ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    known = tmp_path / "files.json"
    fresh = ArticleFolder(articles, known=known).read()
    again = ArticleFolder(articles, known=known).read()
    assert again.issues == fresh.issues


def test_a_folder_too_large_for_one_core_is_synced_and_indexed_as_it_is_read(firm_dir, run_cli, monkeypatch):
    """More files than PARALLEL_FROM: they are read in a pool of processes, each synced and indexed as it
    arrives; a file without a number and two files with one number are left out, as when read one by one."""
    import concurrent.futures

    from wechat_pub.source.folder import PARALLEL_FROM

    pools = []

    class CountedPool(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, workers, **options):
            pools.append(workers)
            super().__init__(workers, **options)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", CountedPool)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__SEARCH_SCOPE", "all")
    articles = firm_dir / "articles"
    articles.mkdir(exist_ok=True)
    count = PARALLEL_FROM + 6
    for number in range(1, count + 1):
        text = write_article(IssueFactory(number).issue(number=number))
        (articles / f"issue-{number:03d}.md").write_text(text.replace("## ", f"## Quokka{number} ", 1),
                                                          encoding="utf-8")
    (articles / "no-number.md").write_text("# 国内要闻 | Domestic News\n", encoding="utf-8")
    (articles / "issue-007-copy.md").write_text((articles / "issue-007.md").read_text(encoding="utf-8"),
                                                encoding="utf-8")
    assert "updated" in run_cli("index").stdout
    site = open_site(firm_dir)
    numbers = [row.number for row in site.library.store.summary() if row.valid]
    assert numbers == [n for n in range(1, count + 1) if n != 7]
    assert pools == [2]  # the first sync read them on both cores (the index took them from there)
    row, one_by_one = site.library.store.get(5), site.articles.read().file(5)  # what the database keeps ...
    assert (row.title, row.date) == (one_by_one.issue.title.joined(), one_by_one.issue.date)  # ... as read here
    archive = site.archive("all")
    assert [hit.issue for hit in archive.search(f"quokka{count - 2}").hits] == [count - 2]
    assert archive.search("quokka7").hits == []  # two files claim issue 7: neither is taken
    assert "already up to date" in run_cli("index").stdout
    changed = articles / "issue-003.md"
    changed.write_text(changed.read_text(encoding="utf-8").replace("Quokka3 ", "Wombat3 ", 1), encoding="utf-8")
    assert "updated" in run_cli("index").stdout
    archive = open_site(firm_dir).archive("all")
    assert [hit.issue for hit in archive.search("wombat3").hits] == [3]
    assert archive.search("quokka3").hits == []


def test_reading_stopped_early_does_not_wait_for_the_rest(tmp_path):
    from wechat_pub.source.folder import PARALLEL_FROM, ArticleFile, read_each

    text = write_article(IssueFactory(1).issue(number=1, sections=5, items_per_section=10))
    articles = [ArticleFile(str(tmp_path / f"issue-{n}.md"), text.replace("issue: 1", f"issue: {n}", 1), str(n))
                for n in range(1, 40 * PARALLEL_FROM)]
    reading = read_each(articles)
    first = next(reading)
    reading.close()  # the pool is shut down with what it has not started cancelled
    assert first.valid and first.number == 1
    assert sum("_read" in article.__dict__ for article in articles) < len(articles)


def test_issues_read_on_other_cores_for_something_made_of_them_come_back_as_that_and_their_facts(tmp_path):
    """With ``also``, the pool sends back what ``also`` made of each issue, the issue's facts (what the database
    keeps of it) and its problems, not the issue: a large archive's issues cost more to send between processes
    than to read. The issue is read here when it is asked for, and its facts are the same either way."""
    from wechat_pub.bot.index import extract
    from wechat_pub.source.folder import PARALLEL_FROM, ArticleFile, IssueFacts, read_each

    written = write_article(IssueFactory(1).issue(number=1, sections=1, items_per_section=2))
    text = (written.replace("issue: 1\n", "issue: 1\npublish_at: 2026-12-07 09:00\ncover: img/cover.jpg\n", 1)
            .replace("\n---\n\nSallo", "\n![图一](img/one.png)\n\n---\n\nSallo", 1))
    articles = [ArticleFile(str(tmp_path / f"issue-{n}.md"), text.replace("issue: 1", f"issue: {n}", 1), str(n))
                for n in range(1, PARALLEL_FROM + 2)]
    assert [article.number for article in read_each(articles, also=extract)] == list(range(1, PARALLEL_FROM + 2))
    first = articles[0]
    assert "_read" not in first.__dict__  # the issue did not come back ...
    assert first.valid and first.derived.number == 1 and first.derived.headlines
    assert first.facts == IssueFacts("2026-12-07T09:00:00+08:00", "数据合规周报 | Weekly Data Protection Review",
                                     "2026-12-02", (str(tmp_path / "img" / "one.png"), str(tmp_path / "img" / "cover.jpg")))
    assert first.issue.number == 1  # ... and is read here when asked for
    assert IssueFacts.of(first.issue) == first.facts
    assert first.problems == ArticleFile(first.path, first.text, first.sha256).problems


def _one_issue_folder(tmp_path):
    """(the site of a firm folder holding issue 1, its articles folder)."""
    from security_service import ARTICLE

    from conftest import firm_config

    firm_config(tmp_path)
    articles = tmp_path / "articles"
    articles.mkdir(exist_ok=True)
    (articles / "issue-1.md").write_text(ARTICLE.format(number=1, images=""), encoding="utf-8")
    return open_site(tmp_path), articles


@contextmanager
def _issue_2_saved_during_the_read(site, articles):
    """Inside: each read of the folder is followed at once by issue 2's file being saved (the sync has read it)."""
    from security_service import ARTICLE

    folder, read = site.library.folder, site.library.folder.read

    def saved_meanwhile():
        catalogue = read()
        (articles / "issue-2.md").write_text(ARTICLE.format(number=2, images=""), encoding="utf-8")
        return catalogue

    folder.read = saved_meanwhile
    try:
        yield
    finally:
        folder.read = read


def test_a_file_saved_while_a_sync_runs_is_synced_by_the_next(tmp_path):
    """A sync remembered the folder as it was when it ended, not as it read it: a file saved meanwhile (the team
    saving in the console while the scheduler's sync thread ran) counted as synced, and every later sync skipped
    it until something else changed (CI's calendar and dates tests, under the slower fake clock)."""
    site, articles = _one_issue_folder(tmp_path)
    assert site.library.sync().imported == ["issue-1.md"]
    with _issue_2_saved_during_the_read(site, articles):
        assert not site.library.sync(force=True).changed  # it read the folder before issue 2 was saved
    assert site.library.sync().imported == ["issue-2.md"], "the file saved during the last sync was never synced"
    assert not site.library.sync().changed


def test_a_file_saved_while_a_changing_sync_runs_is_synced_by_the_next(tmp_path):
    """The same when the sync itself sends a file to the database: it remembered the folder after its own writes,
    so a file saved while it ran waited for some other change (a hundred issues written just after `run` started
    never reached the console's list in test_issues_pages)."""
    site, articles = _one_issue_folder(tmp_path)
    with _issue_2_saved_during_the_read(site, articles):
        assert site.library.sync().imported == ["issue-1.md"]  # it read the folder before issue 2 was saved
    assert site.library.sync().imported == ["issue-2.md"], "the file saved during the last sync was never synced"
    assert not site.library.sync().changed
    assert site.library.sync().lines() == []
