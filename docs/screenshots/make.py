"""Make the screenshots in docs/screenshots/ again from the code as it is: the seed issue (articles/issue-135.md)
in each theme, light beside WeChat-dark, at the top and at the end (the footer with the QR code).

    python docs/screenshots/make.py            # rewrites docs/screenshots/seed-<theme>-<top|end>-after.jpg
    python docs/screenshots/make.py OUT_DIR    # writes them elsewhere (the tests do, to check this script)

It drives Debian's Chromium with Playwright, as the tests do, and stops with an error when an image on the page
did not load (a broken QR code would otherwise be committed as a picture). The ``-before`` pictures are kept as a
record of how the seed looked before the dark-mode work; nothing makes them again."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "articles" / "issue-135.md"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
TOP_HEIGHT, END_HEIGHT = 1500, 1000
BROKEN_IMAGES = "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src)"
PHONES = """() => { const boxes = [...document.querySelectorAll('.phone')].slice(0, 2).map(p => p.getBoundingClientRect());
    const left = Math.min(...boxes.map(b => b.left)), right = Math.max(...boxes.map(b => b.right));
    return {x: left + scrollX, y: Math.min(...boxes.map(b => b.top)) + scrollY, width: right - left,
            height: Math.max(...boxes.map(b => b.height))}; }"""


def preview_file(theme: str, folder: Path) -> Path:
    """The seed's preview page in ``theme``, written by `wechat-pub preview` with this repository's config."""
    page = folder / f"seed-{theme}.html"
    subprocess.run([sys.executable, "-m", "wechat_pub", "preview", str(SEED), "--theme", theme, "-o", str(page)],
                   cwd=ROOT, check=True, capture_output=True, text=True)
    return page


def shoot(browser, page_file: Path, theme: str, out: Path) -> list[Path]:
    page = browser.new_page(viewport={"width": 900, "height": 1400})
    try:
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        broken = page.evaluate(BROKEN_IMAGES)
        if broken:
            raise SystemExit(f"{theme}: images did not load: {broken}")
        box = page.evaluate(PHONES)
        shots = {"top": {**box, "height": min(TOP_HEIGHT, box["height"])},
                 "end": {**box, "y": box["y"] + max(0, box["height"] - END_HEIGHT),
                         "height": min(END_HEIGHT, box["height"])}}
        written = []
        for where, clip in shots.items():
            target = out / f"seed-{theme}-{where}-after.jpg"
            page.screenshot(path=str(target), clip=clip, full_page=True, type="jpeg", quality=85)
            written.append(target)
        return written
    finally:
        page.close()


def make(out: Path, browser) -> list[Path]:
    """Every screenshot into ``out``, taken with ``browser`` (a Playwright Chromium)."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as folder:
        for theme in ("classic", "ink"):
            written += shoot(browser, preview_file(theme, Path(folder)), theme, out)
    return written


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for path in make(out, browser):
                print(path)
        finally:
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
