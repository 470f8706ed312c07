"""A console of a test's own for the security tests (issue 21): ``create_app`` on a real socket in this
process, over a fresh state database, with an injected clock the test moves; and a signed-in requests
session per user, as a browser would hold it."""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager

import requests
from werkzeug.serving import make_server

from conftest import firm_config, use_database

PASSWORD = "correct horse battery staple"
USERS = (("admin1", "admin"), ("editor1", "editor"), ("boss", "approver"))


ENGLISH = '[console]\nlanguage = "en"\n'  # for tests that read the console's English words


@contextmanager
def console_on(folder, database_url: str, clock, monkeypatch, extra: str = ""):
    """A served :class:`Console` (with a webhook token set), stopped afterwards: what these tests' fixtures share."""
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", "tok3n")
    running = Console(folder, database_url, clock, extra=extra)
    try:
        yield running
    finally:
        running.stop()


class Console:
    def __init__(self, folder, database_url: str, clock, extra: str = ""):
        from wechat_pub.app import create_app
        from wechat_pub.config import load_config
        from wechat_pub.deployment import Deployment

        (folder / "articles").mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.config = firm_config(folder, extra)
        use_database(folder, database_url)
        self.deployment = Deployment(load_config(self.config), clock)
        for name, role in USERS:
            self.deployment.services.users.add(name, role, PASSWORD)
        self.app = create_app(deployment=self.deployment)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.deployment.services.db.dispose()

    def sign_in(self, name: str = "admin1") -> requests.Session:
        browser = requests.Session()
        token = csrf_of(browser.get(f"{self.base}/console/login", timeout=10).text)
        response = browser.post(f"{self.base}/console/login", data={"csrf_token": token, "name": name,
                                                                    "password": PASSWORD}, timeout=10)
        assert response.status_code == 200 and "/console/default/" in response.url, response.text
        return browser

    def post(self, browser: requests.Session, path: str, **data) -> requests.Response:
        """A form of the console posted as the page would (with the CSRF token of the page it is on)."""
        token = csrf_of(browser.get(f"{self.base}/console/default/", timeout=10).text)
        return browser.post(self.base + path, data={"csrf_token": token, **data}, allow_redirects=False, timeout=10)

    def opens(self, cookie: str) -> bool:
        """Whether a saved session cookie, replayed from elsewhere, still opens the console."""
        response = requests.get(f"{self.base}/console/default/", cookies={"session": cookie}, allow_redirects=False,
                                timeout=10)
        assert response.status_code in (200, 302), response.status_code
        return response.status_code == 200


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
