"""Holes a security review with fresh eyes found on 2026-12-06 (each test failed on the code before its fix): an
approved issue's pictures replaced through the import form with the approval still holding, and a small PDF whose
one picture, drawn many times, took gigabytes to import. (The review's third and fourth, a backslash that makes an
address lead to two hosts, are in test_web_images.py and test_security_inputs.py.)"""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from security_server import console_on

HERE = Path(__file__).parent


@pytest.fixture
def console(tmp_path, database_url, fake_clock, monkeypatch):
    with console_on(tmp_path / "site", database_url, fake_clock.clock, monkeypatch) as running:
        yield running


def png(colour: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return buffer.getvalue()


def issue_with_a_picture(console, picture: bytes | None):
    """Issue 920, whose text shows images/issue-920/figure-1.png (``picture``; None: it is not in the folder),
    synced: (the site, the picture's path)."""
    from wechat_pub.source.article import parse_article
    from wechat_pub.source.writer import write_article

    articles = console.folder / "articles"
    (articles / "images" / "issue-920").mkdir(parents=True)
    if picture is not None:
        (articles / "images" / "issue-920" / "figure-1.png").write_bytes(picture)
    draft = ("---\nissue: 920\ndate: 2026-12-02\ntitle:\n  zh: 周报\n  en: Weekly\n---\n\n"
             "# 国内要闻 | Domestic News\n\n## 中文标题\n## English headline\n\n中文正文。\n\n"
             "![](images/issue-920/figure-1.png)\n\n---\n\nEnglish body.\n\nSource: [Origin](https://example.org/a)\n")
    (articles / "issue-920.md").write_text(write_article(parse_article(draft, str(articles / "issue-920.md")).issue,
                                                         str(articles)), encoding="utf-8")
    site = console.deployment.default
    site.library.sync()
    return site, articles / "images" / "issue-920" / "figure-1.png"


def approved_issue_with_a_picture(console, picture: bytes):
    """Issue 920 (:func:`issue_with_a_picture`), approved by an approver."""
    site, figure = issue_with_a_picture(console, picture)
    assert console.post(console.sign_in("boss"), "/console/default/issues/920/approve",
                        version=str(site.library.row(920).version)).status_code == 302
    assert site.approvals.get(920).text_hash == site.library.row(920).text_hash
    return site, figure


def test_new_pictures_for_an_approved_issue_take_its_approval_back(console):
    """The import form wrote its pictures over images/issue-NNN/figure-K.png; sent with the issue's own approved
    text and "replace", the text and its hash stayed the same, so the approval held and the scheduled send went
    out with pictures no approver saw."""
    from wechat_pub.publish.deliver import editor_without_approval

    site, figure = approved_issue_with_a_picture(console, png("#2266aa"))
    editor = console.sign_in("editor1")
    same = console.post(editor, "/console/default/import/save", text=site.library.row(920).text,
                        filename="issue-920.md", replace="1", picture=base64.b64encode(png("#2266aa")).decode())
    assert same.status_code == 302 and site.approvals.get(920) is not None  # the same picture again: still approved

    response = console.post(editor, "/console/default/import/save", text=site.library.row(920).text,
                            filename="issue-920.md", replace="1", picture=base64.b64encode(png("#ff0000")).decode())
    assert response.status_code == 302 and figure.read_bytes() == png("#ff0000")
    assert site.approvals.get(920) is None and editor_without_approval(site, 920) is not None
    page = editor.get(f"{console.base}/console/default/issues/920", timeout=10).text
    assert "审核已撤回（图片有改动）" in page


def test_pictures_of_an_import_whose_save_failed_have_taken_the_approval_back(console, monkeypatch):
    """The review of the fix above (2026-12-06): the pictures were written before the save, and the approval
    taken back only after it; when the save failed (someone saved meanwhile), the new pictures stayed, the
    approval too, and importing again found nothing to change, so it was never taken back."""
    from wechat_pub.state.issues import StaleVersion

    site, figure = approved_issue_with_a_picture(console, png("#2266aa"))
    editor = console.sign_in("editor1")
    text = site.library.row(920).text

    def someone_saved_meanwhile(*args, before_storing=None, **kwargs):  # (the pictures written, the text refused)
        before_storing()
        raise StaleVersion(920)

    monkeypatch.setattr(site.library, "save", someone_saved_meanwhile)
    response = console.post(editor, "/console/default/import/save", text=text, filename="issue-920.md", replace="1",
                            picture=base64.b64encode(png("#ff0000")).decode())
    assert response.status_code == 302 and figure.read_bytes() == png("#ff0000")
    assert site.approvals.get(920) is None


def test_a_small_pdf_drawing_one_picture_many_times_takes_no_gigabytes():
    """read_pdf decoded every draw of a picture (a picture's pixels were capped, not their sum) and held them all
    before dropping the repeats: 72 KB drawing one 5000x5000 picture 12 times peaked at about 1.3 GB, and any
    editor may import a PDF. Measured in a child process."""
    out = subprocess.run([sys.executable, str(HERE / "pdf_bomb.py"), "12"], capture_output=True, text=True,
                         timeout=300, cwd=HERE.parent)
    assert out.returncode == 0, out.stderr
    line = out.stdout.strip().splitlines()[-1]
    peak = float(line.split("peak RSS=")[1].split(" MB")[0])
    assert peak < 500, line


def test_a_pdfs_pictures_are_decoded_within_a_budget(monkeypatch):
    """Past the PDF's budget of pixels to decode, a picture is left out, and the review says so."""
    from pdf_bomb import bomb_pdf

    from wechat_pub.source import pdfimages
    from wechat_pub.source.pdf import read_pdf

    monkeypatch.setattr(pdfimages, "MAX_PDF_PIXELS", 2 * 100 * 100)
    result = read_pdf(bomb_pdf(1, side=100, distinct=3), "three.pdf")
    assert len(result.images) == 2
    assert any("too many or too large" in line for line in result.skipped_images), result.skipped_images


def _pdf(images, draws) -> bytes:
    ops = ["BT /F1 14 Tf 40 800 Td (Issue 1 Newsletter text here) Tj ET"]
    ops += [f"q {w} 0 0 {h} {x} {y} cm /Im{i} Do Q" for i, x, y, w, h in draws]
    content = "\n".join(ops).encode()
    names = " ".join(f"/Im{n} {6 + n} 0 R" for n in range(len(images)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> "
               b"/XObject << " + names.encode() + b" >> >> /Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"]
    objects += [f"<< /Type /XObject /Subtype /Image {d} /Length {len(raw)} >>\nstream\n".encode() + raw
                + b"\nendstream" for d, raw in images]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


@pytest.mark.parametrize("second", ["/Width 200 /Height 100 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
                                    "/Filter /FlateDecode /Decode [1 0 1 0 1 0]",
                                    "/Width 100 /Height 200 /ColorSpace /DeviceRGB /BitsPerComponent 8 "
                                    "/Filter /FlateDecode"], ids=["inverted", "other-shape"])
def test_two_different_pictures_sharing_stream_bytes_are_both_kept(second):
    """The review of the morning's fix (2026-12-06): a repeat was known by the hash of the image's raw stream
    alone, so two different pictures whose streams hold the same bytes (another /Decode, /Width x /Height) were
    taken for one drawn twice, and both left out 'as decoration'. Every draw is decoded again."""
    import random

    from wechat_pub.source.pdf import read_pdf

    rng = random.Random(1)
    raw = zlib.compress(bytes(rng.randrange(256) for _ in range(200 * 100 * 3)))
    first = "/Width 200 /Height 100 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode"
    result = read_pdf(_pdf([(first, raw), (second, raw)], [(0, 50, 100, 200, 100), (1, 50, 400, 200, 100)]), "x.pdf")
    assert len(result.images) == 2, result.skipped_images


def test_a_picture_whose_data_is_larger_than_its_dictionary_says_is_not_decoded_whole():
    """The same review: the limits were checked against the image dictionary's /Width and /Height, and pdfium
    decodes a JPEG (or JPEG 2000) stream at its own size: a 550 KB PDF saying 100x100 decoded 6000x6000 (36 MP,
    over MAX_PIXELS) and kept it; a 9 KB JPEG 2000 one peaked at 2.1 GB."""
    from PIL import Image

    from wechat_pub.source.pdf import read_pdf
    from wechat_pub.source.pdfimages import MAX_PIXELS

    buffer = io.BytesIO()
    Image.new("RGB", (6000, 6000), (200, 30, 30)).save(buffer, "JPEG", quality=10)
    lying = "/Width 100 /Height 100 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode"
    result = read_pdf(_pdf([(lying, buffer.getvalue())], [(0, 50, 100, 300, 300)]), "x.pdf")
    assert all(image.width * image.height <= MAX_PIXELS for image in result.images), \
        [(image.width, image.height) for image in result.images]


def test_a_pdf_drawing_thousands_of_pictures_is_read_only_so_far():
    """The same review: each picture's box was matched against every picture of its page, with no limit (12,000
    draws of one 64-pixel picture: 60 s of CPU, in the process that also answers followers). At most MAX_DRAWS
    are read, each found by where it is."""
    from wechat_pub.source.pdf import read_pdf
    from wechat_pub.source.pdfimages import MAX_DRAWS

    raw = zlib.compress(bytes(64 * 64 * 3))
    d = "/Width 64 /Height 64 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode"
    draws = [(0, 20 + (k % 50) * 11, 60 + (k // 50) * 11, 10, 10) for k in range(MAX_DRAWS + 500)]
    result = read_pdf(_pdf([(d, raw)], draws), "many.pdf")
    assert f"page 1: more than {MAX_DRAWS} pictures; the rest were left out" in result.skipped_images


def test_the_console_shows_a_scheduled_issue_whose_image_is_missing_as_blocked(console):
    """The review (2026-12-06): `schedule list` said blocked, the console (where the team looks) scheduled."""
    from wechat_pub.publish.status import IMAGES_REFUSED, overview, overview_of, schedule_rows

    site, figure = approved_issue_with_a_picture(console, png("#2266aa"))
    path = site.articles.path / "issue-920.md"
    path.write_text(path.read_text(encoding="utf-8").replace("issue: 920\n", "issue: 920\npublish_at: 2099-01-01 "
                                                                            "09:00\n", 1), encoding="utf-8")
    site.library.sync()
    assert overview_of(site, site.library.row(920)).status in ("scheduled", "awaiting approval")
    figure.unlink()
    assert {row.issue: row.state for row in schedule_rows(site)}[920] == "blocked"
    summary = overview_of(site, site.library.row(920))
    assert (summary.status, summary.advice) == ("blocked", IMAGES_REFUSED)
    assert [row.status for row in overview(site) if row.number == 920] == ["blocked"]


def flate_wrapped_jpeg_pdf(megabytes: int, draws: int) -> bytes:
    """One 100x100 JPEG packed in Flate with ``megabytes`` of zeros after it (a 1 MB PDF unpacks to a GB), drawn
    ``draws`` times."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (100, 100), "red").save(buffer, "JPEG")
    packer = zlib.compressobj(9)
    stream = packer.compress(buffer.getvalue()) + b"".join(packer.compress(bytes(1 << 20)) for _ in range(megabytes))
    d = "/Width 100 /Height 100 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter [/FlateDecode /DCTDecode]"
    return _pdf([(d, stream + packer.flush())], [(0, 50 + 110 * (k % 4), 100 + 110 * (k // 4), 100, 100)
                                                 for k in range(draws)])


def test_a_jpeg_packed_in_flate_is_not_unpacked_whole():
    """The review of the fix above (2026-12-06): reading the JPEG's header unpacked the whole Flate stream (a 1 MB
    PDF: 1 GB, 3 GB peak, 5 s), and pdfium would unpack it again to decode it, for every draw. Now its first
    kilobytes give the header, and data unpacking beyond a picture's size is left out before pdfium sees it."""
    out = subprocess.run([sys.executable, "-c", (
        "import sys; sys.path.insert(0, 'tests')\n"
        "from pdf_bomb import peak_megabytes\n"
        "from test_review9_holes import flate_wrapped_jpeg_pdf\n"
        "from wechat_pub.source.pdf import read_pdf\n"
        "result = read_pdf(flate_wrapped_jpeg_pdf(1000, 2), 'packed.pdf')\n"
        "print(int(peak_megabytes()), result.skipped_images)")],
        capture_output=True, text=True, timeout=300, cwd=HERE.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    peak, skipped = out.stdout.split(" ", 1)
    assert int(peak) < 400 and "whose data is not what the PDF says it is was left out" in skipped, out.stdout


def test_a_jpeg_packed_in_flate_of_its_own_size_is_imported():
    from wechat_pub.source.pdf import read_pdf

    result = read_pdf(flate_wrapped_jpeg_pdf(0, 1), "packed.pdf")
    assert [(image.width, image.height) for image in result.images] == [(100, 100)], result.skipped_images
