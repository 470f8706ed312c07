"""The preview in a real headless Chromium, served by `wechat-pub preview --serve` over a socket."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLE, ROOT, SEED_ARTICLE, free_port, wait_until_responds

SHOTS = ROOT / "preview" / "screenshots"  # kept after the run, to look at


@pytest.fixture
def served(tmp_path):
    """`wechat-pub preview --serve` as a real process, in a folder with the publisher's config."""
    shutil.copy(ROOT / "config.toml", tmp_path)
    processes = []

    def serve(article: Path, *extra: str) -> str:
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "wechat_pub", "preview", str(article), "--serve",
                                    "--port", str(port), *extra], cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        processes.append(process)
        url = f"http://127.0.0.1:{port}/"
        wait_until_responds(url)
        return url

    yield serve
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("article, theme", [(SEED_ARTICLE, "classic"), (EXAMPLE, "ink")])
def test_phone_frames_light_and_dark(browser, served, article, theme):
    url = served(article, "--theme", theme)
    page = browser.new_page(viewport={"width": 900, "height": 1400})
    page.goto(url)
    frames = page.locator(".phone")
    assert frames.count() == 2
    for index in range(2):
        box = frames.nth(index).bounding_box()
        assert round(box["width"]) == 375
    # nothing wider than the phone: WeChat has no horizontal page scroll
    overflow = page.evaluate("""() => [...document.querySelectorAll('.wx-body')]
        .map(body => body.scrollWidth - body.clientWidth)""")
    assert max(overflow) <= 0
    dark_bg = page.evaluate("getComputedStyle(document.querySelector('.phone.dark')).backgroundColor")
    assert dark_bg == "rgb(25, 25, 25)"
    # every paragraph in the dark frame is painted light enough to read on the dark page
    darkest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('.phone.dark .wx-body p')]
        .map(p => getComputedStyle(p).color.match(/\\d+/g).slice(0, 3).map(Number))
        .map(([r, g, b]) => 0.299 * r + 0.587 * g + 0.114 * b))""")
    assert darkest >= 25 + 65
    images = page.evaluate("() => [...document.querySelectorAll('.wx-body img')].map(i => i.naturalWidth)")
    assert all(width > 0 for width in images)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for mode in ("light", "dark"):
        target = SHOTS / f"{article.stem}-{theme}-{mode}.png"
        page.locator(f".phone.{mode}").screenshot(path=str(target))
        assert target.stat().st_size > 20_000
    page.close()


def test_serve_reloads_edits_and_shows_errors(browser, served, tmp_path):
    article = tmp_path / "live.md"
    shutil.copy(EXAMPLE, article)
    shutil.copytree(EXAMPLE.parent / "images", tmp_path / "images")
    url = served(article)
    page = browser.new_page()
    page.goto(url)
    assert "ICO Publishes Opinion" in page.content()
    article.write_text(article.read_text().replace("ICO Publishes Opinion", "ICO Updates Opinion"))
    page.reload()
    assert "ICO Updates Opinion" in page.content()
    article.write_text(article.read_text().replace("issue: 136", "issue: none"))
    response = page.reload()
    assert response.status == 422 and "issue must be a positive whole number" in page.content()
    page.close()
