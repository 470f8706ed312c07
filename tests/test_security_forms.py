"""Issue 21, the input half (continued): what a follower's query, an upload's name, a redirect target or a flood of
forged webhook requests can make wechat-pub write: spreadsheet formulas, files over other issues, redirects off the
console, log lines. Through the real service and the real webhook."""

from __future__ import annotations

import re

import pytest
import requests
from security_service import PASSWORD, TOKEN, service_fixture, signed_in  # noqa: F401 (service_fixture)
from test_console_browser import write_issue

from conftest import open_site, state_url, stores_at

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
    assert "Not saved: the text is issue 907, which is saved as issue-907.md, not as issue-906.md" \
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
    assert "issue-911.md exists: tick “replace it” to import over it." in response.text
    # what was read stays on the page, with the box to tick (a newcomer's finding: it had to be read again)
    assert response.status_code == 409 and 'name="replace"' in response.text and "issue: 911" in response.text
    assert "already gone out to followers" not in response.text
    open_site(service.folder).pushes.published(911, ["https://mp.weixin.qq.com/s/gone911"])
    assert "already gone out to followers" in import_save(session, service.base, 911, "issue-911.md").text
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


# ---- found in the review: backups, and what an editor's request can make the console answer -----------------


def test_two_replacements_within_one_second_keep_two_backups(tmp_path):
    from wechat_pub.source.importing import keep_backup

    target = tmp_path / "issue-913.md"
    kept = []
    for text in ("first", "second"):
        target.write_text(text, encoding="utf-8")
        kept.append(keep_backup(target, tmp_path))
    assert len(set(kept)) == 2 and sorted(p.read_text() for p in kept) == ["first", "second"]


def test_a_huge_issue_number_or_a_preview_of_a_list_is_a_clear_answer_not_a_crash(service):
    session = signed_in(service.base)
    assert session.get(f"{service.base}/console/default/issues/99999999999999999999999999", timeout=10).status_code == 404
    response = session.post(f"{service.base}/console/default/preview", json=["not", "an", "object"], timeout=10)
    assert response.status_code == 400 and "text" in response.json()["error"]
    response = session.post(f"{service.base}/console/default/import/save", timeout=10,
                            data={"text": seed_text(10**30), "filename": "x.md"})
    assert response.status_code < 500
