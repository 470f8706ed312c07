"""The console's import page takes the newsletter's PDF (issue 25): what was found, with its links and its chart, is
shown before anything is saved; saving writes the article with every Source line and the chart; a picture the form
sends back is checked again; an upload over the console's size limit is refused as any other."""

from __future__ import annotations

import base64
import re

import pytest
import requests
from newsletter_pdf import newsletter_html, print_pdf
from test_console_browser import console, page, sign_in  # noqa: F401  (fixtures: the running console, a page)
from test_pdf_import import more_links, publisher, seed_issue  # noqa: F401  (fixture: the seed, text-imported)


@pytest.fixture(scope="module")
def seed_pdf(browser, seed_issue, tmp_path_factory):  # noqa: F811
    _, footer = publisher()
    page_html = newsletter_html(seed_issue, "column", more_links(seed_issue), chart_in=seed_issue.items[1].headline.zh,
                                logo=True, footer=footer)
    path = tmp_path_factory.mktemp("pdf") / "issue-135.pdf"
    path.write_bytes(print_pdf(browser, page_html, running=True))
    return path


def read_it(page, base: str, pdf) -> str:  # noqa: F811
    page.goto(f"{base}/console/default/import")
    page.set_input_files("input[name=newsletter]", str(pdf))
    with page.expect_navigation():  # (read at once, the answer can be half parsed)
        page.click("button:has-text('Read it')")
    return page.inner_text("#found")


def test_import_page_takes_the_pdf(console, page, seed_pdf):  # noqa: F811
    sign_in(page, console.base)
    found = read_it(page, console.base, seed_pdf)
    assert "issue 135 (2020-04), 2 section(s), 5 item(s)" in found
    assert "1 picture(s) imported" in found and "left out: a picture of 96×40 pixels repeated 2 times" in found
    assert "made full-width" not in found  # the PDF's Chinese punctuation is as it was written
    articles = console.folder / "articles"
    assert not (articles / "issue-135.md").exists() and not (articles / "images").exists()

    # a picture changed in the form on its way back is refused, and nothing is written
    page.evaluate("(value) => { document.querySelector('input[name=picture]').value = value; }",
                  base64.b64encode(b"<svg onload=alert(1)>").decode())
    page.click("button:has-text('Save as issue-135.md')")
    assert "Not saved: picture 1 cannot be imported" in page.inner_text("body")
    assert not (articles / "issue-135.md").exists() and not (articles / "images").exists()

    read_it(page, console.base, seed_pdf)
    page.click("button:has-text('Save as issue-135.md')")
    page.wait_for_url(re.compile(r".*/issues/135/edit$"))
    article = (articles / "issue-135.md").read_text(encoding="utf-8")
    assert article.count("Source: [mps.gov.cn](<https://www.mps.gov.cn/n") == 5
    assert (articles / "images" / "issue-135" / "figure-1.png").read_bytes()[:4] == b"\x89PNG"
    page.wait_for_function("() => document.getElementById('article-editor').dataset.updated !== undefined", timeout=15000)
    problems = page.inner_text("#problems")
    assert "no source link" not in problems and "image" not in problems.lower()


def test_a_pdf_over_the_upload_limit_is_refused(console):  # noqa: F811
    from wechat_pub.app import CONSOLE_MAX_BODY

    response = requests.post(f"{console.base}/console/default/import", timeout=30,
                             files={"newsletter": ("big.pdf", b"%PDF-1.7\n" + b"0" * (CONSOLE_MAX_BODY + 1))})
    assert response.status_code == 413
