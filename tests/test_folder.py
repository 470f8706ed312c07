"""An articles folder read afresh (a new process) reads only the files changed since it was last read."""

from __future__ import annotations

import os

from conftest import SEED_ARTICLE
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


def test_unchanged_files_are_known_by_their_hash_and_read_only_when_asked(tmp_path):
    articles, known = _folder_of_three(tmp_path), tmp_path / "state" / "files.json"
    first = ArticleFolder(articles, known=known).read()
    assert known.exists()
    (articles / "issue-2.md").write_text((articles / "issue-2.md").read_text(encoding="utf-8") + "\n",
                                         encoding="utf-8")
    again = ArticleFolder(articles, known=known).read()  # as another process would
    unread = {os.path.basename(f.path) for f in again.files if f._text is None}
    assert unread == {"issue-1.md", "issue-3.md"}
    assert [(f.number, f.sha256) for f in again.files if f.number != 2] == \
           [(f.number, f.sha256) for f in first.files if f.number != 2]
    assert again.file(1).text == (articles / "issue-1.md").read_text(encoding="utf-8")  # read when asked
    assert [issue.number for issue in again.issues] == [1, 2, 3]


def test_an_edit_that_keeps_size_and_modification_time_is_still_seen(tmp_path):
    articles, known = _folder_of_three(tmp_path), tmp_path / "files.json"
    ArticleFolder(articles, known=known).read()
    path = articles / "issue-3.md"
    before = os.stat(path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("News", "Ne_s", 1), encoding="utf-8")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the same modification time
    again = ArticleFolder(articles, known=known).read()
    assert again.file(3)._text is not None and "Ne_s" in again.file(3).text


def test_a_broken_record_means_every_file_is_read(tmp_path):
    articles, known = _folder_of_three(tmp_path), tmp_path / "files.json"
    known.write_text("{not json", encoding="utf-8")
    catalogue = ArticleFolder(articles, known=known).read()
    assert all(f._text is not None for f in catalogue.files)
    assert len(catalogue.issues) == 3


def test_the_seed_reads_the_same_known_or_not(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "issue-135.md").write_text(SEED_ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    known = tmp_path / "files.json"
    fresh = ArticleFolder(articles, known=known).read()
    again = ArticleFolder(articles, known=known).read()
    assert again.issues == fresh.issues
