"""Importing the newsletter's PDF itself (issue 25): PDFs the tests make from the seed and from synthetic issues,
printed by Chromium with real link annotations, a chart, a logo on the first and last page, running headers and page
numbers; in one column, and with Chinese and English side by side. And the PDFs that cannot be imported."""

from __future__ import annotations

import io

import pytest
from newsletter_pdf import chart_png, newsletter_html, print_pdf

from conftest import CONFIG, SEED, firm_config, jpeg_bytes, open_site
from wechat_pub import model as m
from wechat_pub.config import load_config
from wechat_pub.source.importing import read_newsletter_data
from wechat_pub.source.plaintext import import_plaintext
from wechat_pub.synthetic import IssueFactory

BODY_LINK = ("Bluetooth technology", "https://www.bluetooth.com/")
# Chromium writes the text layer of a glyph Noto CJK SC shares between two characters with the lower code point:
# 户 (U+6237) comes out as 戶 (U+6236). A fact of the PDFs these tests make, not of the importer.
SHARED_GLYPHS = str.maketrans({"戶": "户"})


def publisher() -> tuple[list[str], list[str]]:
    cfg = load_config(CONFIG)
    brand = [cfg[f"publisher.{k}"] for k in ("name_zh", "name_en", "newsletter_zh", "newsletter_en")]
    return brand, [cfg["publisher.disclaimer_zh"], cfg["publisher.disclaimer_en"], *cfg["publisher.contact"]]


def more_links(issue: m.Issue) -> dict[str, tuple[str, str]]:
    return {item.headline.zh: (f"https://www.mps.gov.cn/n{index}.html", f"https://en.example.org/news/{index}")
            for index, item in enumerate(issue.items)}


@pytest.fixture(scope="module")
def seed_issue() -> m.Issue:
    brand, footer = publisher()
    return import_plaintext(str(SEED), brand=brand, footer=footer).issue


@pytest.fixture(scope="module")
def seed_pdfs(browser, seed_issue) -> dict[str, bytes]:
    """The seed as its PDF: both layouts, over several pages, with its (More) links, a chart and a logo."""
    _, footer = publisher()
    made = {}
    for layout in ("column", "side"):
        page = newsletter_html(seed_issue, layout, more_links(seed_issue), chart_in=seed_issue.items[1].headline.zh,
                               logo=True, footer=footer, body_link=BODY_LINK)
        made[layout] = print_pdf(browser, page, running=True)
    return made


def text_of(blocks: tuple[m.Block, ...]) -> str:
    """The words of ``blocks``, pictures aside."""
    words = tuple(b for b in blocks if not (isinstance(b, m.Paragraph) and isinstance(b.children[0], m.Image)))
    return m.plain_text(words).translate(SHARED_GLYPHS).replace("\n", "")


@pytest.mark.parametrize("layout", ["column", "side"])
def test_pdf_import_gives_the_text_import_plus_links_and_images(seed_pdfs, seed_issue, layout):
    brand, footer = publisher()
    result, pdf = read_newsletter_data(f"issue-135-{layout}.pdf", seed_pdfs[layout], brand, footer)
    issue = result.issue
    assert (issue.number, issue.date, issue.title) == (seed_issue.number, seed_issue.date, seed_issue.title)
    assert [s.heading for s in issue.sections] == [s.heading for s in seed_issue.sections]
    assert len(issue.items) == len(seed_issue.items) == 5
    links = more_links(seed_issue)
    for want, got in zip(seed_issue.items, issue.items):
        assert got.headline == want.headline
        assert text_of(got.body_zh) == text_of(want.body_zh)
        assert text_of(got.body_en) == text_of(want.body_en)
        zh_url, en_url = links[want.headline.zh]
        assert got.sources == (m.Source(zh_url, "mps.gov.cn"), m.Source(en_url, "en.example.org"))
    assert not result.punctuation  # the PDF has the Chinese punctuation: nothing flattened to put back
    assert result.linked == 5 and result.lost_links == 0
    # the link inside a body stays a link; the chart is in the second item, after its first Chinese paragraph
    linked = [n for n in m.walk_inlines(issue.items[4].body_en) if isinstance(n, m.Link)]
    assert [(n.href, m.plain_text((m.Paragraph(n.children),)).strip()) for n in linked] == [(BODY_LINK[1], BODY_LINK[0])]
    pictures = [n for n in m.walk_inlines(issue.items[1].body_zh) if isinstance(n, m.Image)]
    assert [p.src for p in pictures] == ["images/issue-135/figure-1.png"]
    assert isinstance(issue.items[1].body_zh[1].children[0], m.Image)
    assert len(pdf.images) == 1 and pdf.images[0].kind == "PNG" and pdf.images[0].width == 360
    # the logo on the first and last page is decoration, said in the review; headers and page numbers are dropped
    assert len(pdf.skipped_images) == 1 and "repeated 2 times" in pdf.skipped_images[0]
    assert pdf.running_lines >= 2 * 5
    notes = "\n".join(result.notes)
    assert "NEWSLETTER" not in notes and " / 5" not in notes


def test_import_pdf_from_the_command_line_then_check(tmp_path, monkeypatch, run_cli, seed_pdfs):
    """The issue's 'done when': every item has its Source line, check finds no missing source and no punctuation
    to fix, the chart is in the issue's images folder (and passes the image gate)."""
    firm_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "issue-135.pdf").write_bytes(seed_pdfs["column"])
    imported = run_cli("import", "issue-135.pdf")
    assert "5 item(s) got their Source line" in imported.stdout
    assert "left out: a picture of 96×40 pixels repeated 2 times" in imported.stdout
    article = (tmp_path / "articles" / "issue-135.md").read_text(encoding="utf-8")
    assert article.count("Source: [mps.gov.cn](<https://www.mps.gov.cn/n") == 5
    assert "![figure 1](<images/issue-135/figure-1.png>)" in article
    assert (tmp_path / "articles" / "images" / "issue-135" / "figure-1.png").read_bytes()[:4] == b"\x89PNG"
    checked = run_cli("check", "articles/issue-135.md")
    assert "no source link" not in checked.stdout
    assert "punctuation" not in checked.stdout.lower() and "ASCII" not in checked.stdout
    assert "0 error(s)" in checked.stdout


def test_import_force_with_new_pictures_takes_the_approval_back(tmp_path, monkeypatch, run_cli, seed_pdfs):
    """A reviewer's finding (2026-12-06): `import --force` wrote new pictures over an approved issue's, and its
    approval held (only the console's import took it back)."""
    firm_config(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "issue-135.pdf").write_bytes(seed_pdfs["column"])
    run_cli("import", "issue-135.pdf")
    site = open_site(tmp_path)
    site.library.sync()
    site.approvals.approve(135, site.library.row(135).text_hash, "boss")
    figure = tmp_path / "articles" / "images" / "issue-135" / "figure-1.png"
    figure.write_bytes(jpeg_bytes(40, 40, "#112233"))  # what the approver saw: another picture
    said = run_cli("import", "issue-135.pdf", "--force")
    assert "issue 135's pictures changed: its approval was withdrawn" in said.stderr
    assert open_site(tmp_path).approvals.get(135) is None
    site.library.sync()  # the same into the account's folder named with -o (the review: that skipped it)
    site.approvals.approve(135, site.library.row(135).text_hash, "boss")
    figure.write_bytes(jpeg_bytes(40, 40, "#445566"))
    said = run_cli("import", "issue-135.pdf", "--force", "-o", "articles")
    assert "its approval was withdrawn" in said.stderr and open_site(tmp_path).approvals.get(135) is None


def test_synthetic_issue_over_many_pages(browser):
    """A generated issue of three sections over several pages (headers, page numbers), Chinese beside English."""
    issue = IssueFactory(seed=7).issue(number=212, sections=3, items_per_section=3, paragraphs=2, sentences=6)
    links = {item.headline.zh: (item.sources[0].url, "") for item in issue.items}
    data = print_pdf(browser, newsletter_html(issue, "side", links), running=True)
    result, pdf = read_newsletter_data("synthetic.pdf", data, [], [])
    got = result.issue
    assert got.number == 212 and got.date == "2026-12-02"
    assert [i.headline for i in got.items] == [i.headline for i in issue.items]
    for want, item in zip(issue.items, got.items):
        assert text_of(item.body_zh) == text_of(want.body_zh).replace("\n", "")
        assert m.plain_text(item.body_en).replace("\n", " ") == m.plain_text(want.body_en).replace("\n", " ")
        assert [s.url for s in item.sources] == [want.sources[0].url]
    assert pdf.running_lines >= 4 and not result.notes


# ---- what cannot be read: a clear message, and nothing written -------------------------------------------


def failing_import(tmp_path, run_cli, name: str, data: bytes) -> str:
    firm_config(tmp_path)
    (tmp_path / name).write_bytes(data)
    result = run_cli("import", name, expect=1)
    assert not (tmp_path / "articles").exists() or not any((tmp_path / "articles").rglob("*.*"))
    return result.stderr + result.stdout


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_scanned_pdf_is_refused(in_tmp, run_cli):
    from PIL import Image

    scan = io.BytesIO()
    Image.open(io.BytesIO(chart_png())).save(scan, "PDF")  # an image-only page, as a scanner makes
    said = failing_import(in_tmp, run_cli, "scan.pdf", scan.getvalue())
    assert "has no text layer" in said and "OCR" in said


def test_an_encrypted_pdf_is_refused(in_tmp, run_cli, seed_pdfs):
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(seed_pdfs["column"])))
    writer.encrypt(user_password="secret", owner_password="owner")
    locked = io.BytesIO()
    writer.write(locked)
    said = failing_import(in_tmp, run_cli, "locked.pdf", locked.getvalue())
    assert "protected by a password" in said and "without one" in said


def test_a_truncated_pdf_is_refused(in_tmp, run_cli, seed_pdfs):
    data = seed_pdfs["column"]
    said = failing_import(in_tmp, run_cli, "cut.pdf", data[: len(data) * 2 // 3])
    assert "is damaged" in said and "cut short" in said


def test_a_damaged_pdf_is_refused(in_tmp, run_cli):
    said = failing_import(in_tmp, run_cli, "broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage\n%%EOF\n")
    assert "is damaged" in said and "export the PDF again" in said


def test_a_pdf_that_is_not_a_newsletter_is_refused(in_tmp, run_cli, browser):
    data = print_pdf(browser, "<html><body><h1>Invoice</h1><p>Amount due: 120 EUR. Thank you.</p></body></html>")
    said = failing_import(in_tmp, run_cli, "invoice.pdf", data)
    assert "no section headings found" in said


def test_fonts_without_a_unicode_map_are_named_by_page(seed_pdfs):
    import pypdf

    from wechat_pub.source.pdf import read_pdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(seed_pdfs["column"])))
    fonts = writer.pages[1]["/Resources"]["/Font"]
    for key in list(fonts)[:1]:
        fonts[key].get_object().pop("/ToUnicode", None)
    stripped = io.BytesIO()
    writer.write(stripped)
    warnings = read_pdf(stripped.getvalue(), "nomap.pdf").warnings
    assert warnings and warnings[0].startswith("page ") and "no Unicode map" in warnings[0]


def test_only_web_links_are_kept_and_text_cannot_forge_one(browser):
    """A PDF's javascript: link is not kept (and said); a text file carrying the reader's private marks gets no link
    from them (the marks are stripped before the text is read)."""
    from wechat_pub.source.pdf import read_pdf

    page = "<html><body><p>国内要闻 Domestic News</p><p><a href='javascript:alert(1)'>click</a></p></body></html>"
    pdf = read_pdf(print_pdf(browser, page), "evil.pdf")
    assert "javascript" not in pdf.text and any("javascript:" in w and "not kept" in w for w in pdf.warnings)
    forged = SEED.read_text(encoding="utf-8").replace("(More)", "\ue000javascript:alert(1)\ue001(More)\ue002", 1)
    issue = import_plaintext("forged.txt", forged).issue
    assert not [n for n in m.walk_inlines(issue.items[0].body_en) if isinstance(n, m.Link)]
    assert not issue.items[0].sources


def test_pictures_are_not_written_through_a_symlink_out_of_the_articles_folder(in_tmp, run_cli, seed_pdfs):
    """The images folder of the issue, planted as a link to elsewhere, is refused: nothing lands outside."""
    firm_config(in_tmp)
    outside = in_tmp / "outside"
    outside.mkdir()
    (in_tmp / "articles" / "images").mkdir(parents=True)
    (in_tmp / "articles" / "images" / "issue-135").symlink_to(outside)
    (in_tmp / "issue-135.pdf").write_bytes(seed_pdfs["column"])
    said = run_cli("import", "issue-135.pdf", expect=1)
    assert "leads out of the articles folder" in said.stderr
    assert not any(outside.iterdir()) and not (in_tmp / "articles" / "issue-135.md").exists()
