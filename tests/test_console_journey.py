"""Issue 24, "Done when": a marketing person's week in the console, in Chinese (the default), on a desktop (1280 px)
and on a phone (390 px): sign in, import the seed, change the title in the form and item 5 in the editor without
the preview losing its place, schedule, approve (console.require_approval) and push. Against `wechat-pub run` as a
real process, with the sandbox for WeChat; selectors are ids and form actions, never English words.

Every page the journey opens goes through :func:`visited`, which runs each check of :data:`PAGE_CHECKS` on it: no
sideways scrolling, no critical or serious axe-core violation (tests/axe.py), no English word left on the Chinese
page (tests/test_console_zh.py's catalogue check)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from axe import assert_accessible
from test_console_browser import PASSWORD, start_console
from test_console_zh import english_left

from conftest import SEED

ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
ITEM_5 = "苹果和谷歌联手开发新型冠状病毒肺炎接触者追踪技术"  # the seed's fifth item


def no_sideways_scrolling(page) -> None:
    width = page.viewport_size["width"]
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= width, f"{page.url} is {wide} px wide at {width} px: it scrolls sideways"


def no_english_left(page) -> None:
    left = english_left(page)
    assert not left, f"{page.url} still has English: {left[:8]}"


PAGE_CHECKS = [no_sideways_scrolling, assert_accessible, no_english_left]  # each: check(page), on every page opened


def visited(page) -> None:
    """Run every page check on the page the journey has just opened."""
    page.wait_for_load_state("load")
    for check in PAGE_CHECKS:
        check(page)


@pytest.fixture
def console(tmp_path, sandbox):
    running = start_console(tmp_path / "site", sandbox.port, language="zh_CN")  # console.language's default
    running.sandbox = sandbox
    yield running
    running.stop()


def open_page(page, url: str) -> None:
    page.goto(url)
    visited(page)


def submit(page, form: str) -> None:
    """Submit the form ``form`` (a selector) with its submit button, and check the page it leads to."""
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")
    visited(page)


def signs_in_in_chinese(page, base: str) -> None:
    open_page(page, f"{base}/console/")
    assert "/console/login" in page.url and page.get_attribute("html", "lang") == "zh-CN"
    page.fill("input[name=name]", "editor1")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    visited(page)
    assert re.search(r"/console/default/$", page.url)


def imports_the_seed(page, base: str, folder) -> None:
    open_page(page, f"{base}/console/default/import")
    page.set_input_files("input[name=newsletter]", str(SEED))
    submit(page, "form:has(input[name=newsletter])")
    submit(page, "form[action$='/import/save']")
    assert page.url.endswith("/issues/135/edit") and (folder / "articles" / "issue-135.md").exists()


def edits_the_title_in_the_form(page, folder) -> None:
    wait_for_editor(page)
    page.fill("#field-title_zh", "立方数据合规周报")
    submit(page, "#article-editor")
    assert "  zh: 立方数据合规周报\n" in (folder / "articles" / "issue-135.md").read_text(encoding="utf-8")


def edits_item_5_with_the_preview_keeping_its_place(page, folder) -> None:
    wait_for_editor(page)
    page.eval_on_selector("#body", """(body, text) => { const at = body.value.indexOf(text); body.focus();
        body.setSelectionRange(at + text.length, at + text.length); body.dispatchEvent(new KeyboardEvent('keyup')); }""",
                          ITEM_5)
    page.wait_for_function("() => document.getElementById('article-editor').dataset.followed === '5'")
    place = preview_scroll(page)
    assert place > 300 and item_5_in_view(page)  # the preview went to item 5
    for word in ("（", "更新", "）"):  # typed in three goes, each followed by an update of the preview
        seen = updates(page)
        page.keyboard.type(word)
        wait_for_update(page, seen)
        assert preview_scroll(page) > 300 and item_5_in_view(page)  # before: back at the top each time
    assert abs(preview_scroll(page) - place) < 120
    submit(page, "#article-editor")
    assert f"{ITEM_5}（更新）" in (folder / "articles" / "issue-135.md").read_text(encoding="utf-8")


def schedules_approves_and_pushes(page, base: str, sandbox) -> None:
    open_page(page, f"{base}/console/default/issues/135")
    at = dt.datetime.now(ZONE) + dt.timedelta(days=2)  # well ahead: the push below is by hand
    page.fill("form:has(input[type=datetime-local][name=at]) input[name=at]", at.strftime("%Y-%m-%dT%H:%M:00"))
    submit(page, "form:has(input[type=datetime-local][name=at])")
    assert page.locator(".flash.ok").count() == 1
    submit(page, "form[action$='/approve']")
    assert page.locator(".flash.ok").count() == 1
    sandbox.reset_calls()
    submit(page, "form[action$='/push']")
    assert page.locator(".flash.ok").count() == 1 and sandbox.calls().get("draft/add", 0) == 1


def wait_for_editor(page) -> None:
    page.wait_for_function("() => document.getElementById('article-editor')?.dataset.updated !== undefined")


def updates(page) -> int:
    return int(page.eval_on_selector("#article-editor", "f => Number(f.dataset.updated || 0)"))


def wait_for_update(page, after: int) -> None:
    page.wait_for_function("(after) => Number(document.getElementById('article-editor').dataset.updated || 0) > after",
                           arg=after, timeout=15000)


def preview_scroll(page) -> float:
    return page.eval_on_selector("#preview", "f => f.contentWindow.scrollY")


def item_5_in_view(page) -> bool:
    """Whether item 5's headline is inside the preview's visible part."""
    return page.eval_on_selector("#preview", """(frame) => {
        const span = [...frame.contentDocument.querySelectorAll('.phone.light span')]
            .find((s) => s.textContent === '05\\u00a0');
        const top = span.getBoundingClientRect().top;
        return top >= 0 && top < frame.clientHeight; }""")


@pytest.mark.parametrize("width,height", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_done_when_journey(console, browser, width, height):
    # bypass_csp: only so that axe-core can be injected; tests/test_console_browser.py holds every page to its CSP
    context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="Asia/Shanghai",
                                  is_mobile=width < 500, has_touch=width < 500, bypass_csp=True)
    page = context.new_page()
    try:
        signs_in_in_chinese(page, console.base)
        imports_the_seed(page, console.base, console.folder)
        edits_the_title_in_the_form(page, console.folder)
        edits_item_5_with_the_preview_keeping_its_place(page, console.folder)
        schedules_approves_and_pushes(page, console.base, console.sandbox)
    finally:
        context.close()
