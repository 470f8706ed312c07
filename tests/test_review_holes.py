"""Holes a reviewer with fresh eyes found in this round's console, editor, sign-in and analytics (each test fails on
the code before its fix): a YAML alias bomb in front matter, line breaks Python knows beyond \\r and \\n in a form's
field, publish times no instant can hold, hostile figures from WeChat's datacube, names longer than any user's at
sign-in, the sign-in counts of typed names kept forever, a proxy's address shared by every sign-in."""

from __future__ import annotations

import pytest
from security_server import ENGLISH, PASSWORD, console_on
from test_sign_in_throttle import attempt

from wechat_pub.console.article_form import _local_time, _value, one_line
from wechat_pub.source.frontmatter import split_front_matter
from wechat_pub.wechat.datacube import parse_article

BOMB = """---
issue: 1
import_notes:
  - &a [x, x, x, x, x, x, x, x, x]
  - &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
  - &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
  - &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
  - &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
---
body
"""


def test_a_yaml_alias_in_front_matter_is_a_problem_not_gigabytes():
    problems = []
    front = split_front_matter(BOMB, "issue.md", problems)
    assert [p.line for p in (problem.pos for problem in problems)] == [5]
    assert "alias" in problems[0].message and front.body == "body\n"


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\r\n", "\r"])
def test_a_fields_value_stays_on_one_line_whatever_the_break(brk):
    value = one_line(f"Weekly{brk}---{brk}evil: 1")
    assert len(value.splitlines()) == 1 and value == "Weekly --- evil: 1"


@pytest.mark.parametrize("text", ["0001-01-01T00:00+14:00", "9999-12-31T23:59-12:00"])
def test_a_publish_time_no_instant_can_hold_is_shown_as_written(text):
    _value("publish_at", text, "Asia/Shanghai")  # read as it is written: the check names it
    assert _local_time(text, "Asia/Shanghai") == text  # the editor's field shows it as written; it was a 500


def test_hostile_figures_from_the_datacube_are_left_out_or_capped():
    article = parse_article({"ref_date": "2026-12-01", "msgid": "2247_" + "9" * 400, "title": "t",
                             "detail_list": [{"stat_date": "2026-12-02", "read_user": float("inf"),
                                              "share_user": 10 ** 30},
                                             {"stat_date": "9999-99-99", "read_user": 1},
                                             {"stat_date": "2026-12-03 or 1=1", "read_user": 1}]})
    assert [day.stat_date for day in article.days] == ["2026-12-02"]
    assert article.days[0].read_user == 0 and article.days[0].share_user == 2**31 - 1  # what a database INTEGER holds
    assert article.index == 1


@pytest.fixture
def console(tmp_path, database_url, fake_clock, monkeypatch):
    with console_on(tmp_path / "site", database_url, fake_clock.clock, monkeypatch, ENGLISH) as running:
        yield running


def test_a_name_longer_than_any_users_is_refused_and_counted(console):
    for _ in range(5):  # PostgreSQL refused to store the key (String(200)): nothing was counted, each cost an argon2
        assert attempt(console, "x" * 5000, "wrong").status_code == 401
    assert attempt(console, "y" * 300, "wrong").status_code == 429  # every over-long name is one "nobody"
    assert attempt(console, "admin1", PASSWORD).url.endswith("/console/default/")


def test_the_count_of_a_typed_name_is_not_kept_past_its_window(console, fake_clock):
    from sqlalchemy import select

    from wechat_pub.state.schema import login_failures

    attempt(console, "my secret password", "wrong")
    fake_clock.advance(901)
    attempt(console, "someone else", "wrong")
    with console.deployment.services.db.connect() as conn:
        keys = {row.key for row in conn.execute(select(login_failures.c.key))}
    assert "user:my secret password" not in keys and "user:someone else" in keys


def test_behind_a_proxy_each_client_has_its_own_limit(tmp_path, database_url, fake_clock, monkeypatch):
    from security_server import Console

    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "tok3n")
    running = Console(tmp_path / "site", database_url, fake_clock.clock,
                      extra='[console]\nlanguage = "en"\nproxy_hops = 1\nsign_in_limit_per_address = 5\n')
    try:
        import requests
        from security_server import csrf_of

        def from_client(address: str, name: str, password: str):
            browser = requests.Session()
            browser.headers["X-Forwarded-For"] = address
            token = csrf_of(browser.get(f"{running.base}/console/login", timeout=10).text)
            return browser.post(f"{running.base}/console/login", timeout=10,
                                data={"csrf_token": token, "name": name, "password": password})

        for number in range(5):  # one client behind the proxy guesses at five names
            assert from_client("203.0.113.7", f"guess{number}", "wrong").status_code == 401
        assert from_client("203.0.113.7", "admin1", PASSWORD).status_code == 429
        assert from_client("198.51.100.2", "admin1", PASSWORD).url.endswith("/console/default/")  # the office
    finally:
        running.stop()


def test_without_proxy_hops_a_forged_forwarded_for_changes_nothing(console):
    import requests
    from security_server import csrf_of

    for number in range(50):
        browser = requests.Session()
        browser.headers["X-Forwarded-For"] = f"10.0.0.{number}"  # forged: one address each, were it believed
        token = csrf_of(browser.get(f"{console.base}/console/login", timeout=10).text)
        browser.post(f"{console.base}/console/login", timeout=10,
                     data={"csrf_token": token, "name": f"guess{number}", "password": "wrong"})
    assert attempt(console, "admin1", PASSWORD).status_code == 429


@pytest.mark.parametrize("issue", ["²", "١٣٥", "9" * 400])
def test_the_reach_page_takes_any_issue_asked_for(console, issue):
    browser = console.sign_in("admin1")
    assert browser.get(f"{console.base}/console/default/reach", params={"issue": issue}, timeout=10).status_code == 200
