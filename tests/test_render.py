"""The renderer: WeChat-safe inline HTML, references, lists, code, themes, dark mode."""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace

import pytest
from bs4 import BeautifulSoup

from conftest import EXAMPLE, SEED_ARTICLE
from wechat_pub import model as m
from wechat_pub.preflight import html_findings
from wechat_pub.preview import preview_page
from wechat_pub.render.article import RenderOptions, render_article, whole_issue
from wechat_pub.render.audit import audit_html
from wechat_pub.render.darkmode import contrast_problems, examine, readings
from wechat_pub.render.split import RenderResult, render_issue
from wechat_pub.render.theme import THEMES, load_theme
from wechat_pub.source.article import parse_article, read_article

ALLOWED_TAGS = {"section", "p", "span", "strong", "em", "sup", "img", "a", "br", "table", "thead", "tbody", "tr",
                "th", "td"}


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
    for tag in soup.find_all(style=True):  # compact (css-inline's minify_css): every character counts against 20,000
        declarations = [d.partition(":") for d in tag["style"].split(";")]
        names = [name for name, _, _ in declarations]
        assert all(name and value and name == name.strip() and value == value.strip()
                   for name, _, value in declarations), tag["style"]
        assert len(set(names)) == len(names), tag["style"]  # one value per property: the cascade's winner


def test_text_that_reads_like_an_attribute_is_kept_as_typed():
    """Found by the review: the class attributes were cut out of the whole HTML, so an article about HTML that
    wrote `<p class="note">` lost its words (the tags' class attributes go, the text's stay)."""
    html = render_text("""
        # 国内要闻 | Domestic News

        ## 标题 | Headline

        写 `<p class="note">` 即可。 see style="a: 1" and class="x" here.

        Write `<p class="note">` to mark it.
        """)
    text = BeautifulSoup(html, "html.parser").get_text()
    assert '<p class="note">' in text and 'class="x"' in text and 'style="a: 1"' in text
    assert not BeautifulSoup(html, "html.parser").find_all(class_=True)


def test_seed_payload_holds_every_item_in_both_languages(firm_options):
    issue = read_article(SEED_ARTICLE).issue
    [article] = render_issue(issue, firm_options).articles
    payload = article.payload()
    assert set(payload) == {"title", "author", "digest", "content", "content_source_url", "need_open_comment",
                            "only_fans_can_comment"}
    text = BeautifulSoup(payload["content"], "html.parser").get_text().replace("\xa0", " ")
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
    assert "查看更多 [2]" in text and "More [2]" in text
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
    soup = BeautifulSoup(html, "html.parser")
    assert "<script" not in html and not soup.find_all(["script", "img"])
    assert "<script>" in soup.get_text() and "<img src=x onerror=alert(1)>" in soup.get_text()


def style_of(html: str, text: str, last: bool = False) -> dict[str, str]:
    """The styles in force on the (first or last) element holding ``text`` (inherited ones from its ancestors)."""
    soup = BeautifulSoup(html, "html.parser")
    found = soup.find_all(string=re.compile(re.escape(text)))
    node = found[-1] if last else found[0]
    chain = [tag for tag in node.parents if tag.get("style")]
    styles: dict[str, str] = {}
    for tag in reversed(chain):
        styles.update(part.split(":", 1) for part in tag["style"].split(";"))
    return styles


def test_english_reads_as_a_first_class_language(firm_options):
    """No letter-spacing on Latin text (also inside Chinese paragraphs), an English headline that is not a bold
    grey block, and the Chinese set with its spacing and strict line breaking."""
    issue = read_article(SEED_ARTICLE).issue
    html = render_issue(issue, firm_options).articles[0].content
    zh, en = style_of(html, "2020年4月15日"), style_of(html, "On April 15, 2020")
    assert zh["letter-spacing"] == "0.5px" and zh["line-break"] == "strict"
    assert en["letter-spacing"] == "0" and int(en["font-size"].rstrip("px")) >= 15
    headline = style_of(html, "MPS & CAC Take the Lead to Establish a Long-Term", last=True)  # not the contents
    assert headline.get("font-weight", "normal") == "normal" and headline["color"] == "#3f3f3f"
    assert style_of(html, "EDPB")["letter-spacing"] == "0"  # Latin inside a Chinese paragraph


def test_lead_language_en_puts_english_first(firm_options):
    issue = read_article(SEED_ARTICLE).issue
    html = render_issue(issue, replace(firm_options, lead_language="en")).articles[0].content
    text = BeautifulSoup(html, "html.parser").get_text()
    assert text.index("Contents") < text.index("本期目录")
    assert text.index("MPS & CAC Take the Lead") < text.index("公安部、中央网信办牵头")
    assert text.index("On April 15, 2020") < text.index("2020年4月15日")
    assert style_of(html, "On April 15, 2020")["font-size"] == "16px"
    assert style_of(html, "2020年4月15日")["font-size"] == "15px"


def test_contents_are_compact_but_hold_both_languages(firm_options):
    issue = read_article(SEED_ARTICLE).issue
    html = render_issue(issue, firm_options).articles[0].content
    toc = BeautifulSoup(html, "html.parser").find(string=re.compile("本期目录")).find_parent("section")
    for item in issue.items:
        assert item.headline.zh in toc.get_text() and item.headline.en in toc.get_text()
    second = toc.find(string=re.compile("^MPS & CAC")).parent["style"]
    assert "white-space:nowrap" in second and "text-overflow:ellipsis" in second  # one line each


def test_footer_prints_the_qr_code_where_it_asks_to_scan(firm_options):
    issue = read_article(SEED_ARTICLE).issue
    html = render_issue(issue, firm_options).articles[0].content
    soup = BeautifulSoup(html, "html.parser")
    [qr] = soup.find_all("img")
    assert qr["src"].endswith("assets/qr-code.png")
    ask = soup.find(string=re.compile("扫码关注"))
    assert ask.find_next("img") is qr and "北京" in qr.find_next("p").get_text()
    korea = soup.find(string=re.compile("Korea")).parent
    assert korea["style"] == "white-space:nowrap" and korea.get_text() == "Shenzhen\xa0|\xa0Korea"
    more = style_of(render_text(SOURCED), "查看更多")
    assert more["color"] == "#595959"  # a reference mark, not link-coloured


def test_contact_entries_never_break_inside():
    from wechat_pub.render.layout import contact_line

    assert contact_line("北京 | 上海 | 深圳 | 韩国") == (
        '<span class="entry">北京</span> | <span class="entry">上海</span> | '
        '<span class="entry">深圳&nbsp;|&nbsp;韩国</span>')
    assert contact_line("Email: info@lifanglaw.com") == "Email:&nbsp;info@lifanglaw.com"


SOURCED = """
    # 国内 | Domestic

    ## 标题
    ## Title

    正文。

    ---

    Text.

    Source: [Origin](https://c.example/z)
"""


def test_themes_differ_in_look_not_in_content():
    issue = read_article(EXAMPLE).issue
    classic = render_issue(issue, RenderOptions(theme=load_theme("classic"))).articles[0].content
    ink = render_issue(issue, RenderOptions(theme=load_theme("ink"))).articles[0].content
    assert classic != ink
    assert BeautifulSoup(classic, "html.parser").get_text() == BeautifulSoup(ink, "html.parser").get_text()
    accent = load_theme("classic", "#8a2be2")
    assert "#8a2be2" in render_issue(issue, RenderOptions(theme=accent)).articles[0].content


@pytest.mark.parametrize("theme", sorted(THEMES))
@pytest.mark.parametrize("article", [SEED_ARTICLE, EXAMPLE], ids=["seed", "example"])
def test_every_text_stays_readable_in_light_and_wechat_dark_mode(theme, article):
    """WCAG AA (4.5:1) for every text, on WeChat's white page and after WeChat's own dark-mode rules, and no
    light box left on the dark page."""
    issue = read_article(article).issue
    html = render_issue(issue, RenderOptions(theme=load_theme(theme))).articles[0].content
    assert len(readings(html, "light")) > 30
    assert contrast_problems(html) == []


def test_a_light_accent_is_unreadable_and_said_so():
    issue = read_article(EXAMPLE).issue
    html = render_issue(issue, RenderOptions(theme=load_theme("classic", "#07c160"))).articles[0].content
    problems = contrast_problems(html)
    assert any(p.startswith("light mode:") and "#07c160" in p for p in problems)


def test_check_reads_in_one_parse_what_the_audit_and_the_contrast_check_find_alone():
    issue = read_article(EXAMPLE).issue
    html = render_issue(issue, RenderOptions(theme=load_theme("classic", "#07c160"))).articles[0].content
    html += '<p style="position:absolute;background-color:#f0f0d0">boxed</p>'  # for the audit, and a light box
    findings = html_findings(html)
    assert findings.audit == tuple(audit_html(html)) != ()
    assert (findings.low_contrast, findings.light_boxes) == examine(html)
    assert findings.low_contrast and findings.light_boxes


def test_the_preview_page_shows_checks_render_only_when_showing_the_images_changes_nothing(firm_options):
    """The editor's live preview hands the page the render `check` made; an embedded image (the footer's QR code
    here) makes a different render, so the page then renders its own."""
    issue = read_article(SEED_ARTICLE).issue  # (no image of its own)
    no_qr_code = RenderOptions(theme=firm_options.theme)
    marked = RenderResult(render_issue(issue, no_qr_code).articles, [m.Problem(None, "warning", "check's render")])
    assert "check&#x27;s render" in preview_page(issue, no_qr_code, rendered=marked)
    assert preview_page(issue, no_qr_code, rendered=render_issue(issue, no_qr_code)) == preview_page(issue, no_qr_code)
    marked = RenderResult(render_issue(issue, firm_options).articles, [m.Problem(None, "warning", "check's render")])
    page = preview_page(issue, firm_options, rendered=marked)
    assert "check&#x27;s render" not in page and 'src="data:image/png;base64,' in page
    assert page == preview_page(issue, firm_options)
