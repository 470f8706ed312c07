"""Issue 24, deliverable 3: the editor for people, in a real browser (Chromium through Playwright) against the
console on a real socket. The fields are a form; the body keeps its caret while the preview, updated in place,
follows the item being edited; import notes are ticked off; a text that cannot be saved stays on the page as a
draft with its problems; unsaved changes survive a reload; on a phone it stacks. Selectors are ids, not words:
the page is in Chinese by default."""

from __future__ import annotations

import re

import pytest
from security_server import PASSWORD, Console, csrf_of

from conftest import SEED_ARTICLE
from wechat_pub.clock import SYSTEM_CLOCK

NOTES = "import_notes:\n- 未能归入的一行\n- another line it could not place\n"


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    running = Console(tmp_path_factory.mktemp("editor") / "site", "sqlite://", SYSTEM_CLOCK)
    yield running
    running.stop()


def write_issue(console, number: int, notes: str = "") -> str:
    text = SEED_ARTICLE.read_text(encoding="utf-8").replace("issue: 135", f"issue: {number}")
    text = text.replace("---\n\n#", f"{notes}---\n\n#", 1)
    (console.folder / "articles" / f"issue-{number}.md").write_text(text, encoding="utf-8")
    return text


def saved(console, number: int) -> str:
    return (console.folder / "articles" / f"issue-{number}.md").read_text(encoding="utf-8")


@pytest.fixture
def page(browser, console):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(f"{console.base}/console/login")
    page.fill("input[name=name]", "editor1")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r".*/console/default/$"))
    yield page
    context.close()


def open_editor(page, console, number: int) -> None:
    page.goto(f"{console.base}/console/default/issues/{number}/edit")
    page.wait_for_function("() => document.getElementById('article-editor').dataset.updated !== undefined")


def updates(page) -> int:
    return int(page.eval_on_selector("#article-editor", "f => Number(f.dataset.updated || 0)"))


def wait_for_update(page, after: int) -> None:
    page.wait_for_function("(after) => Number(document.getElementById('article-editor').dataset.updated || 0) > after",
                           arg=after, timeout=15000)


def caret_to(page, text: str) -> None:
    """The caret into the body, at the start of ``text``, as a click there would put it."""
    page.eval_on_selector("#body", """(body, text) => { const at = body.value.indexOf(text); body.focus();
        body.setSelectionRange(at, at); body.dispatchEvent(new KeyboardEvent('keyup')); }""", text)


def preview_scroll(page) -> float:
    return page.eval_on_selector("#preview", "f => f.contentWindow.scrollY")


def test_the_title_changed_in_the_form_changes_only_its_line(page, console):
    before = write_issue(console, 150)
    open_editor(page, console, 150)
    page.fill("#field-title_zh", "立方数据合规周报（修订）")
    page.click("#article-editor button[type=submit]")
    page.wait_for_url(re.compile(r".*/issues/150/edit$"))
    after = saved(console, 150)
    assert after == before.replace("  zh: 立方网络安全与数据合规周报", "  zh: 立方数据合规周报（修订）")
    assert page.input_value("#field-title_zh") == "立方数据合规周报（修订）"
    assert "version 2" in page.inner_text("h1 small") or "2" in page.inner_text("h1 small")


def test_the_preview_follows_the_item_being_edited_and_keeps_its_place(page, console):
    write_issue(console, 151)
    open_editor(page, console, 151)
    caret_to(page, "苹果和谷歌联手开发")  # item 5
    page.wait_for_function("() => document.getElementById('article-editor').dataset.followed === '5'")
    place = preview_scroll(page)
    assert place > 500  # item 5 is far down the phone
    seen = updates(page)
    page.keyboard.press("End")
    page.keyboard.type("（更新）")
    wait_for_update(page, seen)
    assert abs(preview_scroll(page) - place) < 80  # before: back to the top after every update
    assert "（更新）" in page.frame_locator("#preview").locator(".phone.light").inner_text()
    assert page.evaluate("() => document.activeElement.id") == "body"  # the caret stayed in the text


def test_import_notes_are_a_checklist_to_tick_off(page, console):
    write_issue(console, 152, NOTES)
    open_editor(page, console, 152)
    notes = page.locator("#field-notes input[type=checkbox]")
    assert notes.count() == 2
    notes.nth(0).check()
    page.click("#article-editor button[type=submit]")
    page.wait_for_url(re.compile(r".*/issues/152/edit$"))
    text = saved(console, 152)
    assert "未能归入的一行" not in text and "- another line it could not place\n" in text
    page.locator("#field-notes input[type=checkbox]").nth(0).check()
    page.click("#article-editor button[type=submit]")
    page.wait_for_url(re.compile(r".*/issues/152/edit$"))
    assert "import_notes" not in saved(console, 152) and page.locator("#field-notes").count() == 0


def test_a_field_wechat_limits_is_the_one_its_problem_leads_to(page, console):
    """A newcomer's finding (2026-12-06): the warning about the author's length led to the body, and the field's
    hint said 16 characters where the warning is about the 20 bytes (6 Chinese characters) accounts report."""
    write_issue(console, 162)
    open_editor(page, console, 162)
    assert "最多 16 个字；有的公众号只接受 6 个汉字" in page.inner_text("label:has(#field-author)")
    page.fill("#field-author", "立方律师事务所编辑部")  # 10 characters, 30 bytes
    page.wait_for_selector("#problems a[data-field=author]", timeout=10000)


def test_a_text_that_cannot_be_saved_stays_a_draft_with_its_problems(page, console):
    before = write_issue(console, 153)
    open_editor(page, console, 153)
    page.fill("#field-issue", "")
    page.fill("#field-title_en", "A draft title")
    with page.expect_navigation():
        page.click("#article-editor button[type=submit]")
    # said once (a newcomer saw it twice: the refusal, and check's own words telling them to edit front matter)
    assert page.locator("#problems a[data-field=issue]").count() == 1
    assert page.input_value("#field-title_en") == "A draft title" and page.input_value("#field-issue") == ""
    assert "docs/article-format.md" not in page.inner_text("main")  # before: a hint to a file the team cannot see
    assert saved(console, 153) == before  # nothing written
    page.focus("#body")
    for _ in range(12):  # the problem's link is reached with Tab
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.dataset.field") == "issue":
            break
    assert page.evaluate("() => document.activeElement.dataset.field") == "issue"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "field-issue"
    # the draft survives leaving the page: the editor opened again brings it back, with a way to discard it
    open_editor(page, console, 153)
    assert page.is_visible("#restored")
    assert page.input_value("#field-title_en") == "A draft title"
    page.click("#discard")
    assert not page.is_visible("#restored") and page.input_value("#field-issue") == "153"
    open_editor(page, console, 153)
    assert not page.is_visible("#restored")


def test_unsaved_changes_warn_on_leaving_and_come_back_after_a_reload(page, console):
    write_issue(console, 154)
    open_editor(page, console, 154)
    page.fill("#body", page.input_value("#body").replace("公安部", "公安部（未保存）", 1))
    page.on("dialog", lambda d: d.accept())
    with page.expect_event("dialog") as asked:  # leaving: the browser asks first
        page.click("header.top a.brand")
    assert asked.value.type == "beforeunload"
    open_editor(page, console, 154)
    assert page.is_visible("#restored") and "公安部（未保存）" in page.input_value("#body")


def test_unsaved_text_is_kept_per_person_and_forgotten_at_sign_out(page, console):
    """A shared computer: one person's unsaved text is theirs (the key names them), and signing out forgets it."""
    write_issue(console, 157)
    open_editor(page, console, 157)
    page.fill("#body", page.input_value("#body").replace("公安部", "公安部（未保存）", 1))
    page.wait_for_function("() => Object.keys(localStorage).some((k) => k.startsWith('wechat-pub:edit:'))")
    keys = page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('wechat-pub:edit:'))")
    assert keys == ["wechat-pub:edit:editor1:default:157"]
    page.on("dialog", lambda d: d.accept())
    page.click("form.who button:not([formaction])")  # sign out
    page.wait_for_url(lambda url: "/login" in url)
    assert page.evaluate("() => Object.keys(localStorage).filter((k) => k.startsWith('wechat-pub:edit:'))") == []


def test_the_conflict_check_still_holds(browser, console):
    write_issue(console, 155)
    pages = []
    for name in ("editor1", "boss"):
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{console.base}/console/login")
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", PASSWORD)
        page.press("input[name=password]", "Enter")
        page.wait_for_url(re.compile(r".*/console/default/$"))
        open_editor(page, console, 155)
        pages.append(page)
    first, second = pages
    first.fill("#field-author", "甲")
    first.click("#article-editor button[type=submit]")
    first.wait_for_url(re.compile(r".*/issues/155/edit$"))
    second.fill("#field-author", "乙")
    second.click("#article-editor button[type=submit]")
    assert "author: 乙" in second.input_value("#mine")  # the refused text, to copy from
    assert "author: 甲" in saved(console, 155)
    for page in pages:
        page.context.close()


def test_on_a_phone_the_editor_stacks_without_scrolling_sideways(browser, console):
    write_issue(console, 156, NOTES)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(f"{console.base}/console/login")
    page.fill("input[name=name]", "editor1")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r".*/console/default/$"))
    open_editor(page, console, 156)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    text, preview = page.locator("#body").bounding_box(), page.locator("#preview").bounding_box()
    assert preview["y"] > text["y"] + text["height"] and preview["x"] + preview["width"] <= 390
    # the preview right under the text, the problems after it (a newcomer's wish: it came after them all)
    assert page.locator("#problems").bounding_box()["y"] > preview["y"] + preview["height"]
    assert page.eval_on_selector("#preview", "f => f.contentDocument.documentElement.scrollWidth <= f.clientWidth")
    # an import note's box stays beside its words, big enough for a finger (a newcomer's finding, 2026-12-06: the
    # box floated far left, 13 px, the note squeezed into the right half)
    box = page.locator("#field-notes input[type=checkbox]").first.bounding_box()
    words = page.locator("#field-notes label span").first.bounding_box()
    assert 20 <= box["width"] <= 30 and box["height"] >= 20, box
    assert box["x"] + box["width"] <= words["x"] <= box["x"] + box["width"] + 16, (box, words)
    page.click("#toggle-preview")
    assert not page.is_visible("#preview") and page.get_attribute("#toggle-preview", "aria-expanded") == "false"
    page.click("#toggle-preview")
    assert page.is_visible("#preview")
    context.close()


def test_the_preview_endpoint_composes_the_form_and_saves_nothing(console):
    import requests

    write_issue(console, 157)
    browser = requests.Session()
    token = csrf_of(browser.get(f"{console.base}/console/login", timeout=10).text)
    browser.post(f"{console.base}/console/login", data={"csrf_token": token, "name": "editor1", "password": PASSWORD},
                 timeout=10)
    page = browser.get(f"{console.base}/console/default/issues/157/edit", timeout=10).text
    answer = browser.post(f"{console.base}/console/default/issues/157/preview", timeout=30,
                          data={"csrf_token": csrf_of(page), "issue": "157", "date": "2020-04", "title_zh": "预览标题",
                                "title_en": "Preview", "body": "\n# 国内要闻 | Domestic News\n\n## 只有中文的一条\n\n没有来源。\n",
                                "note_done": ["9" * 5000, "-1", "x"]}).json()  # hostile ticks are ignored
    assert "预览标题" in answer["page"] and "只有中文的一条" in answer["page"]
    # the body's line 4, in the page's words (check's English ones are for the command line)
    assert {p["line"] for p in answer["problems"] if "没有来源链接" in p["message"]} == {4}
    assert "条目“只有中文的一条”没有来源链接。" in [p["message"] for p in answer["problems"]]
    assert "在条目末尾加一行“Source: [名称](https://…)”。" in [p["hint"] for p in answer["problems"]]
    assert "预览标题" not in saved(console, 157)


def saved_after_a_folder_edit(console, number: int, edit):
    """An editor opens issue ``number``; meanwhile its file in the folder becomes ``edit(text)``; the editor saves
    a change: (the answer, the folder's text)."""
    import requests

    write_issue(console, number)
    browser = requests.Session()
    token = csrf_of(browser.get(f"{console.base}/console/login", timeout=10).text)
    browser.post(f"{console.base}/console/login", data={"csrf_token": token, "name": "editor1", "password": PASSWORD},
                 timeout=10)
    page = browser.get(f"{console.base}/console/default/issues/{number}/edit", timeout=10).text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    edited = edit(saved(console, number))
    assert edited != saved(console, number)
    (console.folder / "articles" / f"issue-{number}.md").write_text(edited, encoding="utf-8")
    answer = browser.post(f"{console.base}/console/default/issues/{number}/edit", timeout=30, allow_redirects=False,
                          data={"csrf_token": csrf_of(page), "version": version, "issue": str(number),
                                "author": "编辑部", "body": "\n# 国内要闻 | Domestic News\n"})
    return answer, edited


def test_an_edit_made_in_the_folder_meanwhile_is_never_saved_over(console):
    """A newcomer's finding (2026-12-06): the file was edited in the folder after the editor opened, and a save
    in the console before the next sync (30 s) wrote over it: that edit was in no version, no backup and no
    conflict. Now the folder's edit becomes the newest version first, and the console's save is a conflict."""
    answer, edited = saved_after_a_folder_edit(console, 161, lambda text: text.replace(
        "2020年4月15日，公安部", "2020年4月15日（在文件夹里改过），公安部", 1))
    assert answer.status_code == 409, answer.status_code
    assert saved(console, 161) == edited
    assert "在文件夹里改过" in console.deployment.default.library.row(161).text


def test_an_edit_in_the_folder_whose_issue_line_broke_is_not_saved_over_either(console):
    """The review of the fix above (2026-12-06): the sync before the save skips a file with no issue number, and
    the check in the lock looked only at numbered files, so an edit whose 'issue:' line was momentarily wrong
    (issue: 16O) was still written over."""
    answer, edited = saved_after_a_folder_edit(console, 164, lambda text: text.replace("issue: 164", "issue: 16O"))
    assert answer.status_code == 422 and "is broken: nothing was saved over it" in answer.text
    assert saved(console, 164) == edited


@pytest.mark.parametrize("version", ["abc", "", "99999999999999999999", "-1"])
def test_a_save_with_a_bad_version_is_a_conflict_not_a_crash(console, version):
    import requests

    before = write_issue(console, 158)
    browser = requests.Session()
    token = csrf_of(browser.get(f"{console.base}/console/login", timeout=10).text)
    browser.post(f"{console.base}/console/login", data={"csrf_token": token, "name": "editor1", "password": PASSWORD},
                 timeout=10)
    page = browser.get(f"{console.base}/console/default/issues/158/edit", timeout=10).text
    answer = browser.post(f"{console.base}/console/default/issues/158/edit", timeout=30, allow_redirects=False,
                          data={"csrf_token": csrf_of(page), "version": version, "issue": "158", "author": "x",
                                "body": "\n# 国内要闻 | Domestic News\n"})
    assert answer.status_code == 409 and saved(console, 158) == before  # before: 500 for "abc"
