"""The article format: docs/article-format.md's example, every part of an item, and errors with file:line."""

from __future__ import annotations

import re
import textwrap

import pytest

from conftest import EXAMPLE, ROOT, SEED_ARTICLE
from wechat_pub import model as m
from wechat_pub.source.article import parse_article, read_article
from wechat_pub.source.writer import write_article

HEAD = """---
issue: 7
date: 2026-12-02
title:
  zh: 周报
  en: Weekly
---
"""


def parse(body: str, head: str = HEAD, path: str = "a.md") -> m.ParseResult:
    return parse_article(head + textwrap.dedent(body), path)


def messages(result: m.ParseResult, severity: str | None = None) -> list[str]:
    return [f"{p.pos}: {p.message}" for p in result.problems if severity in (None, p.severity)]


def test_docs_example_is_the_example_file_and_is_clean():
    doc = (ROOT / "docs" / "article-format.md").read_text(encoding="utf-8")
    block = re.search(r"````markdown\n(.*?)````", doc, re.S).group(1)
    assert block == EXAMPLE.read_text(encoding="utf-8"), "docs/article-format.md must quote docs/examples/issue-136.md"
    result = read_article(EXAMPLE)
    assert result.problems == ()
    issue = result.issue
    assert (issue.number, issue.date, issue.title.en) == (136, "2020-04-27", "Weekly Cybersecurity and Data Protection Review")
    assert issue.publish_at is None  # a fixed time in an example would expire; scheduling is shown below
    assert issue.open_comment and issue.fans_only_comment
    assert issue.cover.endswith("docs/examples/images/fines-2020.png")
    assert [s.heading for s in issue.sections] == [m.Bilingual("国内要闻", "Domestic News"),
                                                   m.Bilingual("海外动态", "Overseas News")]
    first = issue.sections[0].items[0]
    assert first.headline.en == "TC260 Explains the Revised Personal Information Security Specification"
    assert isinstance(first.body_zh[1], m.ListBlock) and len(first.body_zh[1].items) == 3
    assert any(isinstance(n, m.Image) for n in m.walk_inlines(first.body_zh))
    assert [s.url for s in first.sources] == ["https://www.tc260.org.cn/", "https://mp.weixin.qq.com/s/example-lifang-135"]


def test_seed_article_has_every_item_in_both_languages():
    result = read_article(SEED_ARTICLE)
    assert not result.errors
    items = result.issue.items
    assert len(items) == 5
    for item in items:
        assert item.headline.zh and item.headline.en and item.body_zh and item.body_en


def test_item_parts_and_softbreaks():
    result = parse("""
        # 国内要闻 | Domestic News

        ## 苹果发布隐私报告
        ## Apple Publishes a Privacy Report

        第一行
        第二行，**重点**。

        ---

        First line
        second line with *emphasis*.

        来源：[Apple](https://apple.com/a) https://example.org/b
    """)
    assert result.problems == ()
    item = result.issue.items[0]
    assert m.plain_text(item.body_zh).strip() == "第一行第二行，重点。"
    assert m.plain_text(item.body_en).strip() == "First line second line with emphasis."
    assert [(s.url, s.label) for s in item.sources] == [("https://apple.com/a", "Apple"), ("https://example.org/b", "")]


def test_monolingual_items_are_allowed_and_reported():
    result = parse("""
        # 国内要闻 | Domestic News

        ## 只有中文的条目

        中文正文。

        ## English Only Item

        English body only.
    """)
    assert not result.errors
    zh_only, en_only = result.issue.items
    assert zh_only.languages == ("zh",) and en_only.languages == ("en",)
    assert messages(result, "warning") == ["a.md:11: item '只有中文的条目' has no English translation.",
                                           "a.md:15: item 'English Only Item' has no Chinese text."]


@pytest.mark.parametrize("body, expected", [
    ("## 无节标题\n\n正文。\n", "a.md:8: item '无节标题' is not inside a section."),
    ("# 国内 | Domestic\n\n## 中文\n## English\n\n中文。\n\nEnglish.\n",
     "a.md:10: this item has two headlines but no '---' line"),
    ("# 国内 | Domestic\n\n## 中文\n\n正文\n---\n", "a.md:12: a line of '-' or '=' right under text"),
    ("# 国内 | Domestic\n\n## 中文\n\n<div>x</div>\n", "a.md:12: raw HTML is not allowed"),
    ("# 国内 | Domestic\n\n## 中文\n\n正文 <b>粗</b>\n", "a.md:12: raw HTML '<b>' is not allowed"),
    ("# 国内 | Domestic\n\n### 小标题\n", "a.md:10: heading level 3 is not used"),
    ("# 国内 | Domestic\n\n## 中文\n\n中文。\n\n---\n\nEnglish.\n\n---\n\nMore.\n", "a.md:18: a second '---' in one item."),
    ("# 国内 | Domestic\n\n## 中文\n\nSource: 无链接\n", "a.md:12: a 'Source:' line without a link."),
    ("# 国内 | Domestic\n\n## 中文\n\n![x](data:image/png;base64,AAAA)\n", "a.md:12: embedded data: images"),
    ("Intro text.\n\n# 国内 | Domestic\n", "a.md:8: text before the first section belongs to no item."),
])
def test_errors_name_the_line_and_the_fix(body, expected):
    result = parse(body)
    found = messages(result, "error")
    assert any(line.startswith(expected) for line in found), found
    assert all(p.hint for p in result.errors)


@pytest.mark.parametrize("head, expected", [
    ("---\ndate: 2026-12-02\ntitle: {zh: 中, en: E}\n---\n", "a.md:1: front matter has no 'issue' number."),
    ("---\nissue: x\ndate: 2026-12-02\ntitle: {zh: 中, en: E}\n---\n", "a.md:2: issue must be a positive whole number"),
    ("---\nissue: 1\ndate: 2026-13-40\ntitle: {zh: 中, en: E}\n---\n", "a.md:3: date '2026-13-40' is not"),
    ("---\nissue: 1\ndate: 2026-12-02\ntitle: 中文\n---\n", "a.md:4: title must give both languages."),
    ("---\nissue: 1\ndate: 2026-12-02\ntitle: {zh: 中, en: E}\nauthr: 我\n---\n",
     "a.md:5: unknown front-matter field 'authr'."),
    ("---\nissue: 1\ndate: 2026-12-02\ntitle: {zh: 中, en: E}\npublish_at: tomorrow\n---\n",
     "a.md:5: publish_at 'tomorrow'"),
    ("---\nissue: 1\ntitle: [unclosed\n---\n", "a.md:4: front matter:"),
    ("no front matter\n", "a.md:1: the article does not start with a front-matter block."),
    ("---\nissue: 1\n", "a.md:1: the front-matter block is not closed."),
])
def test_front_matter_errors(head, expected):
    result = parse_article(head + "\n# 国内 | Domestic\n\n## 中文\n\n中文。\n", "a.md")
    found = messages(result, "error")
    assert any(line.startswith(expected) for line in found), found


def test_unknown_field_suggests_the_right_one():
    result = parse("", head="---\nissue: 1\ndate: 2026-12-02\ntitle: {zh: 中, en: E}\nauthr: 我\n---\n")
    problem = next(p for p in result.errors if "authr" in p.message)
    assert problem.hint == "Did you mean 'author'?"


def test_publish_time_zones():
    for value, expected in [("2026-12-02 09:00", "2026-12-02T09:00:00+08:00"),
                            ("2026-12-02 09:00 +01:00", "2026-12-02T09:00:00+01:00"),
                            ("2026-12-02 09:00 Europe/London", "2026-12-02T09:00:00+00:00")]:
        head = HEAD[:-4] + f"publish_at: {value}\n---\n"
        result = parse("# 国内 | Domestic\n\n## 中文\n\n中文。\n", head=head)
        assert result.issue.publish_at == expected, result.problems


def test_headlines_in_the_wrong_order_are_swapped_with_a_warning():
    result = parse("# 国内 | Domestic\n\n## English First\n## 中文在后\n\n中文。\n\n---\n\nEnglish.\n")
    item = result.issue.items[0]
    assert item.headline == m.Bilingual("中文在后", "English First")
    assert "the English headline comes before the Chinese one." in [p.message for p in result.problems]


def test_file_problems_without_traceback(tmp_path):
    bad = tmp_path / "latin1.md"
    bad.write_bytes("issue: 1\n\xe9".encode("latin-1"))
    result = read_article(bad)
    assert result.issue is None and "is not UTF-8" in result.problems[0].message
    result = read_article(tmp_path / "missing.md")
    assert result.issue is None and "cannot read the file" in result.problems[0].message


def test_writer_round_trips_every_block_kind():
    issue = read_article(EXAMPLE).issue
    text = write_article(issue, str(EXAMPLE.parent))
    again = parse_article(text, str(EXAMPLE))
    assert not again.errors, again.problems
    assert again.issue.sections == issue.sections
    assert again.issue.cover == issue.cover


def test_writer_escapes_markdown_in_plain_text():
    item = m.Item(m.Bilingual("# 不是标题 *星号*", "1. Not a list [x] <b>"),
                  (m.Paragraph((m.Text("- 不是列表 & &amp; `代码` _下划线_"),)),),
                  (m.Paragraph((m.Text("> not a quote | pipe"),)),))
    issue = m.Issue(1, "2026-12-02", m.Bilingual("周报", "Weekly"),
                    (m.Section(m.Bilingual("国内", "Domestic"), (item,)),))
    again = parse_article(write_article(issue), "x.md")
    assert not again.errors, again.problems
    got = again.issue.items[0]
    assert got.headline == item.headline
    assert m.plain_text(got.body_zh).strip() == "- 不是列表 & &amp; `代码` _下划线_"
    assert m.plain_text(got.body_en).strip() == "> not a quote | pipe"


def test_an_issue_crosses_between_processes_unchanged():
    """Issues read on other cores come back pickled; model nodes pickle as their class and field values."""
    import pickle

    result = read_article(SEED_ARTICLE)
    copied = pickle.loads(pickle.dumps((result.issue, tuple(result.problems))))
    assert copied == (result.issue, tuple(result.problems))
    assert pickle.loads(pickle.dumps(m.LineBreak())) == m.LineBreak()  # (no fields)
    assert pickle.loads(pickle.dumps(m.Text("一"))) == m.Text("一")  # (one field)
