"""Issue 21, deliverable 3: console sessions end on the server. Each test saves a signed-in cookie, does
what should end its session, and replays the cookie against the real server (a real socket, SQLite and
PostgreSQL): it must open nothing. Time is the injected clock, moved by the test."""

from __future__ import annotations

import pytest
import requests
from security_server import Console, console_on, csrf_of


@pytest.fixture
def console(tmp_path, database_url, fake_clock, monkeypatch):
    with console_on(tmp_path / "site", database_url, fake_clock.clock, monkeypatch) as running:
        yield running


def saved_cookie(browser: requests.Session) -> str:
    return browser.cookies.get("session")


def test_a_saved_cookie_fails_after_sign_out(console):
    browser = console.sign_in("editor1")
    cookie = saved_cookie(browser)
    assert console.opens(cookie)
    assert console.post(browser, "/console/logout").status_code == 302
    assert not console.opens(cookie)  # before: the old cookie still opened the console


def test_a_saved_cookie_fails_after_a_password_change(console):
    victim, admin = console.sign_in("editor1"), console.sign_in("admin1")
    cookie = saved_cookie(victim)
    assert console.post(admin, "/console/users/editor1/password", password="a brand new password").status_code == 302
    assert not console.opens(cookie)
    assert console.opens(saved_cookie(admin))  # the admin's own session goes on


def test_a_saved_cookie_fails_after_a_role_change(console):
    victim, admin = console.sign_in("boss"), console.sign_in("admin1")
    cookie = saved_cookie(victim)
    assert console.post(admin, "/console/users/boss/role", role="editor").status_code == 302
    assert console.deployment.services.users.get("boss").role == "editor"
    assert not console.opens(cookie)
    assert "role-change" not in [e.action for e in console.deployment.services.audit.recent()]
    assert any(e.action == "user-role" and e.detail == "boss (editor)" for e in console.deployment.services.audit.recent())


def test_an_admin_cannot_change_their_own_role(console):
    admin = console.sign_in("admin1")
    assert console.post(admin, "/console/users/admin1/role", role="editor").status_code == 400
    assert console.deployment.services.users.get("admin1").role == "admin"


def test_a_saved_cookie_fails_after_removal_even_for_a_new_user_of_the_same_name(console):
    victim, admin = console.sign_in("editor1"), console.sign_in("admin1")
    cookie = saved_cookie(victim)
    assert console.post(admin, "/console/users/editor1/remove").status_code == 302
    assert not console.opens(cookie)
    assert console.post(admin, "/console/users", name="editor1", role="admin",
                        password="someone else entirely").status_code == 302
    assert not console.opens(cookie)  # before: the old cookie opened the new editor1's (an admin's) console


def test_sign_out_everywhere_ends_every_session_of_the_user(console):
    laptop, phone, other = console.sign_in("editor1"), console.sign_in("editor1"), console.sign_in("boss")
    cookies = [saved_cookie(laptop), saved_cookie(phone)]
    response = console.post(laptop, "/console/logout/everywhere")
    assert response.status_code == 302 and "/console/login" in response.headers["Location"]
    assert not any(console.opens(cookie) for cookie in cookies)
    assert console.opens(saved_cookie(other))
    assert any(e.action == "sign-out-everywhere" and e.user == "editor1" and e.detail.startswith("editor1 (2 ")
               for e in console.deployment.services.audit.recent())


def test_an_admin_signs_another_user_out_everywhere(console):
    victim, admin = console.sign_in("boss"), console.sign_in("admin1")
    cookie = saved_cookie(victim)
    assert console.post(admin, "/console/users/boss/sign-out").status_code == 302
    assert not console.opens(cookie) and console.opens(saved_cookie(admin))
    assert any(e.action == "sign-out-everywhere" and e.user == "admin1" and e.detail.startswith("boss (1 ")
               for e in console.deployment.services.audit.recent())
    editor = console.sign_in("editor1")  # only admins may
    assert console.post(editor, "/console/users/admin1/sign-out").status_code == 403
    assert console.opens(saved_cookie(admin))


def test_the_command_line_ends_sessions_too(console, run_cli):
    victims = {name: saved_cookie(console.sign_in(name)) for name in ("editor1", "boss")}
    run_cli("--config", console.config, "user", "signout", "editor1")
    run_cli("--config", console.config, "user", "role", "boss", "admin")
    assert not console.opens(victims["editor1"]) and not console.opens(victims["boss"])
    actions = {(e.action, e.detail.split(" ")[0]) for e in console.deployment.services.audit.recent()}
    assert {("sign-out-everywhere", "editor1"), ("user-role", "boss")} <= actions
    typo = run_cli("--config", console.config, "user", "signout", "editr1", expect=2)
    assert "there is no user 'editr1'" in typo.stderr and "wechat-pub user list" in typo.stderr


def test_a_session_ends_after_its_idle_time(console, fake_clock):
    busy, idle = console.sign_in("editor1"), console.sign_in("boss")
    fake_clock.advance(11 * 3600)
    assert console.opens(saved_cookie(busy))  # used within the 12 h: the idle time starts again
    fake_clock.advance(1.5 * 3600)
    assert console.opens(saved_cookie(busy))
    assert not console.opens(saved_cookie(idle))  # 12.5 h without a request


def test_a_session_ends_after_its_absolute_time_however_busy(console, fake_clock):
    browser = console.sign_in("editor1")
    cookie = saved_cookie(browser)
    for _ in range(27):  # a request every 6 h for 6.75 days
        fake_clock.advance(6 * 3600)
        assert console.opens(cookie)
    fake_clock.advance(6 * 3600 + 1)  # 7 days and a second after the sign-in
    assert not console.opens(cookie)


def test_the_idle_and_absolute_times_are_settings(tmp_path, database_url, fake_clock, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "tok3n")
    running = Console(tmp_path / "site", database_url, fake_clock.clock,
                      extra="\n[console]\nsession_idle_hours = 1.0\nsession_max_days = 0.5\n")
    try:
        cookie = saved_cookie(running.sign_in("editor1"))
        fake_clock.advance(3601)
        assert not running.opens(cookie)
        cookie = saved_cookie(running.sign_in("editor1"))
        for _ in range(24):  # a request every half hour for 12 h
            fake_clock.advance(1800)
            assert running.opens(cookie)
        fake_clock.advance(1)
        assert not running.opens(cookie)
    finally:
        running.stop()


def test_signing_in_renews_the_session_and_its_csrf_token(console):
    """No session fixation (issue 21, item 8): what a browser held before signing in is worth nothing after."""
    browser = requests.Session()
    before = csrf_of(browser.get(f"{console.base}/console/login", timeout=10).text)
    planted = saved_cookie(browser)
    response = browser.post(f"{console.base}/console/login", data={"csrf_token": before, "name": "admin1",
                                                                   "password": "correct horse battery staple"})
    assert response.status_code == 200 and saved_cookie(browser) != planted
    after = csrf_of(response.text)
    assert after != before  # before: Flask-WTF kept the token from the sign-in page
    refused = browser.post(f"{console.base}/console/users", data={"csrf_token": before, "name": "mallory",
                                                                 "role": "admin", "password": "x" * 12},
                           allow_redirects=False, timeout=10)
    assert refused.status_code == 400 and 'data-error="400"' in refused.text and "data-way-back" in refused.text
    assert console.deployment.services.users.get("mallory") is None
    assert not console.opens(planted)


def test_a_cookie_forged_with_the_secret_key_opens_nothing(console):
    """Issue 21, item 1's escalation: a cookie signed with the console's key for an admin's name (read from a
    leaked database) used to be accepted; the cookie's token must now match a live session on the server."""
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(console.app)
    for forged in ({"_user_id": "admin1", "_fresh": True}, {"_user_id": "", "_fresh": True}):
        assert not console.opens(serializer.dumps(forged))
