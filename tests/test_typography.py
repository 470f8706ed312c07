"""Chinese punctuation: ASCII marks touching Han made full-width, in the importer, check and check --fix."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from conftest import SEED, SEED_ARTICLE
from wechat_pub import model as m
from wechat_pub.render.split import render_issue
from wechat_pub.source.article import read_article
from wechat_pub.source.plaintext import import_plaintext
from wechat_pub.typography import chinese_problems, fix_chinese

# Han on both sides of an ASCII comma, quote or bracket: what followers must never see in Chinese text.
BETWEEN_HAN = re.compile(r"[\u4e00-\u9fff][,;:?!\"'()][\u4e00-\u9fff]")


@pytest.mark.parametrize("before, after", [
    ("其中,4起涉及", "其中，4起涉及"),  # a comma before a digit
    ("将于5月发布API,让公共卫生部门", "将于5月发布API，让公共卫生部门"),  # after a Latin word
    ('通过"暗网"出售', "通过“暗网”出售"),
    ('《实施方案》("《实施方案》")的通知', "《实施方案》（“《实施方案》”）的通知"),
    ('委员会(European Data Protection Board, "EDPB")起草', "委员会（European Data Protection Board, “EDPB”）起草"),
    ("EDPB认为: 应当", "EDPB认为：应当"),
    ("规定 (试行) 发布", "规定（试行）发布"),
    ("他说'好'", "他说‘好’"),
])
def test_ascii_marks_touching_han_become_full_width(before, after):
    assert fix_chinese(before).text == after


@pytest.mark.parametrize("text", [
    "共1,700起，10:30发布",  # numbers
    "见 https://example.com/a,b?x=1 和 `a,b` 及 [链接](https://example.com/(1))",  # URLs, code, link targets
    "the Commission's guidance (2020)",  # English inside Chinese text
    "未配对的(括号",  # unpaired: left for a person
])
def test_numbers_urls_code_and_english_are_left_alone(text):
    assert fix_chinese(text).text == text


def test_problems_show_each_change_in_context():
    assert chinese_problems('其中,4起和"暗网"。这一段文字没有问题。另有(试行)') == [
        '其中,4起和"暗网"。这一段 → 其中，4起和“暗网”。这一段', '题。另有(试行) → 题。另有（试行）']
    assert chinese_problems("已是全角，无需修改。") == []


def test_the_importer_fixes_what_it_imports_and_says_so():
    result = import_plaintext(str(SEED))
    assert result.punctuation == {"，": 38, "“”": 7, "（）": 3}
    texts = [item.headline.zh for item in result.issue.items] + [m.plain_text(i.body_zh) for i in result.issue.items]
    assert not [t for t in texts if BETWEEN_HAN.search(t)]


def test_the_rendered_seed_has_no_ascii_mark_between_han(firm_options):
    html = render_issue(read_article(SEED_ARTICLE).issue, firm_options).articles[0].content
    text = BeautifulSoup(html, "html.parser").get_text()
    assert BETWEEN_HAN.findall(text) == []
    assert "其中，4起" in text and "发布API，让" in text and "“上云用数赋智”" in text


def test_check_warns_and_check_fix_mends_the_file(firm_dir, run_cli):
    article = firm_dir / "135.md"
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    article.write_text(text.replace("其中，4起", "其中,4起").replace("“暗网”", '"暗网"'), encoding="utf-8")
    result = run_cli("check", str(article))
    assert "warning" in result.stdout and "135.md:32: ASCII punctuation in Chinese text: 件。其中,4起涉及 → 件。其中，4起涉及 (and 1 more)" \
        in result.stdout
    assert "check --fix" in result.stdout
    fixed = run_cli("check", "--fix", str(article))
    assert "made full-width in Chinese text: 1 “”, 1 ，" in fixed.stdout
    assert article.read_text(encoding="utf-8") == text  # back to the hand-checked file, nothing else touched
    [backup] = (firm_dir / "articles" / ".backups").glob("135.*.md")
    assert "其中,4起" in backup.read_text(encoding="utf-8")
    assert "ASCII punctuation" not in run_cli("check", str(article)).stdout
