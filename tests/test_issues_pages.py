"""The issues list at a year's scale and beyond (issue 27): a hundred issues a page, newest first, with links to
the older and newer pages, so a phone never draws thousands of cards."""

from __future__ import annotations

import re

import pytest
from security_service import ARTICLE, signed_in
from test_console_browser import start_console

from conftest import free_port
from wechat_pub.console.issues import ISSUES_PER_PAGE


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pages") / "site"
    # nothing here reaches the sandbox; a port of its own all the same (`run` serves one there, and another
    # worker's console of this module may be running: a shared port failed the second to start)
    running = start_console(folder, sandbox_port=free_port())
    articles = folder / "articles"
    for number in range(1, ISSUES_PER_PAGE + 2):
        (articles / f"issue-{number}.md").write_text(ARTICLE.format(number=number, images=""), encoding="utf-8")
    yield running
    running.stop()


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-issue="(\d+)"', html)]


def test_the_newest_hundred_first_then_the_older_ones(console):
    session = signed_in(console.base, "editor1")
    first = session.get(f"{console.base}/console/default/", timeout=30).text
    assert numbers(first) == list(range(ISSUES_PER_PAGE + 1, 1, -1))
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = session.get(f"{console.base}/console/default/?page=2", timeout=30).text
    assert numbers(second) == [1]
    assert 'rel="prev"' in second and 'rel="next"' not in second


@pytest.mark.parametrize("page", ["0", "-3", "999", "x", "9" * 40])
def test_a_page_out_of_range_shows_the_nearest_one(console, page):
    session = signed_in(console.base, "editor1")
    response = session.get(f"{console.base}/console/default/?page={page}", timeout=30)
    assert response.status_code == 200
    assert numbers(response.text) in (list(range(ISSUES_PER_PAGE + 1, 1, -1)), [1])


def test_two_files_of_one_issue_are_named_on_every_load_until_one_goes(console):
    """What the folder's sync cannot do stays on the list's page while it lasts, not only on the first load after
    the change (the service's own syncs, every few seconds, came first and no one read their report)."""
    articles = console.folder / "articles"
    copy = articles / "copy-of-1.md"
    copy.write_text((articles / "issue-1.md").read_text(encoding="utf-8"), encoding="utf-8")
    session = signed_in(console.base, "editor1")
    try:
        for _load in range(3):
            page = session.get(f"{console.base}/console/default/?page=2", timeout=30).text
            assert "copy-of-1.md" in page and "issue-1.md" in page
    finally:
        copy.unlink()
    assert "copy-of-1.md" not in session.get(f"{console.base}/console/default/?page=2", timeout=30).text
