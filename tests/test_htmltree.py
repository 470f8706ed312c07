"""The element tree the audit and the dark-mode model walk: it reads our HTML as BeautifulSoup did."""

from bs4 import BeautifulSoup

from wechat_pub.render.audit import audit_html
from wechat_pub.render.htmltree import parse_fragment

FRAGMENT = ('<section style="color:#333"><p>A &amp; B &lt;tag&gt;&nbsp;“引号”<br>'
            '<img src="x.png" alt=\'say "hi"\'><!-- kept --></p><p>second <b>bold</b> tail</p></section><hr>')


def test_written_back_it_reads_the_same():
    written = str(parse_fragment(FRAGMENT))  # (attributes in their own order; bs4 sorts them)
    assert str(BeautifulSoup(written, "html.parser")) == str(BeautifulSoup(FRAGMENT, "html.parser"))
    assert written.startswith('<section style="color:#333"><p>A &amp; B &lt;tag&gt;\xa0“引号”<br/>')


def test_texts_as_beautifulsoup_reads_them():
    ours, theirs = parse_fragment(FRAGMENT), BeautifulSoup(FRAGMENT, "html.parser")
    assert [e.name for e in ours.iter()] == [e.name for e in theirs.find_all(True)]
    for mine, bs in zip(ours.iter(), theirs.find_all(True)):
        assert mine.text(" ", strip=True) == bs.get_text(" ", strip=True)
        assert mine.own_text() == "".join(s for s in bs.find_all(string=True, recursive=False)
                                          if type(s).__name__ == "NavigableString")


def test_a_stray_end_tag_is_ignored_and_open_tags_close_at_the_end():
    tree = parse_fragment("<p>one</span> two<p>three")
    assert str(tree) == "<p>one two<p>three</p></p>"


def test_the_audit_names_the_fragment_of_a_tag_found_wanting():
    found = audit_html('<p style="font-family:serif;position:absolute">x</p><a href="https://example.org">y</a>')
    assert found == ['style uses font-family (WeChat rewrites custom fonts; leave it unset): '
                     '<p style="font-family:serif;position:absolute">x</p>',
                     'style uses position (not supported by WeChat): <p style="font-family:serif;position:absolute">x</p>',
                     'link outside mp.weixin.qq.com (WeChat refuses to save it): <a href="https://example.org">y</a>']
