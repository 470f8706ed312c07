"""Pushing issues into the sandbox's draft box through the real command: exactly once, with images and cover."""

from __future__ import annotations

import io
import json
import re
import shutil

import pytest
from PIL import Image

from conftest import EXAMPLE, SEED_ARTICLE, jpeg_bytes, open_site, state_url, stores_at, use_database

ARTICLE = """---
issue: {number}
date: 2026-12-02
title:
  zh: 数据合规周报
  en: Weekly Data Review
{extra}---

# 国内要闻 | Domestic News

## 第一条
## First item

中文正文。{images}

---

English body.

Source: [Origin](https://example.org/a)
"""


def write(folder, number=140, extra="", images="", name=None):
    path = folder / "articles" / (name or f"issue-{number}.md")
    path.parent.mkdir(exist_ok=True)
    path.write_text(ARTICLE.format(number=number, extra=extra, images=images), encoding="utf-8")
    return path


@pytest.fixture
def stored_dir(sandbox_dir, database_url):
    """The firm's folder on the state database under test (SQLite, then PostgreSQL): push records."""
    use_database(sandbox_dir, database_url)
    return sandbox_dir


def draft_ids(sandbox) -> list[str]:
    return [d["media_id"] for d in sandbox.state.drafts(0, 100)[1]]


def pushed_media_id(output: str) -> str:
    return re.search(r"draft ([A-Za-z0-9_-]{20,})", output).group(1)


def test_seed_issue_lands_in_the_draft_box(sandbox_dir, sandbox, run_cli):
    (sandbox_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles" / "135.md")
    out = run_cli("push", "articles/135.md").stdout
    media_id = pushed_media_id(out)
    assert "issue 135 → the sandbox: created draft" in out
    assert f"draft page: {sandbox.url}/sandbox/drafts/{media_id}" in out
    [draft] = sandbox.state.drafts()[1]
    [article] = draft["articles"]
    assert article["title"] == "立方网络安全与数据合规周报｜第135期" and article["author"] == "立方律师事务所"
    assert "苹果和谷歌联手开发新型冠状病毒肺炎接触者追踪技术" in article["content"]
    assert "Apple and Google Partner on COVID-19 Contact Tracing Technology" in article["content"]
    assert article["pic_crop_1_1"] == "0.287222_0_0.712778_1"  # the generated cover's share-card square
    cover = sandbox.state.media(article["thumb_media_id"])
    assert cover["kind"] == "image" and bytes(cover["data"])[:3] == b"\xff\xd8\xff"
    assert Image.open(io.BytesIO(bytes(cover["data"]))).size == (900, 383)


def test_status_says_when_in_the_publishers_time_zone(sandbox_dir, sandbox, run_cli, fake_clock):
    """A newcomer's finding (2026-12-06): `status` gave the server's time (UTC here) without a zone, where every
    other command and the console give the publisher's (Asia/Shanghai)."""
    import os
    import time

    (sandbox_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles" / "135.md")
    run_cli("push", "articles/135.md", clock=fake_clock)  # 2027-01-15 08:00 UTC
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"  # a server's usual zone
    time.tzset()
    try:
        status = run_cli("status", clock=fake_clock).stdout
    finally:
        os.environ.pop("TZ") if before is None else os.environ.update(TZ=before)
        time.tzset()
    assert "article(s)), 2027-01-15 16:00" in status, status


def test_repush_unchanged_uploads_nothing_and_makes_one_draft_call(sandbox_dir, sandbox, run_cli):
    (sandbox_dir / "articles").mkdir()
    (sandbox_dir / "articles" / "chart.jpg").write_bytes(jpeg_bytes(400, 300, noise=True))
    path = write(sandbox_dir, images="\n\n![图表](chart.jpg)")
    run_cli("push", path)
    sandbox.reset_calls()
    out = run_cli("push", path).stdout
    assert "unchanged" in out and "images: 0 uploaded, 3 from the upload cache" in out  # chart, QR code, cover
    calls = sandbox.calls()
    assert {k: v for k, v in calls.items() if k.startswith(("media", "material", "draft"))} == {"draft/get": 1}
    assert len(draft_ids(sandbox)) == 1


def test_changed_issue_updates_its_draft(stored_dir, sandbox, run_cli):
    path = write(stored_dir)
    first = pushed_media_id(run_cli("push", path).stdout)
    path.write_text(path.read_text().replace("English body.", "English body, revised."))
    out = run_cli("push", path).stdout
    assert f"updated draft {first}" in out
    assert draft_ids(sandbox) == [first]
    assert "English body, revised." in sandbox.state.draft(first)["articles"][0]["content"]


def test_deleted_draft_is_recreated_and_said_so(sandbox_dir, sandbox, run_cli):
    path = write(sandbox_dir)
    first = pushed_media_id(run_cli("push", path).stdout)
    sandbox.state.delete_draft(first)  # someone deleted it in mp.weixin.qq.com
    path.write_text(path.read_text().replace("English body.", "English body, again."))
    out = run_cli("push", path).stdout
    assert f"the old draft {first} is gone (deleted or published in WeChat); a new draft was created" in out
    assert len(draft_ids(sandbox)) == 1 and draft_ids(sandbox) != [first]


def test_split_issue_becomes_a_multi_article_draft_and_replaces_on_count_change(sandbox_dir, sandbox, run_cli):
    from wechat_pub.source.writer import write_article
    from wechat_pub.synthetic import IssueFactory

    (sandbox_dir / "articles").mkdir()
    big = sandbox_dir / "articles" / "big.md"
    big.write_text(write_article(IssueFactory(2).issue(number=150, sections=3, items_per_section=5)))
    out = run_cli("push", big).stdout
    first = pushed_media_id(out)
    articles = sandbox.state.draft(first)["articles"]
    assert len(articles) == 3 and len({a["title"] for a in articles}) == 3
    big.write_text(write_article(IssueFactory(2).issue(number=150, sections=4, items_per_section=5)))
    out = run_cli("push", big).stdout
    [second] = draft_ids(sandbox)
    count = len(sandbox.state.draft(second)["articles"])
    assert f"the number of articles changed (3 → {count})" in out and count > 3
    assert second != first


def test_images_are_uploaded_once_and_made_acceptable(sandbox_dir, sandbox, run_cli):
    folder = sandbox_dir / "articles"
    folder.mkdir()
    Image.effect_noise((1500, 1200), 100).convert("RGB").save(folder / "big.png")  # over 1 MB
    Image.new("RGBA", (300, 200), (0, 0, 0, 0)).save(folder / "clear.png")
    Image.new("RGB", (200, 100), "#cc3366").save(folder / "anim.gif")
    images = "\n\n![大图](big.png)\n\n![透明](clear.png)\n\n![动图](anim.gif)\n\n![再一次](big.png)"
    path = write(sandbox_dir, images=images)
    out = run_cli("push", path).stdout
    assert "images: 5 uploaded" in out  # 3 body images (one used twice), the footer's QR code, the first as cover
    media = sandbox.state.connection().execute("SELECT kind, mime, length(data) AS size FROM media").fetchall()
    body = [m for m in media if m["kind"] == "uploadimg"]
    assert len(body) == 4 and all(m["size"] < 1024 * 1024 and m["mime"] in ("image/jpeg", "image/png") for m in body)
    # the same image in another issue is not uploaded again
    other = write(sandbox_dir, number=141, images="\n\n![大图](big.png)")
    out = run_cli("push", other).stdout
    assert "images: 0 uploaded, 3 from the upload cache" in out  # body image, QR code, cover (the first image)
    content = sandbox.state.drafts()[1][0]["articles"][0]["content"]
    assert "mmbiz.qpic.cn" in content and "big.png" not in content and 'data-w="' in content


def test_cover_from_front_matter(sandbox_dir, sandbox, run_cli):
    (sandbox_dir / "articles").mkdir()
    (sandbox_dir / "articles" / "cover.jpg").write_bytes(jpeg_bytes(900, 500, "#224466"))
    path = write(sandbox_dir, extra="cover: cover.jpg\n")
    assert "cover: front matter" in run_cli("push", path).stdout
    article = sandbox.state.drafts()[1][0]["articles"][0]
    assert Image.open(io.BytesIO(bytes(sandbox.state.media(article["thumb_media_id"])["data"]))).size == (900, 500)
    assert article["pic_crop_1_1"] == ""


def test_publish_records_the_article_urls(stored_dir, sandbox, run_cli):
    path = write(stored_dir)
    out = run_cli("push", path, "--publish").stdout
    assert re.search(r"publish job \d+: http://127\.0\.0\.1:\d+/sandbox/articles/", out)
    status = run_cli("status").stdout
    assert "published" in status and "/sandbox/articles/" in status
    assert draft_ids(sandbox) == []
    # unchanged after publishing: nothing to do
    assert "already published" in run_cli("push", path, "--publish").stdout


def test_unverified_account_keeps_the_draft_and_says_why(sandbox_dir, sandbox, run_cli):
    sandbox.settings.verified = False
    path = write(sandbox_dir)
    err = run_cli("push", path, "--publish", expect=3).stderr
    assert "errcode 48001" in err and "drafts still work" in err
    assert len(draft_ids(sandbox)) == 1
    status = run_cli("status").stdout
    assert "draft" in status and "48001" in status


def test_status_lists_every_issue(sandbox_dir, sandbox, run_cli):
    write(sandbox_dir, 140)
    pushed = write(sandbox_dir, 141)
    (sandbox_dir / "articles" / "broken.md").write_text("---\nissue: x\n---\n")
    run_cli("push", pushed)
    out = run_cli("status").stdout
    assert re.search(r"140  not pushed\s+articles/issue-140\.md", out)
    assert re.search(r"141  draft\s+articles/issue-141\.md\n\s+draft [\w-]+ \(1 article\(s\)\)", out)
    assert re.search(r"\?  invalid\s+articles/broken\.md\n\s+3 error\(s\): run wechat-pub check", out)


def test_push_records_history_without_secrets(stored_dir, sandbox, run_cli, database_url):
    path = write(stored_dir)
    run_cli("push", path)
    stores = stores_at(state_url(stored_dir))
    events = [entry.event for entry in stores.pushes().history(140)]
    assert events == ["draft-added"]
    with stores.db.connect() as conn:  # no secret anywhere in the database
        for table in ("tokens", "pushes", "history", "uploads"):
            rows = conn.exec_driver_sql(f"SELECT * FROM {table}").all()
            assert "sandbox-secret" not in repr(rows)


def test_example_article_pushes(sandbox_dir, sandbox, run_cli, tmp_path):
    shutil.copytree(EXAMPLE.parent, sandbox_dir / "articles")
    out = run_cli("push", "articles/issue-136.md").stdout
    assert "cover: front matter" in out
    content = sandbox.state.drafts()[1][0]["articles"][0]["content"]
    assert '<a href="https://mp.weixin.qq.com/s/example-lifang-135"' in content


def test_with_credentials_the_same_push_talks_to_the_configured_api_and_logs_no_secret(firm_dir, sandbox, run_cli,
                                                                                        monkeypatch, caplog):
    """Credentials set: no sandbox is started; the API at wechat.base_url is used (here the sandbox's, as a
    stand-in for api.weixin.qq.com). With -v every HTTP call is logged, and still no secret or token."""
    monkeypatch.setenv("WECHAT_PUB_WECHAT__APPID", "wx_sandbox")
    monkeypatch.setenv("WECHAT_PUB_WECHAT__SECRET", "sandbox-secret")
    monkeypatch.setenv("WECHAT_PUB_WECHAT__BASE_URL", sandbox.api_base)
    monkeypatch.setenv("WECHAT_PUB_WECHAT__TOKEN_MODE", "token")  # the old API: the secret rides in the URL
    path = write(firm_dir)
    caplog.set_level("DEBUG")
    result = run_cli("-v", "push", path)
    logged = result.stderr + caplog.text
    assert "issue 140 → account wx_sandbox: created draft" in result.stdout and "draft page" not in result.stdout
    assert "GET /cgi-bin/token?grant_type=client_credential" in logged  # the calls are there…
    assert "sandbox-secret" not in logged  # …their secrets are not
    token = stores_at(state_url(firm_dir)).tokens.get("wx_sandbox_access_token")["token"]
    assert token not in logged and "access_token=***" in logged


def test_sandbox_fault_option(tmp_path):
    from wechat_pub.sandbox.faults import parse_fault

    assert parse_fault("draft/add=busy:2") == ("draft/add", "busy", 2)
    assert parse_fault("media/uploadimg=errcode:40164") == ("media/uploadimg", "errcode:40164", 1)
    from wechat_pub.errors import UsageError

    with pytest.raises(UsageError, match="write ENDPOINT=KIND"):
        parse_fault("busy")


def test_content_too_long_for_wechat_names_the_article(sandbox_dir, sandbox, run_cli):
    """WeChat may count stricter than we do; its 45002 then names the article to shorten."""
    sandbox.fault("draft/add", "errcode:45002")
    err = run_cli("push", write(sandbox_dir), expect=3).stderr
    assert "article 1 of 1, '数据合规周报｜第140期', has" in err and "errcode 45002" in err
    assert "shorten the item it names" in err
    assert "45002" in run_cli("status").stdout


def test_push_reports_what_wechat_changed_and_keeps_it_with_the_record(sandbox_dir, sandbox, run_cli):
    """WeChat's editor swallows a pure-black colour (reference/wechat-html.md §1.3); the sandbox does the same,
    and the read-back after draft/add finds it: `push` says so, and the push record keeps it."""
    config = sandbox_dir / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace("[theme]\n", '[theme]\naccent = "#000000"\n'),
                      encoding="utf-8")
    (sandbox_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles" / "135.md")
    out = run_cli("push", "articles/135.md").stdout
    assert "WeChat changed what was sent" in out
    assert "article 1: 14 style(s) color:#000000 removed" in out  # the accent: headings, numbers, marks
    [event] = [e for e in open_site(sandbox_dir).pushes.history(135) if e.event == "draft-read-back"]
    assert "color:#000000 removed" in event.detail


def test_render_shows_what_a_push_sends_and_no_path_of_this_machine(sandbox_dir, sandbox, run_cli):
    """Issue 20: `render --json` printed every image (the QR code too) as an absolute path of this machine."""
    shutil.copytree(EXAMPLE.parent, sandbox_dir / "articles")
    before = run_cli("render", "articles/issue-136.md", "--json")
    content = json.loads(before.stdout)["articles"][0]["content"]
    assert str(sandbox_dir) not in before.stdout and str(sandbox_dir) not in before.stderr
    assert 'src="wechat-pub-upload:images/fines-2020.png"' in content
    assert 'src="wechat-pub-upload:../assets/qr-code.png"' in content
    assert "2 image(s): 0 already uploaded to WeChat, 2 a push would upload" in before.stderr
    run_cli("push", "articles/issue-136.md")
    after = run_cli("render", "articles/issue-136.md", "--json")
    pushed = sandbox.state.drafts()[1][0]["articles"][0]["content"]
    uploaded = re.findall(r'<img[^>]* src="([^"]+)"', pushed)
    assert len(uploaded) == 2 and json.loads(after.stdout)["articles"][0]["content"].count("<img") == 2
    for url in uploaded:  # the addresses the draft has, from the account's upload cache
        assert f'src="{url}"' in json.loads(after.stdout)["articles"][0]["content"]
    assert "2 already uploaded to WeChat, 0 a push would upload" in after.stderr


def test_the_preview_names_a_missing_image_without_a_path_of_this_machine(sandbox_dir, run_cli):
    shutil.copytree(EXAMPLE.parent, sandbox_dir / "articles")
    (sandbox_dir / "assets" / "qr-code.png").unlink()
    (sandbox_dir / "articles" / "images" / "fines-2020.png").write_bytes(b"not an image")
    run_cli("preview", "articles/issue-136.md", "-o", "preview.html")
    page = (sandbox_dir / "preview.html").read_text(encoding="utf-8")
    assert str(sandbox_dir) not in page
    assert 'src="wechat-pub-upload:images/fines-2020.png"' in page


def test_the_image_uploader_returns_what_it_used(sandbox_dir, sandbox):
    from wechat_pub.publish.uploader import ImageUploader
    from wechat_pub.source.article import read_article

    (sandbox_dir / "articles").mkdir()
    (sandbox_dir / "articles" / "cover.jpg").write_bytes(jpeg_bytes(900, 500, "#224466"))
    issue = read_article(write(sandbox_dir, extra="cover: cover.jpg\n", images="\n\n![图](cover.jpg)")).issue
    site = open_site(sandbox_dir)
    account = site.connect()
    try:
        uploader = ImageUploader(account.api, site.uploads, site.render_options(), site.brand)
        first, again = uploader.upload(issue), uploader.upload(issue)
    finally:
        account.close()
    assert "cover.jpg" in first.images and all(ref.url.startswith("http") for ref in first.images.values())
    assert first.cover_source == "front matter" and first.cover_url and first.cover["thumb_media_id"]
    assert (first.uploaded, first.cached) == (len(first.images) + 1, 0)  # each body image, and the cover
    assert (again.uploaded, again.cached) == (0, first.uploaded)  # the second time: all from the upload cache
    assert (again.images, again.cover, again.cover_url) == (first.images, first.cover, first.cover_url)
