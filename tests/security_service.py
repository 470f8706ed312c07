"""The real service for the security tests (issue 21): `wechat-pub run` as a process (console and webhook, with
the sandbox for WeChat), a signed-in editor's session, and an article to put images and names in."""

from __future__ import annotations

import re

import pytest
import requests
from test_console_browser import PASSWORD, SandboxView, start_console

TOKEN = "tok3nForTests"

ARTICLE = """---
issue: {number}
date: 2026-12-02
title:
  zh: 周报
  en: Weekly
---

# 国内要闻 | Domestic News

## 中文标题
## English headline

中文正文。

{images}

---

English body.

Source: [Origin](https://example.org/a)
"""


@pytest.fixture(scope="module", name="service")
def service_fixture(tmp_path_factory):
    """`wechat-pub run` (console and webhook) in a folder of its own, with the sandbox for WeChat."""
    from wechat_pub.sandbox.server import start_in_thread
    from wechat_pub.sandbox.state import SandboxSettings

    folder = tmp_path_factory.mktemp("security")
    settings = SandboxSettings(db_path=str(folder / "sandbox.sqlite3"), publish_delay=0.3)
    sandbox = start_in_thread(settings)
    running = start_console(folder / "site", int(sandbox.url.rsplit(":", 1)[1]),
                            extra=f'[webhook]\ntoken = "{TOKEN}"\n')
    running.sandbox = SandboxView(sandbox, settings)
    yield running
    running.stop()
    sandbox.stop()


@pytest.fixture(name="page")
def page_fixture(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Shanghai")
    yield context.new_page()
    context.close()


def signed_in(base: str, name: str = "editor2") -> requests.Session:
    """A session of the editor ``name`` (sent the CSRF token with every request, as the console's script does)."""
    session = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', session.get(f"{base}/console/login").text).group(1)
    response = session.post(f"{base}/console/login", data={"csrf_token": token, "name": name, "password": PASSWORD},
                            timeout=10)
    assert response.url.endswith("/console/default/"), response.url
    session.headers["X-CSRFToken"] = re.search(r'name="csrf-token" content="([^"]+)"', response.text).group(1)
    return session
