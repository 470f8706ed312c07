"""An approval is a yes to what the approver's page showed: "Approve this version" names the version it saw, and a
page opened before the text or the pictures changed approves nothing (before, it approved whatever the issue was
when the click arrived: a picture replaced in the folder meanwhile, and synced, went out approved)."""

from __future__ import annotations

import re

import pytest
from security_server import console_on
from test_review9_holes import issue_with_a_picture as issue_920
from test_review9_holes import png


@pytest.fixture
def approving_console(tmp_path, database_url, fake_clock, monkeypatch):
    with console_on(tmp_path / "site", database_url, fake_clock.clock, monkeypatch,
                    extra="\n[console]\nrequire_approval = true\n") as running:
        yield running


def approve_form(browser, console) -> dict:
    """The hidden fields of the issue page's "Approve this version" form, as the page has them now."""
    page = browser.get(f"{console.base}/console/default/issues/920", timeout=10).text
    form = re.search(r'<form method="post" action="[^"]*/issues/920/approve"[^>]*>(.*?)</form>', page, re.S).group(1)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_an_approval_from_a_page_opened_before_the_pictures_changed_approves_nothing(approving_console):
    console = approving_console
    site, figure = issue_920(console, png("#2266aa"))
    boss = console.sign_in("boss")
    fields = approve_form(boss, console)
    figure.write_bytes(png("#ff0000"))  # replaced in the folder (a git pull), synced: a new version
    site.library.sync(force=True)
    assert site.library.row(920).version == int(fields["version"]) + 1
    answer = boss.post(f"{console.base}/console/default/issues/920/approve", data=fields, timeout=10)
    assert site.approvals.get(920) is None
    assert "changed since you opened it" in answer.text or "打开页面之后" in answer.text
    boss.post(f"{console.base}/console/default/issues/920/approve", data=approve_form(boss, console), timeout=10)
    assert site.approvals.get(920).text_hash == site.library.row(920).text_hash  # the page of now: approved


def test_an_approval_that_names_no_version_approves_nothing(approving_console):
    console = approving_console
    site, _figure = issue_920(console, png("#2266aa"))
    assert console.post(console.sign_in("boss"), "/console/default/issues/920/approve").status_code == 302
    assert site.approvals.get(920) is None


def test_an_issue_whose_picture_is_missing_is_not_approved(approving_console):
    """An approval covers the pictures: with one missing (the text still valid) there is nothing to say yes to, and a
    picture that arrives later (a git pull, the text as it was) would go out under an approval nobody gave it."""
    console = approving_console
    site, _figure = issue_920(console, None)  # (the text shows it; it never was in the folder)
    boss = console.sign_in("boss")
    answer = boss.post(f"{console.base}/console/default/issues/920/approve", data=approve_form(boss, console),
                       timeout=10)
    assert site.approvals.get(920) is None
    assert "picture it shows is missing" in answer.text or "文中有图片缺失" in answer.text
