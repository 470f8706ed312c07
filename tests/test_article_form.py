"""Issue 24, deliverable 3: the editor's form is written into the article's front matter, and what the team did not
change stays byte for byte (wechat_pub/console/article_form.py)."""

from __future__ import annotations

from conftest import EXAMPLE, SEED_ARTICLE
from wechat_pub.console import article_form as form
from wechat_pub.model import Pos, Problem
from wechat_pub.source.article import parse_article

ZONE = "Asia/Shanghai"
WITH_NOTES = """---
# kept as it is
issue: 135
date: 2020-04
title:
  zh: 立方网络安全与数据合规周报
  en: Weekly Review
comments: fans
publish_at: 2026-12-08 09:00 +08:00
import_notes:
- 第一行没有放好
- "second: not placed"
source_url: https://www.lifanglaw.com/
---

# 国内要闻 | Domestic News
"""


def submit(text: str, done: set[int] = frozenset(), **changes) -> str:
    values = {**form.form_values(text, ZONE), "more": form.more_fields(text), **changes}
    return form.compose(text, values, form.cut(text).body, set(done), ZONE)


def test_an_unchanged_form_gives_the_file_back_byte_for_byte():
    for text in (EXAMPLE.read_text(encoding="utf-8"), SEED_ARTICLE.read_text(encoding="utf-8"), WITH_NOTES):
        assert submit(text) == text


def test_a_changed_title_rewrites_the_title_only():
    text = EXAMPLE.read_text(encoding="utf-8")
    changed = submit(text, title_zh="新标题")
    assert parse_article(changed).issue.title.zh == "新标题"
    assert changed.replace("  zh: 新标题", "  zh: 立方网络安全与数据合规周报") == text


def test_the_form_reads_the_front_matter_as_people_write_it():
    values = form.form_values(WITH_NOTES, ZONE)
    assert values["issue"] == "135" and values["date"] == "2020-04" and values["title_en"] == "Weekly Review"
    assert values["publish_at"] == "2026-12-08T09:00" and values["deliver"] == ""
    assert form.import_notes(WITH_NOTES) == ["第一行没有放好", "second: not placed"]
    assert form.more_fields(WITH_NOTES) == "comments: fans\nsource_url: https://www.lifanglaw.com/\n"


def test_a_new_publish_time_and_delivery_are_written_as_schedule_writes_them():
    changed = submit(WITH_NOTES, publish_at="2026-12-09T10:30", deliver="send")
    assert "publish_at: 2026-12-09 10:30 +08:00\n" in changed and changed.count("publish_at") == 1
    assert "deliver: send\n" in changed
    issue = parse_article(changed, timezone=ZONE).issue
    assert issue.publish_at == "2026-12-09T10:30:00+08:00" and issue.deliver == "send"
    assert submit(WITH_NOTES, publish_at="").count("publish_at") == 0  # emptied: unscheduled


def test_ticked_import_notes_go_and_the_others_stay():
    one_left = submit(WITH_NOTES, done={0})
    assert form.import_notes(one_left) == ["second: not placed"]
    assert "import_notes" not in submit(WITH_NOTES, done={0, 1})
    assert submit(WITH_NOTES, done={7}) == WITH_NOTES  # a note that is not there: nothing changes


def test_more_fields_are_edited_as_text():
    changed = submit(WITH_NOTES, more="comments: all\nsource_url: https://example.org/\n")
    issue = parse_article(changed).issue
    assert issue.open_comment and not issue.fans_only_comment and issue.source_url == "https://example.org/"
    assert "# kept as it is\n" in changed and form.import_notes(changed) == form.import_notes(WITH_NOTES)


def test_a_hostile_value_stays_a_value():
    """A title that looks like YAML (a key, a list, a document end) is written quoted: it cannot add a field."""
    changed = submit(WITH_NOTES, title_en="x\ndeliver: send\n---\n# injected", author="- [a]: b")
    issue = parse_article(changed, timezone=ZONE).issue
    assert issue.deliver == "" and issue.author == "- [a]: b" and "injected" in issue.title.en
    assert changed.endswith(form.cut(WITH_NOTES).body)
    ended = submit(WITH_NOTES, more="comments: all\n---\n...\nsource_url: https://example.org/\n")
    issue = parse_article(ended).issue  # a '---' in "more fields" does not end the block early
    assert issue.open_comment and issue.source_url == "https://example.org/" and issue.number == 135
    assert form.cut(ended).body == form.cut(WITH_NOTES).body


def test_problems_point_to_their_field_or_body_line():
    text = submit(WITH_NOTES, issue="abc", date="")
    problems = form.locate(parse_article(text).problems, text)
    fields = {p["field"] for p in problems}
    assert {"issue", "date"} <= fields
    body_line = form.cut(text).body_line
    located = form.locate([Problem(Pos("x", body_line + 1), "error", "no item", "See docs/article-format.md.")], text)
    assert located == [{"field": None, "line": 2, "severity": "error", "message": "no item", "hint": ""}]
