"""Issue 24, deliverable 4: sign-in that does not lock out the office. Wrong passwords lock a name after 5 and an
address only after ``console.sign_in_limit_per_address`` (50: an office behind one NAT); a locked name says so;
failures and locks are in the audit log (no password); an admin lifts a lock. Against the real server on a real
socket (SQLite and PostgreSQL), every sign-in from 127.0.0.1, as an office's would be from its one address."""

from __future__ import annotations

import pytest
import requests
from security_server import ENGLISH, PASSWORD, Console, console_on, csrf_of

from wechat_pub.config import load_config
from wechat_pub.errors import ConfigError


@pytest.fixture
def console(tmp_path, database_url, fake_clock, monkeypatch):
    with console_on(tmp_path / "site", database_url, fake_clock.clock, monkeypatch, ENGLISH) as running:
        yield running


def attempt(console, name: str, password: str) -> requests.Response:
    browser = requests.Session()
    token = csrf_of(browser.get(f"{console.base}/console/login", timeout=10).text)
    return browser.post(f"{console.base}/console/login", data={"csrf_token": token, "name": name,
                                                               "password": password}, timeout=10)


def audit(console) -> list:
    return console.deployment.services.audit.recent(500)


def test_five_wrong_passwords_for_a_colleague_do_not_lock_out_the_admin_from_the_same_address(console):
    for number in range(5):
        assert attempt(console, "editor1", f"wrong-{number}").status_code == 401
    locked = attempt(console, "editor1", PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 200  # even the right password waits
    assert "Too many wrong passwords for this name" in locked.text and "Others can still sign in" in locked.text
    assert attempt(console, "admin1", PASSWORD).url.endswith("/console/default/")  # before: 429 for 5 minutes


def test_a_locked_name_says_so_in_the_persons_language(tmp_path, database_url, fake_clock, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "tok3n")
    running = Console(tmp_path / "site", database_url, fake_clock.clock)  # console.language: Chinese by default
    try:
        for number in range(6):
            response = attempt(running, "editor1", f"wrong-{number}")
        assert response.status_code == 429 and "这个名字的密码错误次数太多" in response.text
    finally:
        running.stop()


def test_the_51st_attempt_from_one_address_is_refused(console):
    for number in range(50):  # fifty different names (a name alone locks after 5)
        assert attempt(console, f"guess{number}", "wrong").status_code == 401, number
    refused = attempt(console, "admin1", PASSWORD)
    assert refused.status_code == 429 and "from this address" in refused.text


def test_the_limit_per_address_is_a_setting(tmp_path, database_url, fake_clock, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "tok3n")
    running = Console(tmp_path / "site", database_url, fake_clock.clock,
                      extra='[console]\nlanguage = "en"\nsign_in_limit_per_address = 8\n')
    try:
        for number in range(8):
            assert attempt(running, f"guess{number}", "wrong").status_code == 401
        assert attempt(running, "admin1", PASSWORD).status_code == 429
        fake_clock.advance(301)  # the lock ends
        assert attempt(running, "admin1", PASSWORD).url.endswith("/console/default/")
    finally:
        running.stop()


@pytest.mark.parametrize("value", ["0", "4", "true", '"fifty"', "50.5"])
def test_a_bad_limit_per_address_stops_the_config(tmp_path, value):
    from conftest import firm_config

    config = firm_config(tmp_path, f"[console]\nsign_in_limit_per_address = {value}\n")
    with pytest.raises(ConfigError, match="sign_in_limit_per_address"):
        load_config(config)


def test_failed_sign_ins_and_locks_are_in_the_audit_without_a_password(console):
    for number in range(5):
        attempt(console, "editor1", f"secret-typo-{number}")
    attempt(console, PASSWORD, "x")  # someone typed their password into the name field
    entries = audit(console)
    failed = [e for e in entries if e.action == "sign-in-failed"]
    assert len(failed) == 6 and {e.user for e in failed} == {"editor1", ""}
    assert all("127.0.0.1" in e.detail for e in failed)
    locked = [e for e in entries if e.action == "sign-in-locked"]
    assert len(locked) == 1 and locked[0].user == "editor1" and "the name editor1" in locked[0].detail
    logged = " ".join(f"{e.user} {e.detail}" for e in entries)
    assert "secret-typo" not in logged and PASSWORD not in logged


def test_a_right_password_does_not_reset_the_count_of_its_address(console):
    """Else someone with an account of their own could sign in between guesses, and guess for ever."""
    throttle = console.deployment.services.login_throttle
    for number in range(49):
        attempt(console, f"guess{number}", "wrong")
    assert attempt(console, "boss", PASSWORD).status_code == 200
    attempt(console, "guess-last", "wrong")
    assert [lock.key for lock in throttle.locks()] == ["address:127.0.0.1"]


def test_an_admin_lifts_a_lock_and_it_is_audited(console):
    for number in range(5):
        attempt(console, "editor1", f"wrong-{number}")
    assert attempt(console, "editor1", PASSWORD).status_code == 429
    admin = console.sign_in("admin1")
    users_page = admin.get(f"{console.base}/console/users", timeout=10).text
    assert "Locked sign-ins" in users_page and "the name editor1" in users_page
    assert console.post(admin, "/console/users/locks/lift", key="user:editor1").status_code == 302
    assert attempt(console, "editor1", PASSWORD).url.endswith("/console/default/")
    lifted = [e for e in audit(console) if e.action == "sign-in-unlock"]
    assert len(lifted) == 1 and lifted[0].user == "admin1" and lifted[0].detail == "user:editor1"
    assert "Locked sign-ins" not in admin.get(f"{console.base}/console/users", timeout=10).text


def test_only_an_admin_lifts_a_lock(console):
    for number in range(5):
        attempt(console, "editor1", f"wrong-{number}")
    editor = console.sign_in("boss")
    assert console.post(editor, "/console/users/locks/lift", key="user:editor1").status_code == 403
    assert attempt(console, "editor1", PASSWORD).status_code == 429


def test_the_users_page_shows_no_lock_of_a_name_that_is_nobodys(console):
    """Five tries with a password typed into the name field lock that "name": an admin must not read it."""
    for number in range(5):
        attempt(console, PASSWORD, f"wrong-{number}")
    admin = console.sign_in("admin1")
    assert PASSWORD not in admin.get(f"{console.base}/console/users", timeout=10).text
