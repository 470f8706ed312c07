"""An unchanged re-push known without reading the issue (publish/unchanged.py): it answers exactly as the whole way
does, with one draft/get; and every change, doubt or failure sends the push the whole way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_push import write as write_issue

import wechat_pub
from conftest import jpeg_bytes, open_site, stores_at, use_database
from wechat_pub.publish import unchanged
from wechat_pub.publish.unchanged import _unchanged, unchanged_push
from wechat_pub.source.folder import LastSync, hash_text
from wechat_pub.state.direct import DirectReads


@pytest.fixture
def pushed(sandbox_dir, sandbox, database_url, run_cli):
    """The firm's folder (on SQLite, then PostgreSQL) with issue 140 pushed the whole way: its draft's media id."""
    use_database(sandbox_dir, database_url)
    folder = sandbox_dir / "articles"
    folder.mkdir()
    (folder / "chart.jpg").write_bytes(jpeg_bytes(400, 300, noise=True))
    write(sandbox_dir, 140)
    out = run_cli("push", "articles/issue-140.md").stdout
    assert "created draft" in out
    sandbox.reset_calls()
    return sandbox_dir


def write(folder: Path, number: int, body: str = "English body.") -> Path:
    path = write_issue(folder, number, images="\n\n![图表](chart.jpg)")
    path.write_text(path.read_text(encoding="utf-8").replace("English body.", body), encoding="utf-8")
    return path


def why_not(folder: Path, theme: str | None = None) -> str:
    """Why the re-push of issue 140 goes the whole way (fails the test when it does not)."""
    try:
        _unchanged(open_site(folder), "articles/issue-140.md", theme)
    except Exception as exc:
        return unchanged.reason(exc)
    pytest.fail("known to be unchanged")


def whole_way(monkeypatch) -> None:
    monkeypatch.setattr(unchanged, "unchanged_push", lambda *args: None)


def test_an_unchanged_repush_answers_as_the_whole_way_does_with_one_call(pushed, sandbox, run_cli, monkeypatch):
    outcome, sandbox_url = unchanged_push(open_site(pushed), "articles/issue-140.md")
    assert outcome.action == "unchanged" and sandbox_url == sandbox.url
    sandbox.reset_calls()
    quick = run_cli("push", "articles/issue-140.md").stdout
    assert sandbox.calls() == {"draft/get": 1}  # no token call, no upload
    whole_way(monkeypatch)
    assert run_cli("push", "articles/issue-140.md").stdout == quick
    assert "unchanged" in quick and "images: 0 uploaded, 3 from the upload cache" in quick  # chart, QR, cover


def test_a_changed_image_or_render_option_goes_the_whole_way(pushed, sandbox, run_cli):
    (pushed / "assets" / "qr-code.png").write_bytes(jpeg_bytes(200, 200, colour="#993366"))
    assert why_not(pushed) == "what the issue is made of changed"
    out = run_cli("push", "articles/issue-140.md").stdout
    assert "updated draft" in out and "1 uploaded" in out
    unchanged_push(open_site(pushed), "articles/issue-140.md")  # known again after that push
    assert why_not(pushed, theme="ink") == "what the issue is made of changed"
    config = pushed / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('author = "立方律师事务所"', 'author = "Another"'),
                      encoding="utf-8")
    assert why_not(pushed) == "what the issue is made of changed"
    assert "updated draft" in run_cli("push", "articles/issue-140.md").stdout


def test_a_replaced_image_of_the_folder_goes_the_whole_way_and_is_sent(pushed, sandbox, run_cli):
    (pushed / "articles" / "chart.jpg").write_bytes(jpeg_bytes(400, 300, colour="#993366"))  # the text unchanged
    assert why_not(pushed) == "what the issue is made of changed"
    out = run_cli("push", "articles/issue-140.md").stdout
    assert "updated draft" in out and "2 uploaded" in out  # the image, and the cover made from it
    assert unchanged_push(open_site(pushed), "articles/issue-140.md") is not None


def test_an_edit_of_the_article_goes_the_whole_way(pushed, run_cli):
    write(pushed, 140, body="English body, revised.")
    assert why_not(pushed) == "the folder changed since the last sync"
    assert "updated draft" in run_cli("push", "articles/issue-140.md").stdout
    assert unchanged_push(open_site(pushed), "articles/issue-140.md") is not None


def test_new_code_or_a_library_upgrade_renders_afresh(pushed):
    renderer = Path(wechat_pub.__file__).parent / "render" / "layout.py"
    before = os.stat(renderer)
    try:
        os.utime(renderer, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
        assert why_not(pushed) == "what the issue is made of changed"
    finally:
        os.utime(renderer, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert unchanged_push(open_site(pushed), "articles/issue-140.md") is not None
    assert set(unchanged.RENDERING_LIBRARIES) >= {"markdown_it", "css_inline", "yaml", "PIL"}


def test_a_change_in_the_database_goes_the_whole_way(pushed):
    site = open_site(pushed)
    row = site.library.row(140)
    text = row.text + "\n"
    site.library.store.save(140, row.filename, text, hash_text(text), True, [], None, "", "", "console",
                            row.version)  # edited on another host
    assert why_not(pushed) == "the database changed since the last sync"


def test_a_draft_edited_in_wechat_goes_the_whole_way_which_says_so(pushed, sandbox, run_cli):
    [draft] = sandbox.state.drafts()[1]
    articles = draft["articles"]
    articles[0]["content"] = articles[0]["content"].replace("English body.", "Edited in WeChat.")
    sandbox.state.update_draft(draft["media_id"], articles)
    assert why_not(pushed) == "the draft was edited in WeChat"
    assert "edited in WeChat since the last push" in run_cli("push", "articles/issue-140.md").stdout


def test_a_deleted_draft_or_a_stale_token_goes_the_whole_way(pushed, sandbox, run_cli):
    stores = stores_at(open_site(pushed).deployment.database_url)
    with stores.db.begin() as conn:
        conn.exec_driver_sql("UPDATE tokens SET value = replace(value, '\"expires_at\": ', '\"expires_at\": -')")
    assert why_not(pushed) == "no fresh access token kept"
    run_cli("push", "articles/issue-140.md")  # refreshes it
    [draft] = sandbox.state.drafts()[1]
    sandbox.state.delete_draft(draft["media_id"])
    assert why_not(pushed).startswith("CallFailed: errcode 40007")
    out = run_cli("push", "articles/issue-140.md").stdout
    assert "is gone (deleted or published in WeChat); a new draft was created" in out


def test_a_second_file_with_the_number_goes_the_whole_way_and_is_refused(pushed, run_cli):
    write(pushed, 140).rename(pushed / "articles" / "copy-140.md")
    write(pushed, 140)
    run_cli("status")  # a sync that sees both: nothing to keep
    assert not open_site(pushed).last_sync_path.exists()
    assert why_not(pushed) == "no issue number of its own"
    assert "issue 140 is in two files" in run_cli("push", "articles/issue-140.md", expect=1).stderr


def test_a_published_issue_or_a_draft_add_in_flight_goes_the_whole_way(pushed):
    ledger = stores_at(open_site(pushed).deployment.database_url).pushes()
    ledger.adding_draft(140, "articles/issue-140.md", "wx_sandbox:140:abc", "pending")
    assert why_not(pushed).startswith("no draft of it in the ledger")
    ledger.add_abandoned(140)
    assert unchanged_push(open_site(pushed), "articles/issue-140.md") is not None
    ledger.publishing(140, "1")
    assert why_not(pushed).startswith("no draft of it in the ledger")


def test_no_sandbox_or_a_proxy_goes_the_whole_way(pushed, sandbox, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert why_not(pushed) == "CallFailed: a proxy is configured"
    monkeypatch.delenv("HTTPS_PROXY")
    sandbox.running.stop()
    assert why_not(pushed).startswith("CallFailed: ConnectionRefusedError")


def test_last_sync_is_kept_only_when_folder_and_database_agree(pushed, run_cli):
    site = open_site(pushed)
    last = LastSync.load(site.last_sync_path)
    assert last == LastSync(site.articles.signature(), site.library.store.revision())
    (pushed / "articles" / "notes.md").write_text("no front matter\n", encoding="utf-8")
    run_cli("status")  # a file without an issue number: the sync reports it every time
    assert not site.last_sync_path.exists()
    (pushed / "articles" / "notes.md").unlink()
    run_cli("status")
    assert LastSync.load(site.last_sync_path) == LastSync(site.articles.signature(), site.library.store.revision())


def test_direct_reads_agree_with_the_stores(pushed):
    site = open_site(pushed)
    stores = stores_at(site.deployment.database_url)
    record = stores.pushes().get(140)
    reads = DirectReads(site.deployment.database_url)
    try:
        assert reads.revision("wx_sandbox") == site.library.store.revision()
        assert reads.push("wx_sandbox", 140) == {name: getattr(record, name) for name in (
            "state", "marker", "draft_media_id", "content_hash", "wechat_hash", "article_count", "receipt")}
        key = "wx_sandbox_access_token"
        assert reads.token(key, site.clock.time()) == stores.tokens.get(key) and reads.token(key, 0)["token"]
        assert reads.push("wx_sandbox", 999) is None and reads.token("nobody", 0) is None
    finally:
        reads.close()
    receipt = json.loads(record.receipt)
    assert receipt["content"] == record.content_hash and receipt["cached"] == 3 and receipt["articles"] == 1
    assert sorted(os.path.basename(p) for p in receipt["inputs"]) == ["chart.jpg", "qr-code.png"]


def test_the_token_kept_in_redis_serves_as_well(pushed, sandbox, redis_url, run_cli, monkeypatch):
    from wechat_pub.state.redis import redis_client

    monkeypatch.setenv("WECHAT_PUB_STATE__REDIS_URL", redis_url)
    redis_client(redis_url).delete("wechat_pub:wx_sandbox_access_token")  # (another test's sandbox's)
    assert why_not(pushed) == "no fresh access token kept"
    run_cli("push", "articles/issue-140.md")  # the whole way fetches one, into Redis
    sandbox.reset_calls()
    assert unchanged_push(open_site(pushed), "articles/issue-140.md") is not None
    assert sandbox.calls() == {"draft/get": 1}


HEAVY = ("sqlalchemy", "wechatpy", "requests", "markdown_it", "yaml", "PIL", "css_inline", "wechat_pub.render.article")


def test_an_unchanged_repush_loads_neither_the_pipeline_nor_the_state_layer(pushed, sandbox):
    """What makes it fast: a process that answers it imports none of these (checked in a process of its own)."""
    program = ("import sys\nfrom wechat_pub.cli import main\ntry:\n    main(['push', 'articles/issue-140.md'])\n"
               "except SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
               f"print(sorted(name for name in {HEAVY!r} if name in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", program], cwd=pushed, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "unchanged" in done.stdout and done.stdout.strip().endswith("[]"), done.stdout
    assert sandbox.calls() == {"draft/get": 1}
