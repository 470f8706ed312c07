"""Make the console's screenshots in docs/screenshots/ again, in Chinese (the console's default), from the code as
it is: the main pages (issues, an issue, the calendar, import, followers) at a desktop's 1280 px and a phone's
390 px, for README.zh-CN.md.

    python docs/screenshots/console.py            # rewrites docs/screenshots/console-zh-<page>-<width>.png
    python docs/screenshots/console.py OUT_DIR    # writes them elsewhere

It serves a throwaway console (`wechat-pub run` in a temporary folder, with this repository's config.toml, the
seed issue and its own sandbox on a free port), signs in as a user it creates, and drives Debian's Chromium with
Playwright, as the tests do. Nothing reaches WeChat."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-sync"]
PAGES = {"issues": "/console/default/", "issue": "/console/default/issues/135", "calendar": "/console/default/calendar",
         "import": "/console/default/import", "followers": "/console/default/followers"}
WIDTHS = {1280: 900, 390: 844}
USER, PASSWORD = "市场部", "a long password for screenshots"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(folder: Path) -> tuple[subprocess.Popen, str]:
    """A console on the seed issue in ``folder``, with one admin; its address once it answers."""
    shutil.copytree(ROOT / "assets", folder / "assets")
    (folder / "articles").mkdir()
    shutil.copy(ROOT / "articles" / "issue-135.md", folder / "articles")
    (folder / "config.toml").write_text((ROOT / "config.toml").read_text(encoding="utf-8")
                                        + f"\n[sandbox]\nport = {free_port()}\n", encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith("WECHAT_PUB_")}
    run = [sys.executable, "-m", "wechat_pub"]
    subprocess.run([*run, "user", "add", USER, "--role", "admin", "--password-stdin"], cwd=folder, env=env,
                   input=PASSWORD, text=True, check=True, capture_output=True)
    port = free_port()
    process = subprocess.Popen([*run, "run", "--port", str(port)], cwd=folder, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"{base}/healthz", timeout=2)
            return process, base
        except requests.ConnectionError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the console did not start within 30 s")


def shoot(browser, base: str, out: Path) -> list[Path]:
    written = []
    for width, height in WIDTHS.items():
        context = browser.new_context(viewport={"width": width, "height": height}, timezone_id="Asia/Shanghai",
                                      locale="zh-CN")  # the date fields as a Chinese browser shows them
        page = context.new_page()
        page.goto(f"{base}/console/login")
        page.fill("input[name=name]", USER)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[data-action=sign-in]")
        page.wait_for_url(f"{base}/console/default/")
        for name, path in PAGES.items():
            page.goto(base + path)
            target = out / f"console-zh-{name}-{width}.png"
            page.screenshot(path=str(target), full_page=width > 400)  # a phone: one screen, as people see it
            written.append(target)
        context.close()
    return written


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        process, base = serve(Path(scratch))
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                for path in shoot(browser, base, out):
                    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
                browser.close()
        finally:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent)
