"""Issues too large for one article become a multi-article draft (at most 8), split at boundaries."""

from __future__ import annotations

from bs4 import BeautifulSoup

from wechat_pub import model as m
from wechat_pub.limits import CONTENT_MAX_BYTES, CONTENT_MAX_CHARS, MAX_ARTICLES, TITLE_MAX_CHARS
from wechat_pub.render.article import RenderOptions
from wechat_pub.render.audit import audit_html
from wechat_pub.render.split import render_issue
from wechat_pub.synthetic import IssueFactory


def item_numbers(article) -> list[int]:
    return [entry.number for _, entries in article.part.sections for entry in entries]


def test_small_issue_stays_one_article():
    issue = IssueFactory(1).issue(sections=2, items_per_section=2)
    result = render_issue(issue, RenderOptions())
    assert len(result.articles) == 1 and result.problems == []
    assert result.split_summary == "fits in one article"


def test_large_issue_splits_at_sections_within_every_limit():
    issue = IssueFactory(2).issue(sections=8, items_per_section=5)
    result = render_issue(issue, RenderOptions())
    assert result.problems == []
    assert 1 < len(result.articles) <= MAX_ARTICLES
    numbers = [n for article in result.articles for n in item_numbers(article)]
    assert numbers == list(range(1, 41)), "every item exactly once, in order"
    titles = [a.title for a in result.articles]
    assert len(set(titles)) == len(titles), "each article has its own title"
    for article in result.articles:
        assert len(article.content) < CONTENT_MAX_CHARS and len(article.content.encode()) < CONTENT_MAX_BYTES
        assert len(article.title) <= TITLE_MAX_CHARS
        assert audit_html(article.content) == []
        assert article.digest == ""  # WeChat keeps no digest in multi-article drafts
        text = BeautifulSoup(article.content, "html.parser").get_text().replace("\xa0", " ")
        total = len(result.articles)
        assert f"本期分 {total} 篇 · This issue comes in {total} parts" in text
        assert f"{article.part.index}/{total}" in text and "（本篇 | this part）" in text
        # its own references: numbered from 1, only its own items' sources
        assert "[1] Notice" in text
        for number in item_numbers(article):
            assert f"https://example.org/notice/{number}" in text
    assert "split into" in result.split_summary and "article 2: items" in result.split_summary


def test_a_section_too_large_alone_splits_at_items():
    issue = IssueFactory(3).issue(sections=1, items_per_section=12)
    result = render_issue(issue, RenderOptions())
    assert result.problems == [] and len(result.articles) > 1
    assert all(len(a.part.sections) == 1 for a in result.articles)
    assert [n for a in result.articles for n in item_numbers(a)] == list(range(1, 13))
    titles = [a.title for a in result.articles]
    assert len(set(titles)) == len(titles) and all(len(t) <= TITLE_MAX_CHARS for t in titles)
    if len(titles) == 2:  # the second part goes on with the section
        assert titles == ["数据合规周报｜第1期·国内要闻", "数据合规周报｜第1期·国内要闻（续）"]
    else:  # several parts of one section: numbered
        assert titles[1].endswith(f"（2/{len(titles)}）")


def test_a_three_part_issue_reads_as_a_series():
    """Each part named after its sections, the series box saying which part this is and what the others hold."""
    factory = IssueFactory(6)
    big = factory.issue(sections=3, items_per_section=5)
    names = [("国内要闻", "Domestic News"), ("海外动态", "Overseas News"), ("行业观察", "Industry Watch")]
    sections = tuple(m.Section(m.Bilingual(zh, en), section.items, section.pos)
                     for (zh, en), section in zip(names, big.sections))
    issue = m.Issue(935, "2026-12-02", m.Bilingual("立方观评", "Newsletter"), sections, path="935.md")
    result = render_issue(issue, RenderOptions())
    assert [a.title for a in result.articles] == ["立方观评｜第935期·国内要闻", "立方观评｜第935期·海外动态",
                                                  "立方观评｜第935期·行业观察"]
    second = BeautifulSoup(result.articles[1].content, "html.parser").get_text().replace("\xa0", " ")
    assert "1/3  国内要闻 Domestic News" in second and "3/3  行业观察 Industry Watch" in second
    assert "2/3  海外动态 Overseas News（本篇 | this part）" in second


def test_more_than_eight_articles_is_an_error():
    issue = IssueFactory(4).issue(sections=10, items_per_section=5)
    result = render_issue(issue, RenderOptions())
    assert [p.message for p in result.problems] == [
        f"the issue needs {len(result.articles)} articles; a WeChat draft holds at most 8."]


def test_one_item_too_large_for_any_article_is_named():
    factory = IssueFactory(5)
    huge = factory.item(1, paragraphs=40, sentences=10)
    huge = m.Item(huge.headline, huge.body_zh, huge.body_en, huge.sources, m.Pos("big.md", 12))
    issue = m.Issue(1, "2026-12-02", m.Bilingual("周报", "Weekly"),
                    (m.Section(m.Bilingual("国内", "Domestic"), (factory.item(2), huge)),), path="big.md")
    result = render_issue(issue, RenderOptions())
    [problem] = result.problems
    assert problem.pos == m.Pos("big.md", 12) and "alone is over WeChat's limit" in problem.message
