"""The console as a Chinese team meets it (issue 24): Chinese by default on every page with no English left (each
page's visible words checked against the catalogue), English on a switch kept per person and before sign-in,
dates as people write them with the zone named once, usable on a 390 px phone with no sideways scrolling, and
no critical or serious axe-core violation, at 1280 and 390 px. Also the error pages in the console's frame, the
favicon, and the notifications in console.language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import requests
from axe import assert_accessible
from babel.messages.pofile import read_po
from playwright.sync_api import expect
from test_console_browser import PASSWORD, start_console, write_issue
from test_i18n import ZH

from wechat_pub.notify import Notice

WIDTHS = (1280, 390)
# What may stay in Latin letters on a Chinese page: names of things (the product, WeChat's site, file types, the
# zone's IANA name), and what people write themselves (marked data-verbatim in the templates: titles and text of
# articles, recorded details, followers' queries, file names).
ALLOWED = re.compile(r"https?://\S+|[\w.-]+\.(md|pdf|txt)\b|mp\.weixin\.qq\.com|wechat-pub|Asia/Shanghai|"
                     r"\b(CSV|PDF|UTF-8|Markdown|ID|IP|AppSecret|NDRC|English|API)\b|\.(pdf|txt|md)\b|"
                     r"\b(editor1|editor2|boss|phone1)\b")  # the users' names (in labels such as "boss 的角色")
VISIBLE_TEXT = """() => {
  const skip = (el) => el.closest('[data-verbatim], script, style, [lang="en"], option, title, svg');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || skip(el) || !el.checkVisibility() || !node.textContent.trim()) continue;
    parts.push(node.textContent.trim());
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
    if (!skip(el)) parts.push(el.getAttribute('placeholder') || '', el.getAttribute('aria-label') || '');
  }
  return parts.filter((p) => p);
}"""


@pytest.fixture(scope="module")
def console(tmp_path_factory):
    from wechat_pub.sandbox.server import start_in_thread
    from wechat_pub.sandbox.state import SandboxSettings

    folder = tmp_path_factory.mktemp("console-zh")
    settings = SandboxSettings(db_path=str(folder / "sandbox.sqlite3"), publish_delay=0.3)
    sandbox = start_in_thread(settings)
    running = start_console(folder / "site", int(sandbox.url.rsplit(":", 1)[1]), language="zh_CN")
    write_issue(running, 135)
    yield running
    running.stop()
    sandbox.stop()


def new_page(browser, width: int, height: int = 844):
    # bypass_csp: only so that axe-core can be injected; tests/test_console_browser.py holds every page to its CSP
    context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="Asia/Shanghai",
                                  bypass_csp=True)
    return context.new_page()


def sign_in(page, base: str, name: str = "editor1") -> None:
    page.goto(f"{base}/console/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[data-action=sign-in]")
    page.wait_for_url(re.compile(r".*/console/default/$"))


def add_user(console, name: str, role: str) -> None:
    """One more person, made as an admin would (``wechat-pub users add``): for a test whose choices are kept."""
    from wechat_pub.config import load_config
    from wechat_pub.deployment import Deployment

    Deployment(load_config(console.folder / "config.toml")).services.users.add(name, role, PASSWORD)


def english_left(page) -> list[str]:
    """The Latin words of the page's visible text (and of its labels) that are neither allowed nor Chinese."""
    left = []
    for part in page.evaluate(VISIBLE_TEXT):
        rest = ALLOWED.sub(" ", part)
        if re.search(r"[A-Za-z]{2,}", rest):
            left.append(part)
    return left


def untranslated(page) -> list[str]:
    """Message ids of the catalogue that appear on the page as they are (a string shown without its Chinese)."""
    with open(ZH / "messages.po", "rb") as po:
        ids = [message.id for message in read_po(po) if isinstance(message.id, str) and len(message.id) > 12]
    text = page.inner_text("body")
    return [message for message in ids if "%(" not in message and message in text]


def pages(base: str) -> dict[str, str]:
    return {"issues": "/console/default/", "issue": "/console/default/issues/135",
            "calendar": "/console/default/calendar", "import": "/console/default/import",
            "followers": "/console/default/followers", "reach": "/console/default/reach", "audit": "/console/audit", "users": "/console/users",
            "rights": "/console/default/rights", "profile": "/console/profile",
            "not found": "/console/default/issues/999", "editor": "/console/default/issues/135/edit"}


def check_page(page, name: str, width: int) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{name} at {width} px scrolls sideways: {wide} px wide"
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert not english_left(page), f"{name}: English left on the Chinese page: {english_left(page)}"
    assert not untranslated(page), f"{name}: {untranslated(page)}"
    assert_accessible(page, f"{name} at {width} px")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["issues", "issue", "calendar", "import", "followers", "reach", "audit", "users", "rights",
                                  "profile", "not found", "editor"])
def test_every_page_in_chinese_on_a_phone_and_a_desktop_accessible(console, browser, name, width):
    page = new_page(browser, width)
    sign_in(page, console.base)
    response = page.goto(console.base + pages(console.base)[name])
    assert response.status == (404 if name == "not found" else 200)
    check_page(page, name, width)
    if name == "calendar":  # the whole week on the screen (a newcomer's finding: Saturday and Sunday were off it)
        box = page.locator("table.calendar").bounding_box()
        assert box["x"] + box["width"] <= width, box
        assert page.eval_on_selector(".scroll-box", "box => box.scrollWidth <= box.clientWidth")
    if name == "followers":  # its chart's words readable on a phone too (they were 4-5 px high)
        tall = page.eval_on_selector_all("svg.chart text", "texts => texts.map(t => t.getBoundingClientRect().height)")
        assert tall and min(tall) >= 8, tall
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sign_in_page_the_import_review_and_a_403_in_chinese(console, browser, width, tmp_path):
    page = new_page(browser, width)
    page.goto(f"{console.base}/console/login")
    assert page.inner_text("h1") == "登录"
    check_page(page, "login", width)
    sign_in(page, console.base)
    page.goto(f"{console.base}/console/default/import")
    article = tmp_path / "issue-150.md"
    text = (console.folder / "articles" / "issue-135.md").read_text().replace("issue: 135", "issue: 150")
    article.write_text(re.sub(r"^## MPS & CAC .*\n", "", text, count=1, flags=re.M))  # an English headline gone
    page.set_input_files("input[name=newsletter]", str(article))
    with page.expect_navigation():  # (read at once, the answer can be half parsed)
        page.click("button[data-action=read]")
    assert "第 150 期" in page.inner_text("#found")
    problems = page.inner_text("#found ul.problems")  # check's problems in the page's words (were English)
    assert re.search(r"第 \d+ 行：条目“公安部[^”]+”没有英文标题。 在中文标题下面紧接着加“## English headline”。", problems), problems
    check_page(page, "import review", width)
    page.context.close()
    editor = new_page(browser, width)
    sign_in(editor, console.base, "editor2")
    response = editor.goto(f"{console.base}/console/users")
    assert response.status == 403 and "你没有权限这样做" in editor.inner_text("h1")
    assert editor.locator("a[data-way-back]").count() == 1
    check_page(editor, "403", width)
    editor.context.close()


def test_the_language_switch_before_and_after_sign_in_is_kept_per_person(console, browser):
    page = new_page(browser, 1280)
    page.goto(f"{console.base}/console/login")
    page.click("button[data-language=en]")  # before sign-in: this browser's choice
    assert page.get_attribute("html", "lang") == "en" and page.inner_text("h1") == "Sign in"
    sign_in(page, console.base, "boss")
    assert page.inner_text("h1").startswith("Issues")
    page.click("button[data-language=zh_CN]")  # signed in: kept in the profile
    assert page.inner_text("h1").startswith("期刊") and page.get_attribute("html", "lang") == "zh-CN"
    page.click("button[data-language=en]")
    page.context.close()
    other = new_page(browser, 390)  # another browser, no cookie: the person's choice follows them
    sign_in(other, console.base, "boss")
    assert other.inner_text("h1").startswith("Issues")
    other.click("button[data-language=zh_CN]")
    other.context.close()


def test_dates_as_people_write_them_and_the_zone_named_once(console, browser):
    page = new_page(browser, 1280)
    sign_in(page, console.base)
    page.goto(f"{console.base}/console/default/issues/135")
    day = dt.date.today() + dt.timedelta(days=400)  # the served console runs on the real clock: a time ahead of it
    zh = f"{day.year}年{day.month}月{day.day}日 周{'一二三四五六日'[day.weekday()]} 09:00"
    en = f"{day:%a} {day.day} {day:%b} {day.year} 09:00"
    page.fill("input[name=at]", f"{day.isoformat()}T09:00")
    page.click("button[data-action=schedule]")
    # the page the schedule lands on (not the one it left, which also has a card): each waited for until it shows
    expect(page.locator(".flash")).to_contain_text(zh)
    expect(page.locator("section.card").first).to_contain_text(zh)
    html = page.content()
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?[+-]\d{2}:\d{2}", html), "an ISO time on the page"
    assert page.inner_text("body").count("Asia/Shanghai") == 1  # in the footer only
    assert "时间均为中国（上海）时间 (Asia/Shanghai)" in page.inner_text("footer")
    page.goto(f"{console.base}/console/default/")
    assert zh in page.inner_text("tr[data-issue='135']")
    page.click("button[data-language=en]")
    assert en in page.inner_text("tr[data-issue='135']")
    page.click("button[data-language=zh_CN]")
    page.goto(f"{console.base}/console/default/issues/135")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[data-action=unschedule]")
    page.context.close()


def test_on_a_phone_the_menu_opens_by_keyboard_and_the_actions_are_a_thumb_away(console, browser):
    page = new_page(browser, 390)
    sign_in(page, console.base)
    page.goto(f"{console.base}/console/default/issues/135")
    assert not page.locator("header.top nav").is_visible()  # collapsed into the menu
    page.keyboard.press("Tab")  # the skip link first, then the brand, then the menu
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.dataset.menuToggle") == ""
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused control shows no focus"
    page.keyboard.press("Enter")
    assert page.get_attribute("[data-menu-toggle]", "aria-expanded") == "true"
    assert page.locator("header.top nav a[data-nav=calendar]").is_visible()
    bar = page.locator("nav.action-bar")
    assert bar.is_visible()
    box = bar.bounding_box()
    assert box["y"] + box["height"] >= 844 - 2  # at the bottom of the screen
    page.click("nav.action-bar a[href='#approve-push']")
    assert page.locator("button[data-action=push]").is_visible()
    page.context.close()


def test_on_a_phone_the_action_bar_covers_nothing_at_the_bottom_of_the_page(console, browser):
    """A newcomer's finding (2026-12-06): on the issue page the bar at the bottom of the screen covered the
    language switch even scrolled to the end, and a tap on English reached the bar. Signed in as a person of its
    own: the switch is kept in the person's profile, and a failure half-way must not leave English to the tests
    after it (CI, 2026-12-06: it did)."""
    add_user(console, "phone1", "editor")
    page = new_page(browser, 390)
    sign_in(page, console.base, "phone1")
    page.goto(f"{console.base}/console/default/issues/135")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    bar = page.locator("nav.action-bar").bounding_box()
    switch = page.locator("footer.foot form.language").bounding_box()
    assert switch["y"] + switch["height"] <= bar["y"], (switch, bar)
    # the history is a list of cards, each line named (it was a table that broke "editor1" into "ed/ito/r1")
    assert page.eval_on_selector("table.history", "table => getComputedStyle(table).display") == "block"
    # (waited for with expect, which asks again across the navigation the switch starts: a function evaluated
    # while the next page has no document yet failed on a null documentElement)
    page.click("footer.foot button[data-language=en]", timeout=3000)
    expect(page.locator("html")).to_have_attribute("lang", "en", timeout=5000)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.click("footer.foot button[data-language=zh_CN]", timeout=3000)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN", timeout=5000)
    page.context.close()


def test_an_issue_with_errors_lists_them_in_chinese(console, browser):
    """Its page listed the stored problems as check words them, in English ("line 12: this item has two
    headlines but no '---' line …")."""
    text = (console.folder / "articles" / "issue-135.md").read_text().replace("issue: 135", "issue: 154")
    (console.folder / "articles" / "issue-154.md").write_text(text.replace("\n\n---\n\nOn April 15", "\n\nOn April 15", 1))
    page = new_page(browser, 390)
    sign_in(page, console.base)
    page.goto(f"{console.base}/console/default/issues/154")
    problems = page.inner_text("ul.problems")
    assert re.search(r"第 \d+ 行：这一条有两个标题，但中文和英文之间没有“---”分隔行。", problems), problems
    page.context.close()


def test_actions_only_when_they_make_sense(console, browser):
    write_issue(console, 151)
    page = new_page(browser, 1280)
    sign_in(page, console.base, "boss")
    page.goto(f"{console.base}/console/default/issues/151")
    page.click("button[data-action=approve]")
    assert page.locator("button[data-action=approve]").count() == 0  # approved: no second approve
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button[data-action=publish]")
    page.wait_for_function("() => !document.querySelector('button[data-action=publish]')", timeout=5000)
    for _ in range(40):  # the sandbox publishes in 0.3 s
        if page.get_attribute(".status", "data-status") == "published":
            break
        page.wait_for_timeout(250)
        page.reload()
    assert page.get_attribute(".status", "data-status") == "published"
    for action in ("publish", "push", "schedule", "mark-published"):
        assert page.locator(f"button[data-action={action}]").count() == 0, action
    page.context.close()


def test_error_pages_and_the_favicon(console):
    assert requests.get(f"{console.base}/favicon.ico", timeout=10).status_code == 200
    assert requests.get(f"{console.base}/console/static/favicon.ico", timeout=10).status_code == 200
    missing = requests.get(f"{console.base}/console/static/nowhere.js", timeout=10)
    assert missing.status_code == 404 and "没有这个页面" in missing.text and "data-way-back" in missing.text
    assert 'rel="icon"' in missing.text
    webhook = requests.get(f"{console.base}/nowhere", timeout=10)  # outside the console: plain, as before
    assert webhook.status_code == 404 and "<html" not in webhook.text


def test_notifications_speak_the_consoles_language():
    chinese = Notice("立方律师事务所", 135, "pushed", "draft Jx2", "https://pub.lifang.test/console/default/issues/135")
    assert chinese.subject == "✅ 立方律师事务所: 第 135 期已推送到草稿箱"
    assert "如需发表" in chinese.text() and chinese.text().endswith("/issues/135")
    english = Notice("Lifang", 135, "missed", "", "https://x.test/", language="en")
    assert english.subject == "⚠️ Lifang: issue 135 was not pushed: its time was missed"


def test_axe_fails_a_page_with_an_unlabelled_field(browser):
    """The sweep above means something: the same check fails a page with a field nobody can name."""
    from axe import violations

    page = new_page(browser, 390)
    page.set_content('<!doctype html><html lang="en"><title>t</title><main><input type="file"></main></html>')
    assert "label" in [violation["id"] for violation in violations(page)]
    page.context.close()


@pytest.mark.parametrize(("language", "message", "said", "never"), [
    ("zh_CN", "'2020-01-01 09:00' (2020-01-01T09:00:00+08:00) has already passed: it is now 2026-12-05 09:00 in "
              "Asia/Shanghai.\n  hint: Give a time in the future; to send the issue now, use `wechat-pub push`.",
     "请在期刊页面推送。", ("wechat-pub", "+08:00")),
    ("zh_CN", "WeChat refused: errcode 48001 api unauthorized", "微信错误码 48001", ("errcode", "unauthorized")),
    ("en", "Someone edited the draft in WeChat. Copy the edits into the article file and push again, or push "
           "with --force to replace it (WeChat's version is kept).", "tick “replace a draft edited in WeChat”",
     ("--force",)),
    # the failures a team meets most, in its language (before, "详情：" and the English message)
    ("zh_CN", "Could not reach WeChat's draft/add: ConnectTimeout.\n  hint: Check the network and wechat.base_url "
              "(https://api.weixin.qq.com); nothing was lost, run it again.", "连不上微信（ConnectTimeout）",
     ("Could not", "base_url", "详情")),
    ("zh_CN", "WeChat message/mass/sendall failed: today's send is used [errcode 45028: has no masssend quota]",
     "今天的群发次数已用完", ("errcode", "quota")),
    ("zh_CN", "WeChat message/mass/sendall failed: the send waits [errcode 89504: need admin confirm]",
     "请不要再次群发", ("errcode",)),
    ("zh_CN", "console.require_approval is on and it was approved, but changed since: an approver must approve this "
              "version, then push it or set a new time.", "审核之后又有改动", ("require_approval",)),
    ("zh_CN", "issue 135 is not sent: console.require_approval is on and nobody approved it.\n  hint: An approver "
              "approves this version in the console first, then send it.", "需要审核人先审核这一版",
     ("require_approval", "hint")),
    ("zh_CN", "today's 100 phone previews are used.\n  hint: Preview again after midnight Beijing time, or look at "
              "the preview in the console.", "今天的 100 次手机预览已用完", ("today's",)),
    ("zh_CN", "Image https://img.example/chart.png cannot be downloaded from a public web address.\n  hint: Save the "
              "image next to the article and link the file instead.", "无法下载图片“https://img.example/chart.png”",
     ("public web address",)),
    ("zh_CN", "issue 135: a send was started over a day ago and its outcome is unknown (no answer was recorded).\n  "
              "hint: Look in mp.weixin.qq.com → 内容与互动 → 已发表/群发记录: if it went out, run `wechat-pub mark-sent "
              "FILE --url URL`; if not, send it by hand there, then mark it sent.", "标记为已群发",
     ("wechat-pub", "outcome")),
    ("en", "Could not reach WeChat's message/mass/sendall: HTTP 502.", "WeChat could not be reached (HTTP 502)",
     ("Details",)),
    ("zh_CN", "issue 135 is still being sent to the followers.\n  hint: WeChat deletes only a send that has gone "
              "out: try again in a few minutes.", "群发仍在发送中", ("still being sent", "详情")),
    ("zh_CN", "issue 135's send failed: it reached no follower, so there is nothing to delete.\n  hint: To reach "
              "the followers, send it again.", "没有送达任何粉丝", ("reached no follower",)),
])
def test_shared_errors_are_said_in_the_consoles_words(language, message, said, never):
    """A shared (command-line) error at the console's boundary: a WeChat code by its meaning, never a command
    to type or an ISO time with its offset (before issue 24 the console showed them as they were)."""
    from flask import Flask, g

    from wechat_pub.console.i18n import init_i18n
    from wechat_pub.console.words import wechat_error

    app = Flask("words")
    init_i18n(app, language)
    app.extensions["wechat_pub.deployment"] = type("D", (), {"timezone": "Asia/Shanghai"})()
    with app.test_request_context("/elsewhere"):
        g.language = language
        words = wechat_error(message)
    assert said in words, words
    for bad in never:
        assert bad not in words, words


def test_while_the_database_is_away_the_console_says_so_in_its_frame():
    from flask import Flask

    from wechat_pub.console.errors import init_away

    app = Flask("away")
    init_away(app)
    client = app.test_client()
    away = client.get("/console/default/issues/1")
    text = away.get_data(as_text=True)
    assert away.status_code == 503 and "控制台暂不可用" in text and 'href="/console/"' in text  # a way back
    assert "terminal" not in text and "wechat-pub " not in text  # says who to ask, not what to type
    assert client.get("/console/static/console.css").status_code == 200  # in the console's look
    assert client.get("/favicon.ico").status_code == 200
