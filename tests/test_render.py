"""The renderer: WeChat-safe inline HTML, references, lists, code, themes, dark mode."""

from __future__ import annotations

import re
import textwrap

import pytest
from bs4 import BeautifulSoup

from conftest import CONFIG, EXAMPLE, SEED_ARTICLE
from wechat_pub import model as m
from wechat_pub.config import load_config
from wechat_pub.deployment import Deployment
from wechat_pub.render.article import RenderOptions, render_article, whole_issue
from wechat_pub.render.audit import audit_html
from wechat_pub.render.darkmode import DARK_PAGE, text_contrasts, to_dark
from wechat_pub.render.split import render_issue
from wechat_pub.render.theme import THEMES, load_theme
from wechat_pub.source.article import parse_article, read_article

ALLOWED_TAGS = {"section", "p", "span", "strong", "em", "sup", "img", "a", "br", "table", "thead", "tbody", "tr",
                "th", "td"}


@pytest.fixture(scope="module")
def firm_options():
    return Deployment(load_config(CONFIG)).site().render_options()


def render_text(body: str, options: RenderOptions | None = None) -> str:
    head = "---\nissue: 9\ndate: 2026-12-02\ntitle: {zh: 周报, en: Weekly}\n---\n"
    result = parse_article(head + textwrap.dedent(body), "t.md")
    assert not result.errors, result.problems
    return render_article(result.issue, whole_issue(result.issue), options or RenderOptions()).content


@pytest.mark.parametrize("theme", sorted(THEMES))
@pytest.mark.parametrize("article", [SEED_ARTICLE, EXAMPLE], ids=["seed", "example"])
def test_output_is_wechat_safe(article, theme):
    issue = read_article(article).issue
    options = RenderOptions(theme=load_theme(theme))
    html = render_issue(issue, options).articles[0].content
    assert audit_html(html) == []
    soup = BeautifulSoup(html, "html.parser")
    assert {tag.name for tag in soup.find_all(True)} <= ALLOWED_TAGS
    for tag in soup.find_all(True):
        assert not (set(tag.attrs) - {"style", "href", "src", "alt", "data-w"}), tag
    assert "<style" not in html and "class=" not in html and " id=" not in html
    assert "font-family" not in html and "position:" not in html and "!important" not in html


def test_seed_payload_holds_every_item_in_both_languages(firm_options):
    issue = read_article(SEED_ARTICLE).issue
    [article] = render_issue(issue, firm_options).articles
    payload = article.payload()
    assert set(payload) == {"title", "author", "digest", "content", "content_source_url", "need_open_comment",
                            "only_fans_can_comment"}
    text = BeautifulSoup(payload["content"], "html.parser").get_text()
    for item in issue.items:
        for part in (item.headline.zh, item.headline.en, m.plain_text(item.body_zh), m.plain_text(item.body_en)):
            assert part.strip() and part.strip() in text
    assert "立方观评 · NEWSLETTER" in text and "第135期 · No.135 · 2020.04" in text
    assert text.rstrip().endswith("Fax: +8610 64096260/64096261")
    assert "上述内容仅供参考" in text and "not be relied on as legal advice" in text
    assert payload["title"] == "立方网络安全与数据合规周报｜第135期" and payload["author"] == "立方律师事务所"
    assert payload["digest"].startswith("本期：公安部") and len(payload["digest"]) <= 120


def test_outside_links_become_numbered_references():
    html = render_text("""
        # 国内 | Domestic

        ## 链接
        ## Links

        见[规定](https://a.example/x)和[同一规定](https://a.example/x)，另见[往期](https://mp.weixin.qq.com/s/abc)与[锚点](#top)。

        ---

        See [the rule](https://a.example/x) and [another](https://b.example/y).

        Source: [Origin](https://c.example/z)
    """)
    soup = BeautifulSoup(html, "html.parser")
    text = soup.get_text()
    assert "规定[1]和同一规定[1]" in text and "锚点。" in text
    assert "the rule[1] and another[3]" in text  # numbered in reading order: the zh source came first
    assert "查看更多[2]" in text and "More[2]" in text
    assert [a["href"] for a in soup.find_all("a")] == ["https://mp.weixin.qq.com/s/abc"]
    assert "参考链接 | References" in text
    refs = [p.get_text() for p in soup.find_all("p") if re.match(r"\[\d\] ", p.get_text())]
    assert refs == ["[1] 规定: https://a.example/x", "[2] Origin: https://c.example/z", "[3] another: https://b.example/y"]


def test_lists_are_text_markers_and_nesting_is_flat():
    html = render_text("""
        # 国内 | Domestic

        ## 列表

        3. 第三
        4. 第四
           - 嵌套一
           - 嵌套二

        - 点
    """)
    assert "<ul" not in html and "<ol" not in html and "<li" not in html
    text = BeautifulSoup(html, "html.parser").get_text()
    for marker in ("3.\xa0第三", "4.\xa0第四", "•\xa0嵌套一", "•\xa0嵌套二", "•\xa0点"):
        assert marker in text


def test_code_keeps_its_lines_and_spaces():
    html = render_text("""
        # 国内 | Domestic

        ## 代码

        ```python
        def f():
            return "<x>"
        ```
    """)
    assert "def&nbsp;f():<br>&nbsp;&nbsp;&nbsp;&nbsp;return&nbsp;\"&lt;x&gt;\"" in html
    assert "<pre" not in html and "<code" not in html


def test_user_text_is_escaped():
    html = render_text("""
        # 国内 | Domestic

        ## 转义 \\<script>

        a &lt; b, 1 < 2 \\<img src=x onerror=alert(1)>
    """)
    assert "<script" not in html and "onerror" not in BeautifulSoup(html, "html.parser").find_all(True)[0].attrs
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def style_of(html: str, text: str) -> dict[str, str]:
    """The styles in force on the element holding ``text`` (inherited ones from its ancestors)."""
    soup = BeautifulSoup(html, "html.parser")
    node = soup.find(string=re.compile(re.escape(text)))
    chain = [tag for tag in node.parents if tag.get("style")]
    styles: dict[str, str] = {}
    for tag in reversed(chain):
        styles.update(part.split(":", 1) for part in tag["style"].split(";"))
    return styles


def test_english_is_secondary_but_readable(firm_options):
    issue = read_article(SEED_ARTICLE).issue
    html = render_issue(issue, firm_options).articles[0].content
    zh = style_of(html, "2020年4月15日")
    en = style_of(html, "On April 15, 2020")
    assert int(en["font-size"].rstrip("px")) < int(zh["font-size"].rstrip("px"))
    assert int(en["font-size"].rstrip("px")) >= 14
    assert en["color"] != zh["color"]


def test_themes_differ_in_look_not_in_content():
    issue = read_article(EXAMPLE).issue
    classic = render_issue(issue, RenderOptions(theme=load_theme("classic"))).articles[0].content
    ink = render_issue(issue, RenderOptions(theme=load_theme("ink"))).articles[0].content
    assert classic != ink
    assert BeautifulSoup(classic, "html.parser").get_text() == BeautifulSoup(ink, "html.parser").get_text()
    accent = load_theme("classic", "#8a2be2")
    assert "#8a2be2" in render_issue(issue, RenderOptions(theme=accent)).articles[0].content


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_every_text_stays_readable_in_light_and_dark_mode(theme):
    """WCAG AA (4.5:1) for every text, on white and after WeChat-style dark recolouring."""
    issue = read_article(EXAMPLE).issue
    html = render_issue(issue, RenderOptions(theme=load_theme(theme))).articles[0].content
    light = text_contrasts(html, (255, 255, 255))
    dark = text_contrasts(to_dark(html), DARK_PAGE)
    assert len(light) > 30 and len(dark) == len(light)
    low = [(text, round(ratio, 2)) for text, ratio in light + dark if ratio < 4.5]
    assert low == []


def test_dark_mode_recolours_backgrounds_and_text():
    html = '<section style="background-color:#f7f7f7;color:#333333"><p style="color:#1f4e79">x</p></section>'
    dark = to_dark(html)
    soup = BeautifulSoup(dark, "html.parser")
    section_style = soup.section["style"]
    assert "background-color:#f7f7f7" not in section_style
    assert soup.p["style"] != "color:#1f4e79"
