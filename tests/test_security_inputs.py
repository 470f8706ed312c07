"""Issue 21, the input half: what an editor, an article, a webhook event, a follower's query or an upload's name
can make wechat-pub read, link, write or redirect to. Through the real service (`wechat-pub run` as a process,
signed webhook requests, a signed-in editor) and, where a page is involved, a real browser."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest
import requests
from test_console_browser import PASSWORD, SandboxView, sign_in, start_console, write_issue

from conftest import jpeg_bytes, state_url, stores_at
from wechat_pub.bot.protocol import signed_message

TOKEN = "tok3nForTests"
NO_SUCH = "/etc/wechat-pub-no-such-file"

ARTICLE = """---
issue: {number}
date: 2026-12-02
title:
  zh: 周报
  en: Weekly
---

# 国内要闻 | Domestic News

## 中文标题
## English headline

中文正文。

{images}

---

English body.

Source: [Origin](https://example.org/a)
"""


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """`wechat-pub run` (console and webhook) in a folder of its own, with the sandbox for WeChat."""
    from wechat_pub.sandbox.server import start_in_thread
    from wechat_pub.sandbox.state import SandboxSettings

    folder = tmp_path_factory.mktemp("security")
    settings = SandboxSettings(db_path=str(folder / "sandbox.sqlite3"), publish_delay=0.3)
    sandbox = start_in_thread(settings)
    running = start_console(folder / "site", int(sandbox.url.rsplit(":", 1)[1]),
                            extra=f'[webhook]\ntoken = "{TOKEN}"\n')
    running.sandbox = SandboxView(sandbox, settings)
    yield running
    running.stop()
    sandbox.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Shanghai")
    yield context.new_page()
    context.close()


def signed_in(base: str, name: str = "editor2") -> requests.Session:
    """A session of the editor ``name`` (sent the CSRF token with every request, as the console's script does)."""
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/console/login").text).group(1)
    response = session.post(f"{base}/console/login", data={"csrf_token": token, "name": name, "password": PASSWORD},
                            timeout=10)
    assert response.url.endswith("/console/default/"), response.url
    session.headers["X-CSRFToken"] = re.search(r'name="csrf-token" content="([^"]+)"', response.text).group(1)
    return session


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
                                 "https://mp.weixin.qq.com/s/\nx", None, 42])
def test_safe_link_refuses_everything_but_web_addresses(url):
    from wechat_pub.urls import safe_link

    assert safe_link(url) is None


def test_safe_link_keeps_web_addresses():
    from wechat_pub.urls import safe_link

    for url in ("https://mp.weixin.qq.com/s/abc", "http://127.0.0.1:8200/sandbox/articles/1", "HTTPS://Example.org"):
        assert safe_link(url) == url


def test_a_public_url_that_is_not_a_web_address_is_refused(tmp_path):
    from wechat_pub.config import load_config
    from wechat_pub.deployment import Deployment
    from wechat_pub.errors import ConfigError

    (tmp_path / "config.toml").write_text('[console]\npublic_url = "javascript:alert(1)//"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="console.public_url 'javascript:alert\\(1\\)//' is not a web address"):
        Deployment(load_config(tmp_path / "config.toml"))


# ---- 5. CSV: no follower's query becomes a live formula -------------------------------------------------

FORMULAS = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\t=1+1",
            "\r=1+1", "＝1+1"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"])
def test_a_cell_that_could_start_a_formula_gets_a_leading_quote(start):
    from wechat_pub.console.followers import spreadsheet_cell

    assert spreadsheet_cell(f"{start}1+1") == f"'{start}1+1"


def test_plain_cells_are_left_alone():
    from wechat_pub.console.followers import spreadsheet_cell

    for value, cell in (("个人信息", "个人信息"), ("GDPR", "GDPR"), (3, "3"), ("a=b", "a=b"), ("", "")):
        assert spreadsheet_cell(value) == cell


def test_the_followers_csv_has_no_formula(service, tmp_path):
    """Issue 21, 5: followers' queries starting with =, +, -, @ (or a tab or CR) were written as live formulas."""
    import csv
    import io

    log = stores_at(state_url(service.folder)).query_log(spool_folder=tmp_path)
    for query in FORMULAS:
        log.add(query, 0, "f0llower")
    log.flush()
    response = signed_in(service.base).get(f"{service.base}/console/default/followers.csv?days=7", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    queries = [row[1] for row in rows[1:]]
    assert sorted(queries) == sorted("'" + query for query in FORMULAS)
    for row in rows[1:]:
        assert not [cell for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r", "＝")], row


# ---- 6. file names: an imported issue is saved under its own number, never over another issue ----------------


def seed_text(number: int) -> str:
    from conftest import SEED_ARTICLE

    return SEED_ARTICLE.read_text(encoding="utf-8").replace("issue: 135", f"issue: {number}")


def import_save(session: requests.Session, base: str, number: int, filename: str, replace: bool = False):
    data = {"text": seed_text(number), "filename": filename, **({"replace": "1"} if replace else {})}
    return session.post(f"{base}/console/default/import/save", data=data, timeout=30)


def test_import_save_never_writes_over_another_issue(service):
    """Issue 21, 6: `import/save` with filename=issue-135.md and the text of issue 993 overwrote issue 135's file,
    with no backup; the next push of 135 made a draft of 993."""
    articles = service.folder / "articles"
    write_issue(service, 906)
    before = (articles / "issue-906.md").read_text(encoding="utf-8")
    session = signed_in(service.base)
    response = import_save(session, service.base, 907, "issue-906.md")
    assert "Not saved: the text is issue 907, which is saved as issue-907.md, not as &#39;issue-906.md&#39;" \
        in response.text
    assert (articles / "issue-906.md").read_text(encoding="utf-8") == before
    assert not (articles / "issue-907.md").exists()
    # a file of that name holding another issue: refused, with the reason
    (articles / "issue-909.md").write_text(seed_text(910), encoding="utf-8")
    response = import_save(session, service.base, 909, "")
    assert "Not saved: issue-909.md holds issue 910, and this text is issue 909." in response.text
    assert "issue: 910" in (articles / "issue-909.md").read_text(encoding="utf-8")


def test_import_save_makes_the_name_from_the_number(service):
    """Issue 21, 6: names like `"><img …>.md` and `....md` never reach the disk; the issue's own name does."""
    articles = service.folder / "articles"
    session = signed_in(service.base)
    for hostile in ('"><img src=x onerror=alert(1)>.md', "....md", "../../state/x.md", ".preview-1.md"):
        response = import_save(session, service.base, 908, hostile)
        assert "Not saved: the text is issue 908, which is saved as issue-908.md" in response.text, hostile
        assert "<img src=x" not in response.text
    assert not (articles / "issue-908.md").exists()
    response = import_save(session, service.base, 908, "issue-908.md")
    assert response.url.endswith("/console/default/issues/908/edit") and "Imported as issue-908.md" in response.text
    names = sorted(path.name for path in articles.iterdir() if path.suffix == ".md")
    assert all(re.fullmatch(r"issue-\d{3,}\.md", name) for name in names), names


def test_import_save_over_the_same_issue_keeps_a_backup(service):
    """Issue 21, 6: replacing the same issue asks first, and keeps the file it replaces (as `import --force`)."""
    articles = service.folder / "articles"
    write_issue(service, 911)
    (articles / "issue-911.md").write_text(seed_text(911).replace("date: ", "digest: kept by hand\ndate: ", 1),
                                           encoding="utf-8")
    session = signed_in(service.base)
    response = import_save(session, service.base, 911, "issue-911.md")
    assert "issue-911.md exists: tick &#39;replace it&#39; to import over it." in response.text
    response = import_save(session, service.base, 911, "issue-911.md", replace=True)
    assert "The file it replaced is kept as issue-911." in response.text and "carried over: digest" in response.text
    [backup] = (articles / ".backups").glob("issue-911.*.md")
    assert "digest: kept by hand" in backup.read_text(encoding="utf-8")


def test_the_library_saves_only_plain_article_names(tmp_path):
    """Issue 21, 6: the last line of defence, whoever calls it."""
    from conftest import firm_config, open_site
    from wechat_pub.errors import ArticleError

    firm_config(tmp_path)
    library = open_site(tmp_path).library
    for name in ('"><img src=x>.md', "....md", "../x.md", "a/b.md", ".hidden.md", "x.txt"):
        with pytest.raises(ArticleError, match="is not an article file name"):
            library.save(name, seed_text(912), None, "editor2")
    assert not list(tmp_path.rglob("*.md"))


def test_cli_import_force_never_writes_over_another_issue(firm_dir, run_cli):
    """Issue 21, 6: not even `import --force` replaces a file that holds another issue."""
    from conftest import SEED

    (firm_dir / "articles").mkdir()
    (firm_dir / "articles" / "issue-135.md").write_text(seed_text(993), encoding="utf-8")
    out = run_cli("import", SEED, "--force", expect=1)
    assert "holds issue 993, not issue 135" in out.stdout + out.stderr
    assert "issue: 993" in (firm_dir / "articles" / "issue-135.md").read_text(encoding="utf-8")


# ---- 8. redirects stay on the console; refused webhook requests cannot fill the log ---------------------------

OFF_CONSOLE = ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "/console//evil.example",
               "/console/\\\\evil.example", "/console/x\r\nSet-Cookie: a=b", "/console/\nx", "/console/../healthz",
               "/console/%2e%2e/healthz", "/console/a/%2E%2E/%2e%2e/x", "javascript:alert(1)", "/consolex",
               "/healthz", "", "http:/console/", "\t/console/"]


@pytest.mark.parametrize("target", OFF_CONSOLE + [None])
def test_console_target_refuses_anything_off_the_console(target):
    from wechat_pub.urls import console_target

    assert console_target(target) is None


def test_console_target_keeps_console_paths():
    from wechat_pub.urls import console_target

    for target in ("/console/", "/console/default/calendar?month=2026-12", "/console/default/issues/135?x=a%20b"):
        assert console_target(target) == target


def login_with_next(base: str, target: str) -> requests.Response:
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/console/login").text).group(1)
    return session.post(f"{base}/console/login", params={"next": target}, allow_redirects=False, timeout=10,
                        data={"csrf_token": token, "name": "editor2", "password": PASSWORD})


def test_sign_in_sends_back_only_to_the_console(service):
    """Issue 21, 8: a `next=` off the console (or with CR/LF, which answered 200) leads to the console's home."""
    for target in ("https://evil.example/x", "//evil.example", "/console/x\r\nSet-Cookie: a=b", "/\\evil.example",
                   "/console/../healthz"):
        response = login_with_next(service.base, target)
        assert response.status_code == 302 and response.headers["Location"] == "/console/", (target, response.headers)
    response = login_with_next(service.base, "/console/default/calendar?month=2026-12")
    assert response.headers["Location"] == "/console/default/calendar?month=2026-12"


def test_the_schedule_form_sends_back_only_to_the_console(service):
    """Issue 21, 8: the schedule form's `back` field redirected off-site (302 https://evil.example/…)."""
    write_issue(service, 913)
    session = signed_in(service.base)
    session.get(f"{service.base}/console/default/", timeout=30)  # the folder's new file, synced
    for back in ("https://evil.example/x", "//evil.example/x", "/console/x\r\nSet-Cookie: a=b"):
        response = session.post(f"{service.base}/console/default/issues/913/schedule", data={"at": "", "back": back},
                                allow_redirects=False, timeout=30)
        assert response.status_code == 302 and response.headers["Location"] == "/console/default/issues/913", back
    response = session.post(f"{service.base}/console/default/issues/913/schedule", allow_redirects=False, timeout=30,
                            data={"at": "", "back": "/console/default/calendar?month=2026-12"})
    assert response.headers["Location"] == "/console/default/calendar?month=2026-12"


def test_refused_webhook_requests_are_logged_once_a_minute_per_address(firm_dir, monkeypatch, caplog, fake_clock):
    """Issue 21, 8: every refused webhook request wrote two log lines (2,000 forged posts: 533 KB of log). Now one
    line a minute per address, over the real development server, and the next says how many were not logged."""
    import logging
    import threading

    from werkzeug.serving import make_server

    from wechat_pub.app import create_app
    from wechat_pub.config import load_config
    from wechat_pub.deployment import Deployment

    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", TOKEN)
    app = create_app(deployment=Deployment(load_config(firm_dir / "config.toml"), clock=fake_clock.clock))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/wechat"
    caplog.set_level(logging.INFO)
    try:
        for attempt in range(30):
            params = {"signature": "0" * 40, "timestamp": str(int(fake_clock.now)), "nonce": str(attempt)}
            assert requests.post(url, params=params, data=b"<xml/>", timeout=10).status_code == 403
        assert requests.post(url, data=b"x" * 100_000, timeout=10).status_code == 413
        fake_clock.advance(61)
        assert requests.post(url, params={"signature": "1" * 40}, data=b"<xml/>", timeout=10).status_code == 403
    finally:
        server.shutdown()
    lines = [r.getMessage() for r in caplog.records if "/wechat" in r.getMessage() or "webhook request" in
             r.getMessage()]
    assert len(lines) == 2, lines
    assert lines[0].startswith("refused a webhook request from 127.0.0.1 (403 ")
    assert "30 more refused from it since the last line, not logged" in lines[1]


def test_the_refusal_log_counts_per_address(fake_clock, caplog):
    import logging

    from wechat_pub.bot.refusals import RefusalLog

    refusals = RefusalLog(fake_clock.clock, logger=logging.getLogger("test.refusals"))
    caplog.set_level(logging.INFO, "test.refusals")
    for _ in range(100):
        refusals.refused("10.0.0.1", 403, "bad signature")
    refusals.refused("10.0.0.2", 403, "bad signature")
    fake_clock.advance(59)
    refusals.refused("10.0.0.1", 403, "bad signature")
    fake_clock.advance(2)
    refusals.refused("10.0.0.1", 400, "malformed XML")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3 and "10.0.0.2" in messages[1]
    assert "10.0.0.1 (400 malformed XML); 100 more refused from it since the last line" in messages[2]
