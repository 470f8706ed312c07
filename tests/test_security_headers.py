"""Issue 21, deliverable 4: every console response carries the security headers (a strict CSP, no framing, no
sniffing, same-origin referrers; HSTS behind HTTPS), pages and error pages alike, through the real server.
The browser half (no CSP violation in the console's flows, no framing by another origin, an injected script
does not run) is in tests/test_console_browser.py."""

from __future__ import annotations

import re
import shutil

import pytest
import requests
from security_server import Console

from conftest import ROOT, SEED_ARTICLE


@pytest.fixture
def console(tmp_path, fake_clock, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "tok3n")
    running = Console(tmp_path / "site", f"sqlite:///{tmp_path / 'site' / 'state' / 'state.sqlite3'}",
                      fake_clock.clock)

    def fail():
        raise RuntimeError("a bug in a console page")

    running.app.add_url_rule("/console/boom", "boom", fail)  # stands in for any page that fails
    shutil.copy(SEED_ARTICLE, running.folder / "articles")
    yield running
    running.stop()


PAGES = ["/console/login", "/console/default/", "/console/default/issues/135", "/console/default/issues/135/edit",
         "/console/default/import", "/console/default/calendar", "/console/default/followers",
         "/console/default/followers.csv", "/console/users", "/console/audit", "/console/static/console.js",
         "/console/static/console.css"]


def policy_of(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def assert_protected(response, editor: bool = False) -> None:
    where = f"{response.request.method} {response.url} ({response.status_code})"
    policy = policy_of(response)
    assert policy, f"no Content-Security-Policy on {where}"
    assert policy["script-src"] == "'self'", where  # no inline script, no inline handler, nothing from elsewhere
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'", where
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'", where
    assert policy["frame-src"] == "'self'" and policy["default-src"] == "'self'", where
    assert policy["img-src"] == "'self' data:", where
    assert policy["style-src"] == ("'self' 'unsafe-inline'" if editor else "'self'"), where
    assert response.headers["X-Frame-Options"] == "DENY", where
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    assert response.headers["Referrer-Policy"] == "same-origin", where
    assert "Strict-Transport-Security" not in response.headers, where  # plain HTTP: no HSTS


def test_every_console_page_carries_the_security_headers(console):
    admin = console.sign_in("admin1")
    for path in PAGES:
        response = admin.get(console.base + path, allow_redirects=False, timeout=10)
        assert response.status_code == 200, (path, response.status_code)
        assert_protected(response, editor=path.endswith("/edit"))
    assert_protected(requests.get(f"{console.base}/console/default/", allow_redirects=False, timeout=10))  # 302
    refused = admin.post(f"{console.base}/console/users", data={"name": "x"}, timeout=10)  # no CSRF token
    assert refused.status_code == 400
    assert_protected(refused)


def test_error_pages_carry_them_too(console):
    editor = console.sign_in("editor1")
    forbidden = editor.get(f"{console.base}/console/users", timeout=10)
    assert forbidden.status_code == 403
    assert_protected(forbidden)
    for path in ("/console/nowhere", "/console/default/issues/999", "/console/nobody/", "/console/static/none.js"):
        missing = editor.get(console.base + path, timeout=10)
        assert missing.status_code == 404, path
        assert_protected(missing)
    failed = editor.get(f"{console.base}/console/boom", timeout=10)
    assert failed.status_code == 500 and 'data-error="500"' in failed.text  # before: 200 "success", as to WeChat
    assert "data-way-back" in failed.text  # the console's frame, with a way back (issue 24)
    assert_protected(failed)


def test_hsts_only_when_the_console_is_behind_https(tmp_path, fake_clock, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "tok3n")
    running = Console(tmp_path / "site", f"sqlite:///{tmp_path / 'site' / 'state' / 'state.sqlite3'}",
                      fake_clock.clock, extra="\n[console]\nsecure_cookies = true\n")
    try:
        for path in ("/console/login", "/console/nowhere"):
            response = requests.get(running.base + path, timeout=10)
            assert re.fullmatch(r"max-age=\d{8}", response.headers["Strict-Transport-Security"]), path
            assert response.headers["X-Frame-Options"] == "DENY"
    finally:
        running.stop()


def test_the_webhook_is_left_as_it_was(console):
    """The headers are the console's: WeChat's webhook and /healthz answer machines, not browsers."""
    response = requests.get(f"{console.base}/healthz", timeout=10)
    assert "Content-Security-Policy" not in response.headers


def test_no_template_has_inline_script_or_event_handlers():
    """What the CSP refuses must not be in the console's own markup (it would silently stop working)."""
    for template in (ROOT / "wechat_pub" / "console" / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), template.name
        assert "javascript:" not in text.lower() and "style=" not in text, template.name
