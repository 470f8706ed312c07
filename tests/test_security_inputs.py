"""Issue 21, the input half: which files an article can make wechat-pub read, and which URLs from outside it
shows as links. Through the real service (`wechat-pub run` as a process, signed webhook requests, a signed-in
editor) and, where a page is involved, a real browser; tests/test_security_forms.py has the rest."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest
import requests
from security_service import ARTICLE, TOKEN, page_fixture, service_fixture, signed_in  # noqa: F401 (fixtures)
from test_console_browser import sign_in, write_issue

from conftest import jpeg_bytes, state_url, stores_at
from wechat_pub.bot.protocol import signed_message

NO_SUCH = "/etc/wechat-pub-no-such-file"


# ---- 1. files: an article shows only images of its own folders, and only images --------------------------


def preview(session: requests.Session, base: str, images: str) -> dict:
    response = session.post(f"{base}/console/default/preview", json={"text": ARTICLE.format(number=901,
                                                                                             images=images)},
                            timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def image_problems(answer: dict) -> list[str]:
    return [p["message"] for p in answer["problems"] if p["message"].startswith("image ")]


def test_the_preview_shows_no_file_outside_the_articles_and_assets_folders(service):
    """Issue 21, 1 (critical): `![x](/etc/shadow)` in the console's preview returned the file as a data: URI, and the
    message said whether a path existed. Now: one message, whether the file exists or not, and not one byte."""
    articles = service.folder / "articles"
    (articles / "escape.png").symlink_to("/etc/passwd")
    (articles / "dangling.png").symlink_to(NO_SUCH)
    (articles / "to-state.png").symlink_to(service.folder / "state" / "state.sqlite3")
    session = signed_in(service.base)
    secrets = [Path("/etc/passwd").read_bytes(), (service.folder / "state" / "state.sqlite3").read_bytes()[:64]]
    pairs = [("/etc/passwd", NO_SUCH), ("../state/state.sqlite3", "../state/no-such.sqlite3"),
             ("escape.png", "dangling.png"), ("to-state.png", "dangling.png"), ("/etc/passwd", "/etc")]
    messages = set()
    for there, not_there in pairs:
        answer = preview(session, service.base, f"![a]({there})\n\n![b]({not_there})")
        found = image_problems(answer)
        assert len(found) == 2, answer["problems"]
        messages |= {found[0].replace(repr(there), "SRC"), found[1].replace(repr(not_there), "SRC")}
        for secret in secrets:
            for chunk in (secret[:24], secret[24:48]):
                assert base64.b64encode(chunk).decode()[:24] not in answer["page"]
        assert "root:" not in str(answer) and "SQLite format" not in str(answer)
    assert messages == {"image SRC is not in the articles folder or the assets folder, so it cannot be shown."}


def test_the_preview_embeds_only_real_images(service):
    """Issue 21, 1: the bytes are checked to be a JPEG, PNG or GIF before they are embedded."""
    articles = service.folder / "articles"
    (articles / "photo.jpg").write_bytes(jpeg_bytes(60, 40))
    (articles / "fake.jpg").write_bytes(b"root:x:0:0:root:/root:/bin/bash\n" * 4)
    answer = preview(signed_in(service.base), service.base, "![real](photo.jpg)\n\n![fake](fake.jpg)")
    assert image_problems(answer) == ["image 'fake.jpg' cannot be read as an image: it is not a JPEG, PNG or GIF "
                                      "file."]
    page = answer["page"]
    assert base64.b64encode(jpeg_bytes(60, 40)).decode()[:40] in page  # the real one is shown
    assert "cm9vdDp4OjA6MDpy" not in page and "root:" not in page  # the fake one's bytes are not
    assert set(re.findall(r"data:([^;\"]+);base64", page)) <= {"image/jpeg", "image/png", "image/gif"}


def test_push_refuses_an_image_outside_the_folders_and_uploads_nothing(sandbox_dir, sandbox, run_cli):
    """Issue 21, 1: the push reads images through the same gate (a JPEG beside config.toml is not the article's)."""
    (sandbox_dir / "outside.jpg").write_bytes(jpeg_bytes(300, 200))
    (sandbox_dir / "articles").mkdir()
    (sandbox_dir / "articles" / "link.jpg").symlink_to(sandbox_dir / "outside.jpg")
    for src in ("../outside.jpg", "link.jpg"):
        path = sandbox_dir / "articles" / "issue-902.md"
        path.write_text(ARTICLE.format(number=902, images=f"![x]({src})"), encoding="utf-8")
        out = run_cli("push", path, expect=1)
        assert f"Image {src!r} is not in the articles folder or the assets folder" in out.stderr + out.stdout
    assert sandbox.state.connection().execute("SELECT count(*) FROM media").fetchone()[0] == 0


def test_check_reports_without_reading_or_telling_existence(firm_dir, run_cli):
    """Issue 21, 1: `check` (and so the console's list of problems) says the same for a file that exists and one
    that does not, outside the folders; a non-image inside them is named as such."""
    (firm_dir / "articles").mkdir()
    (firm_dir / "articles" / "notes.png").write_text("not an image", encoding="utf-8")
    path = firm_dir / "articles" / "issue-903.md"
    path.write_text(ARTICLE.format(number=903, images=f"![a](/etc/passwd)\n\n![b]({NO_SUCH})\n\n![c](notes.png)"),
                    encoding="utf-8")
    out = run_cli("check", path, expect=1).stdout
    assert "image '/etc/passwd' is not in the articles folder or the assets folder" in out
    assert f"image '{NO_SUCH}' is not in the articles folder or the assets folder" in out
    assert "does not exist" not in out and "root:" not in out
    assert "image 'notes.png' cannot be read as an image: it is not a JPEG, PNG or GIF file." in out


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_library_copies_no_file_from_outside_into_the_database(tmp_path, kind):
    """Issue 21, 1: the sync sends an issue's images to the shared database (and so to every host): a symlink in
    the articles folder that leads out of it sent the file it leads to."""
    from conftest import firm_config, make_database_url, open_site, use_database

    firm_config(tmp_path)
    use_database(tmp_path, make_database_url(kind, tmp_path))
    articles = tmp_path / "articles"
    articles.mkdir()
    (tmp_path / "outside.jpg").write_bytes(jpeg_bytes())
    (articles / "leak.png").symlink_to("/etc/passwd")
    (articles / "photo.jpg").symlink_to(tmp_path / "outside.jpg")
    (articles / "chart.jpg").write_bytes(jpeg_bytes(90, 60))
    (articles / "issue-914.md").write_text(ARTICLE.format(number=914, images="![a](leak.png)\n\n![b](photo.jpg)"
                                                                            "\n\n![c](chart.jpg)"), encoding="utf-8")
    site = open_site(tmp_path)
    site.library.sync()
    assert sorted(site.library.store.files(914)) == ["chart.jpg"]


def test_open_image_is_the_one_gate(tmp_path):
    """Issue 21, 1: the rule itself: resolved paths (symlinks, '..'), regular files only, images by content."""
    import os

    from wechat_pub import model as m
    from wechat_pub.source.images import ImageFile, open_image

    folder = tmp_path / "articles"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "a.jpg").write_bytes(jpeg_bytes())
    (folder / "img" / "self.jpg").symlink_to(folder / "img" / "a.jpg")  # a link inside the folder is fine
    os.mkfifo(folder / "pipe.jpg")
    allowed = (str(folder),)
    assert isinstance(open_image(str(folder / "img" / "self.jpg"), "self.jpg", allowed), ImageFile)
    assert open_image(str(folder / "img" / "a.jpg"), "a.jpg", allowed).mime == "image/jpeg"
    refused = open_image(str(folder / "img" / ".." / ".." / "articles2" / "a.jpg"), "x", allowed)
    assert isinstance(refused, m.Problem) and "is not in the articles folder" in refused.message
    pipe = open_image(str(folder / "pipe.jpg"), "pipe.jpg", allowed)  # would block a reader forever
    assert isinstance(pipe, m.Problem) and pipe.message == "image 'pipe.jpg' is not a file."
    assert "is not a file" in open_image(str(folder / "img"), "img", allowed).message


# ---- 2. URLs from outside: only web addresses become links ---------------------------------------------


def publish_job_finish(publish_id: str, url: str) -> str:
    return ("<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]>"
            f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo><publish_id>{publish_id}</publish_id>"
            "<publish_status>0</publish_status><article_id><![CDATA[A1]]></article_id><article_detail><count>1"
            f"</count><item><idx>1</idx><article_url><![CDATA[{url}]]></article_url></item></article_detail>"
            "</PublishEventInfo></xml>")


def test_a_javascript_url_from_a_webhook_event_is_never_a_link(service, page):
    """Issue 21, 2 (high): a signed PUBLISHJOBFINISH whose article_url was `javascript:…` (for a publish id
    wechat-pub submitted) was stored and shown on the issue page as a link that ran in the console's origin."""
    write_issue(service, 904)
    pushes = stores_at(state_url(service.folder)).pushes()
    pushes.draft_added(904, "articles/issue-904.md", "m904", "h", 1)
    pushes.publishing(904, "2247489040")
    params, body = signed_message(publish_job_finish("2247489040", "javascript:alert(document.domain)"), TOKEN)
    response = requests.post(f"{service.base}/wechat", params=params, data=body, timeout=10)
    assert response.status_code == 200 and response.text == "success"
    record = pushes.get(904)
    assert record.state == "published" and record.article_urls == []  # the event is taken, its bad URL is not
    sign_in(page, service.base, "editor2")
    page.goto(f"{service.base}/console/default/issues/904")
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs and not [href for href in hrefs if not href.startswith(("/", "?", "#", "http"))], hrefs


def test_the_issue_page_links_only_web_addresses_even_from_old_records(service, page):
    """Issue 21, 2: a URL stored before this check (or by any other way in) is printed as text, not as a link."""
    write_issue(service, 905)
    pushes = stores_at(state_url(service.folder)).pushes()
    pushes.draft_added(905, "articles/issue-905.md", "m905", "h", 1)
    pushes.published(905, ["JavaScript:alert(1)", "https://mp.weixin.qq.com/s/ok905"])
    sign_in(page, service.base, "editor2")
    page.goto(f"{service.base}/console/default/issues/905")
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    assert "https://mp.weixin.qq.com/s/ok905" in hrefs
    assert not [href for href in hrefs if "script" in href.lower()], hrefs
    assert "JavaScript:alert(1)" in page.inner_text("body")  # shown, as text


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:alert(1)",
                                 "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example/",
                                 "/console/users", "https:evil", "http://", "https://exa mple.com/", "",
                                 "https://mp.weixin.qq.com/s/\nx", None, 42,
                                 "http://127.0.0.1:8765\\@8.8.8.8/", "https://evil.example\\@mp.weixin.qq.com/s/x"])
def test_safe_link_refuses_everything_but_web_addresses(url):
    from wechat_pub.urls import safe_link

    assert safe_link(url) is None


def test_safe_link_keeps_web_addresses():
    from wechat_pub.urls import safe_link

    for url in ("https://mp.weixin.qq.com/s/abc", "http://127.0.0.1:8200/sandbox/articles/1", "HTTPS://Example.org",
                "https://例子.测试/路径", "https://user@Example.org:8443/p?q=1#f", "http://[::1]:80/a",
                "https://straße.de/x", "https://σίσυφος.gr/", "https://mp.weixin.qq.com/s?__biz=MzA&mid=1#rd"):
        assert safe_link(url) == url


def test_a_links_host_is_the_one_requests_connects_to():
    """The review (2026-12-06): the check read straße.de as Python's IDNA 2003 codec does (strasse.de, another
    host), requests and browsers as IDNA 2008 (xn--strae-oqa.de); such links were refused, or checked as another
    host than the one fetched."""
    from urllib3.util import parse_url

    from wechat_pub.urls import link_host

    for url in ("https://straße.de/x", "https://例子.测试/", "https://MP.weixin.qq.com/s/a", "http://[::1]:8/"):
        assert link_host(url) == parse_url(url).host.strip("[]").lower()
    assert link_host("https://straße.de/x") == "xn--strae-oqa.de"


def test_an_outside_link_is_never_kept_as_a_wechat_link():
    """is_wechat_link asked urlsplit, which reads 'https://evil.example\\@mp.weixin.qq.com/s/x' as a link to
    mp.weixin.qq.com; a browser opens evil.example. A bare URL on a Source: line keeps its backslash (a Markdown
    link's is percent-encoded), so the article's body kept <a href> to the outside host (security review,
    2026-12-06)."""
    import re

    from conftest import SEED_ARTICLE
    from wechat_pub.render.options import RenderOptions
    from wechat_pub.render.split import render_issue
    from wechat_pub.source.article import parse_article

    text = SEED_ARTICLE.read_text(encoding="utf-8")
    end = text.index("\n", text.index("On April 14, 2020"))
    text = (text[:end] + "\n\n" + r"Source: https://evil.example\\@mp.weixin.qq.com/s/abc"
            + "\n\nSource: https://mp.weixin.qq.com/s/kept" + text[end:])
    issue = parse_article(text, "/tmp/issue-135.md").issue
    html = "".join(article.content for article in render_issue(issue, RenderOptions()).articles)
    hrefs = re.findall(r'<a href="([^"]*)"', html)
    assert "https://mp.weixin.qq.com/s/kept" in hrefs and not [href for href in hrefs if "evil" in href], hrefs


def test_a_public_url_that_is_not_a_web_address_is_refused(tmp_path):
    from wechat_pub.config import load_config
    from wechat_pub.deployment import Deployment
    from wechat_pub.errors import ConfigError

    (tmp_path / "config.toml").write_text('[console]\npublic_url = "javascript:alert(1)//"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="console.public_url 'javascript:alert\\(1\\)//' is not a web address"):
        Deployment(load_config(tmp_path / "config.toml"))




def test_what_counts_as_a_wechat_link():
    """(Asked first by the host written in the URL, then read in full by both parsers.)"""
    from wechat_pub.render.references import is_wechat_link

    for url in ("https://mp.weixin.qq.com/s/abc", "HTTPS://MP.WEIXIN.QQ.COM/s/abc#rd", "http://mp.weixin.qq.com/s?x=1"):
        assert is_wechat_link(url), url
    for url in ("https://evil.example\\@mp.weixin.qq.com/s/x", "https://mp.weixin.qq.com.evil.example/s",
                "https://evil.example/?u=mp.weixin.qq.com", "javascript:mp.weixin.qq.com", None, "", 42):
        assert not is_wechat_link(url), url
