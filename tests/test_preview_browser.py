"""The preview in a real headless Chromium, served by `wechat-pub preview --serve` over a socket."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from conftest import (
    CHROMIUM_ARGS,
    EXAMPLE,
    FULL_CHROMIUM,
    HEADLESS_SHELL,
    ROOT,
    SEED_ARTICLE,
    firm_config,
    free_port,
    real_clock_environment,
    wait_until_responds,
)

SHOTS = ROOT / "preview" / "screenshots"  # kept after the run, to look at


@pytest.fixture
def served(tmp_path):
    """`wechat-pub preview --serve` as a real process, in a folder with the publisher's config."""
    firm_config(tmp_path)
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


# What a follower's phone shows, measured in the page: every text's colour against what it is painted on.
READINGS = """frame => {
  const rgb = s => s.match(/[\\d.]+/g).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92
                     : Math.pow((v + 0.055) / 1.055, 2.4)); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const ground = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
                           if (c.length < 4 || c[3] > 0) return c; } return [255, 255, 255]; };
  const out = [];
  for (const el of frame.querySelectorAll('.wx-body *')) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    if (!own) continue;
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(ground(el))].sort((x, y) => y - x);
    out.push([own.slice(0, 30), (a + 0.05) / (b + 0.05)]);
  }
  const boxes = [...frame.querySelectorAll('.wx-body *')].map(e => rgb(getComputedStyle(e).backgroundColor))
    .filter(c => c.length < 4 || c[3] > 0).map(([r, g, b]) => 0.299 * r + 0.587 * g + 0.114 * b);
  return {readings: out, brightest_box: Math.max(0, ...boxes)};
}"""

# Opening brackets and quotes that a line break separates from what follows them.
STRANDED = """frame => {
  const found = [];
  const walker = document.createTreeWalker(frame.querySelector('.wx-body'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length - 1; i++) {
      if (!'（“‘《「'.includes(node.data[i])) continue;
      const here = document.createRange(); here.setStart(node, i); here.setEnd(node, i + 1);
      const next = document.createRange(); next.setStart(node, i + 1); next.setEnd(node, i + 2);
      if (Math.abs(here.getBoundingClientRect().top - next.getBoundingClientRect().top) > 2)
        found.push(node.data.slice(Math.max(0, i - 5), i + 5));
    }
  }
  return found;
}"""


@pytest.mark.parametrize("theme", ["classic", "ink"])
def test_the_seed_as_followers_read_it(browser, served, theme):
    """The seed at 375 px, light and in WeChat's dark mode (its rules applied): every text 4.5:1 or better, no
    light box on the dark page, no opening bracket or quote left at a line end, and the news within
    1.35 screens. Screenshots: preview/screenshots/seed-<theme>-<light|dark>.png."""
    page = browser.new_page(viewport={"width": 900, "height": 1400})
    page.goto(served(SEED_ARTICLE, "--theme", theme))
    SHOTS.mkdir(parents=True, exist_ok=True)
    for mode in ("light", "dark"):
        frame = page.locator(f".phone.{mode}")
        frame.screenshot(path=str(SHOTS / f"seed-{theme}-{mode}.png"))
        measured = frame.evaluate(READINGS)
        low = [(text, round(ratio, 2)) for text, ratio in measured["readings"] if ratio < 4.5]
        assert len(measured["readings"]) > 40 and low == [], f"{mode}: {low}"
        if mode == "dark":
            assert measured["brightest_box"] < 100  # every box WeChat leaves dark
        assert frame.evaluate(STRANDED) == []
    first = page.evaluate("""() => { const frame = document.querySelector('.phone.light');
        const p = [...frame.querySelectorAll('.wx-body p')].find(p => p.textContent.startsWith('2020年4月15日'));
        return p.getBoundingClientRect().top - frame.getBoundingClientRect().top; }""")
    print(f"{theme}: first news paragraph at y = {first:.0f} px")
    assert first <= 900
    page.close()


def test_the_docs_screenshots_script_makes_every_picture_with_its_images(browser, tmp_path):
    """docs/screenshots/make.py makes the README's pictures again from the code as it is, and refuses a page with
    an image that did not load (a committed screenshot once showed the footer's QR code broken)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_screenshots", ROOT / "docs" / "screenshots" / "make.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    written = script.make(tmp_path, browser)
    committed = sorted(p.name for p in (ROOT / "docs" / "screenshots").glob("*-after.jpg"))
    assert sorted(p.name for p in written) == committed  # every committed picture is one the script makes
    for path in written:
        assert Image.open(path).size[1] in (script.TOP_HEIGHT, script.END_HEIGHT)


@pytest.mark.skipif(not (Path(FULL_CHROMIUM).exists() and Path(HEADLESS_SHELL).exists()),
                    reason="needs both of Debian's chromium programs (.ci/run installs them)")
def test_the_headless_shell_draws_the_preview_as_the_browser_does(playwright, served, tmp_path):
    """The suite's pages run in Debian's chromium-headless-shell (conftest.CHROMIUM): the seed's phone frames,
    light and dark, come out the same in it as in the full chromium, so what the suite sees is what the browser shows."""
    url = served(SEED_ARTICLE, "--theme", "classic")
    shots = {}
    for program in (FULL_CHROMIUM, HEADLESS_SHELL):
        browser = playwright.chromium.launch(executable_path=program, args=CHROMIUM_ARGS, env=real_clock_environment())
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1400})
            page.goto(url)
            for mode in ("light", "dark"):
                target = tmp_path / f"{Path(program).name}-{mode}.png"
                page.locator(f".phone.{mode}").screenshot(path=str(target))
                shots[program, mode] = Image.open(target).convert("RGB")
        finally:
            browser.close()
    for mode in ("light", "dark"):
        full, shell = shots[FULL_CHROMIUM, mode], shots[HEADLESS_SHELL, mode]
        assert full.size == shell.size, mode
        assert ImageChops.difference(full, shell).getbbox() is None, f"{mode}: the two programs drew it differently"
