"""Review 35: review 34's fixes attacked (the text followers find as roles in pushed_texts, a push while a publish
is under review, the 'scheduled' scope's not_out, the Chinese check's pieces, the PDF import's running lines and
stream limits). Each test fails on the code as committed (c04c7c2) and passes once the hole it names is closed."""

from __future__ import annotations

import shutil
import time

from test_review26_holes import mass
from test_review34_holes import ANY, add_item

from conftest import SEED_ARTICLE, open_site, until


def take_item_back(path) -> None:
    """The story add_item added, taken out again (the team found it wrong): the issue as it was."""
    shutil.copy(SEED_ARTICLE, path)


def send_succeeds(sandbox, site, count: int = 1) -> None:
    """WeChat's MASSSENDJOBFINISH of the ``count``-th send (success), handed to the webhook."""
    from wechat_pub.bot.protocol import parse_xml
    from wechat_pub.sandbox.massevents import mass_event_xml

    sent = until(lambda: [e for e in mass(sandbox) if e["status"] == "SEND_SUCCESS"][count - 1:])[0]
    event = mass_event_xml("gh_sandbox0001", int(sent["msg_id"]), "success", 1200, sent["urls"], int(time.time()))
    assert site.bot().answer_once(parse_xml(event.encode())) == "success"


# ---- Medium: an issue sent by hand and marked so shows followers every later edit of its file ---------------------

def test_an_issue_marked_sent_by_hand_is_found_as_it_was_marked(firm_dir, run_cli):
    """README: an unverified account sends by hand in mp.weixin.qq.com and records it with `wechat-pub mark-sent
    FILE --url URL` (the console's "mark sent" too); followers then find it. Review 34 gave mark-published the
    text of that moment (published(text=...)), but mark_sent() calls pushes.sent() with no text: with no draft of
    ours (the issue was pasted into WeChat's editor, the unverified account's only way), nothing becomes 'live',
    the index reads the file, and a story added to it afterwards (unreviewed, never sent) is answered to followers
    under the sent article's link. Expected: the text as marked is what followers find."""
    (firm_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, firm_dir / "articles")
    run_cli("mark-sent", "articles/issue-135.md", "--url", "https://mp.weixin.qq.com/s/by-hand-135")
    assert "第135期" in run_cli("ask", "苹果").stdout  # marked: found
    add_item(firm_dir / "articles" / "issue-135.md")
    answer = run_cli("ask", "未核实").stdout
    assert "某客户" not in answer, f"an unsent edit of an issue marked sent is answered:\n{answer}"


# ---- Medium: deleting a send after a correction was published brings back the deleted send's text ----------------

def test_deleting_a_send_after_a_published_correction_keeps_the_correction(sandbox_dir, sandbox, run_cli):
    """Issue 135 with an unverified story is sent to the followers. The story turns out wrong: the team takes it out
    of the file and publishes the corrected issue (`push --publish`: a new draft, published, its own links), then
    deletes the send from the followers' chats (`unsend`). published() kept the send's text as 'before'; unsent()
    throws away the 'live' text (the correction's) and brings 'before' (the send's) back as what is out, since a
    publish is still online: the correction, published after the send, whose text 'before' is not. Followers
    asking about the story are answered with it, under the correction's link, which never carried it: the story
    the team took back twice. Expected: the correction's text, the one online, is what followers find."""
    (sandbox_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles")
    path = sandbox_dir / "articles" / "issue-135.md"
    add_item(path)
    site = open_site(sandbox_dir)
    sandbox.settings.mass_delay = 0.05
    run_cli("send", "articles/issue-135.md", "--yes")
    send_succeeds(sandbox, site)
    assert "某客户" in run_cli("ask", "未核实").stdout  # sent: found
    take_item_back(path)
    run_cli("push", "articles/issue-135.md", "--publish")
    until(lambda: site.pushes.get(135).state.value == "published")
    assert "某客户" not in run_cli("ask", "未核实").stdout  # the correction is what is out
    run_cli("unsend", "articles/issue-135.md", "--yes")
    assert site.pushes.published_urls().get(135)  # the correction is still online, and found
    answer = run_cli("ask", "未核实").stdout
    assert "某客户" not in answer, f"the deleted send's story is answered under the correction's link:\n{answer}"


# ---- Medium: deleting a send whose result had not come yet drops what the published article says ----------------

def test_deleting_a_send_before_its_result_came_keeps_the_published_text(sandbox_dir, sandbox, run_cli):
    """Issue 135 is published. The team adds a story and sends the issue (a new draft, 'sending'); the story turns
    out wrong and the team deletes the send at once (`unsend`: WeChat says SEND_SUCCESS, but its
    MASSSENDJOBFINISH has not reached the webhook yet, or never will: the webhook was down), or deletes it in
    mp.weixin.qq.com and the scheduler's message/mass/get finds it DELETE. sent() never ran, so no 'before' text
    was kept; unsent() deletes the 'live' text (the published article's) and has nothing to bring back: the
    index reads the file, and followers are answered with the story just deleted from their chats, under the
    published article's link. Expected: the published article's text stays what followers find."""
    (sandbox_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, sandbox_dir / "articles")
    path = sandbox_dir / "articles" / "issue-135.md"
    run_cli("push", "articles/issue-135.md", "--publish")
    site = open_site(sandbox_dir)
    until(lambda: site.pushes.published_urls().get(135))
    add_item(path)
    sandbox.settings.mass_delay = 0.05
    run_cli("send", "articles/issue-135.md", "--yes")
    until(lambda: [e for e in mass(sandbox) if e["status"] == "SEND_SUCCESS"])  # (its event not handed over)
    assert "某客户" not in run_cli("ask", "未核实").stdout  # 'sending': the published text is what is found
    run_cli("unsend", "articles/issue-135.md", "--yes")
    assert site.pushes.published_urls().get(135)  # the published article is still online, and found
    answer = run_cli("ask", "未核实").stdout
    assert "某客户" not in answer, f"the deleted send's story is answered under the published link:\n{answer}"


# ---- Medium: a PDF whose streams unpack to gigabytes past the new limits -----------------------------------------

def _pdf(objects: list[bytes], xref_stream: bytes | None = None, mb: int = 0) -> bytes:
    """A PDF of ``objects`` (1, 2, ...: catalog first), with a classic xref table, or (``xref_stream``: its
    extra filler) an xref stream whose data is padded with ``mb`` MB of zero bytes before Flate."""
    import struct
    import zlib

    out = bytearray(b"%PDF-1.5\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    if xref_stream is None:
        xref = len(out)
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
        out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(out)
    xref, size = len(out), len(objects) + 2
    rows = struct.pack(">BIH", 0, 0, 65535) + b"".join(struct.pack(">BIH", 1, o, 0) for o in offsets + [xref])
    packer = zlib.compressobj(9)
    packed = packer.compress(rows) + b"".join(packer.compress(b"\0" * 2**20) for _ in range(mb)) + packer.flush()
    out += (f"{size - 1} 0 obj\n<< /Type /XRef /Size {size} /Root 1 0 R /W [1 4 2] /Length {len(packed)} "
            f"/Filter /FlateDecode >>\nstream\n").encode() + packed + b"\nendstream\nendobj\n"
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def twice_packed_bomb(megabytes: int) -> bytes:
    """One page whose content stream (a line of text, then ``megabytes`` MB of spaces) is packed with Flate twice
    (/Filter [/FlateDecode /FlateDecode]): its first layer unpacks to under a MB."""
    import zlib

    packer, spaces = zlib.compressobj(9), b" " * (1024 * 1024)
    once = packer.compress(b"BT /F1 14 Tf 40 800 Td (Issue 1 Newsletter) Tj ET\n")
    once += b"".join(packer.compress(spaces) for _ in range(megabytes)) + packer.flush()
    twice = zlib.compress(once, 9)
    return _pdf(PAGE_OBJECTS + [f"<< /Length {len(twice)} /Filter [/FlateDecode /FlateDecode] >>\nstream\n".encode()
                                + twice + b"\nendstream"])


PAGE_OBJECTS = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
    b"/Contents 5 0 R >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]


def xref_stream_bomb(megabytes: int) -> bytes:
    """One plain page; the PDF's cross-reference stream (read when the file is opened) unpacks to ``megabytes`` MB."""
    content = b"BT /F1 14 Tf 40 800 Td (Issue 1 Newsletter) Tj ET"
    return _pdf(PAGE_OBJECTS + [f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream"],
                xref_stream=b"", mb=megabytes)


BOMB_CHILD = """
import sys
sys.path.insert(0, {tests!r})
from pdf_bomb import peak_megabytes
from test_review35_holes import {maker}
from wechat_pub.source.pdf import PdfUnreadable, read_pdf
data = {maker}({megabytes})
try:
    outcome = repr(read_pdf(data, "bomb.pdf").text[:40])
except PdfUnreadable as exc:
    outcome = exc.message
print(f"pdf={{len(data) // 1024}} KB peak RSS={{peak_megabytes():.0f}} MB -> {{outcome}}")
"""


def _read_in_child(maker: str, megabytes: int) -> tuple[float, str]:
    import subprocess
    import sys
    from pathlib import Path

    here = Path(__file__).parent
    out = subprocess.run([sys.executable, "-c", BOMB_CHILD.format(tests=str(here), maker=maker, megabytes=megabytes)],
                         capture_output=True, text=True, timeout=300, cwd=here.parent)
    assert out.returncode == 0, out.stderr[-2000:]
    line = out.stdout.strip().splitlines()[-1]
    return float(line.split("peak RSS=")[1].split(" MB")[0]), line


def test_a_pdf_whose_text_is_packed_twice_is_not_read_whole():
    """Review 32 refuses a PDF whose streams unpack past 64 MB (one) or 256 MB (all), but pdfstreams counts only a
    stream's first layer of Flate, and a stream may name Flate twice (/Filter [/FlateDecode /FlateDecode]), which
    pdfminer undoes in turn, each whole: 400 MB of spaces packed twice is a 1 KB stream whose first layer is
    400 KB. It passes the check and is read whole: one import of a PDF received from outside takes the memory of
    the process that also answers the followers and runs the schedule (the console takes 20 MB uploads: terabytes
    packed twice). Expected: refused, saying why, without the memory."""
    peak, line = _read_in_child("twice_packed_bomb", 400)
    assert peak < 300, line
    assert "unpacks to more than" in line, line


def test_a_pdf_whose_cross_reference_stream_unpacks_to_gigabytes_is_refused_before_it_is_read():
    """The cost check runs on ``pdf.doc``, after pdfplumber opened the file: pdfminer has by then read the PDF's
    cross-reference stream (PDF 1.5's, what every current exporter writes), inflated whole with no limit. A
    cross-reference stream padded with 400 MB of zeros is a 400 KB file that takes 400 MB+ before any check; it is
    then read as a one-page PDF. Expected: refused, saying why, without the memory (as a content stream is)."""
    peak, line = _read_in_child("xref_stream_bomb", 400)
    assert peak < 300, line
    assert "unpacks to more than" in line, line


# ---- Medium: a running header on the inside pages only is read as an item (a cover and a back page without it) -----

RUNNING = ('<div style="font-size:8pt; width:100%; text-align:center;">网络安全与数据合规周报 · 第135期 · Data Protection '
           'Review No.135</div>')


def test_a_running_header_on_the_inside_pages_only_is_left_out(browser):
    """The commonest newsletter layout: a cover (masthead and contents) and a back page (disclaimer and contact)
    without the running header, the pages between with it. A four-page issue has it on two pages of four; review 32
    now asks two pages in three (three of four), so the header stays in the text: here it becomes an item of its
    own ("网络安全与数据合规周报 · 第135期 · …" with a body) that takes the English text of the item it fell into (the
    EDPB item is left with no English). The import's review does not say so; the team publishes an issue with a
    made-up item and a half-empty one. Review 32's old rule (half the pages) read this issue right. Expected: the
    header is left out, the items are the issue's, each with both its texts."""
    import io
    from dataclasses import replace

    import pypdfium2
    from newsletter_pdf import newsletter_html, print_pdf
    from test_pdf_import import more_links, publisher

    from conftest import SEED
    from wechat_pub.source.importing import read_newsletter_data
    from wechat_pub.source.plaintext import import_plaintext

    brand, footer = publisher()
    seed = import_plaintext(str(SEED), brand=brand, footer=footer).issue
    issue = replace(seed, sections=tuple(replace(section, items=section.items[:1]) for section in seed.sections))
    page = newsletter_html(issue, "column", more_links(issue), footer=footer)
    first = f"<h3>{seed.sections[0].heading.zh} {seed.sections[0].heading.en}</h3>"
    body_at, back_at = page.index(first, page.index(first) + 1), page.index(f"<p>{footer[0]}</p>")
    head = page[:page.index("<body>") + len("<body>")]
    parts = ((page[:body_at] + "</body></html>", False), (head + page[body_at:back_at] + "</body></html>", True),
             (head + page[back_at:], False))
    whole = pypdfium2.PdfDocument.new()
    for part, header in parts:
        whole.import_pages(pypdfium2.PdfDocument(print_pdf(browser, part, running=header, header=RUNNING)))
    saved = io.BytesIO()
    whole.save(saved)
    assert len(whole) == 4  # cover, two inside pages with the header, back page (the layout this is about)
    result, _pdf = read_newsletter_data("issue-135.pdf", saved.getvalue(), brand, footer)
    got = result.issue
    assert [item.headline.zh for item in got.items] == [item.headline.zh for item in issue.items], \
        [item.headline.zh for item in got.items]
    assert all(item.body_zh and item.body_en for item in got.items), [(i.headline.zh, len(i.body_en)) for i in got.items]


# ---- Medium: a published issue disappears from followers' answers while its file is being edited ------------------

HALF_ITEM = ("## 草稿：某客户因数据泄露被罚五千万元（未核实）\n## DRAFT: Client Fined for a Leak (unverified)\n\n草稿正文。\n\n"
             "---\n\nDraft body.\n\nSource: link to come\n\n# 海外动态 | Overseas News")


def test_a_published_issue_is_still_found_while_an_edit_of_its_file_has_errors(firm_dir, run_cli):
    """Review 33/34: followers find the text that went out (pushed_texts 'live'), not an edit made to the file
    since. But FollowerSearch.searchable() keeps only issues whose *current file* is valid (``row.valid``) before
    it looks at the live text: the moment an editor saves a correction in progress with an error (an item whose
    "Source:" line waits for its link: the editor saves as they go, and the console says
    "has errors" and keeps it), the published issue vanishes from every follower's answers, though what went out
    is unchanged and kept. It stays gone for as long as the correction takes (days, when it waits for a
    translator). Expected: the published issue is still found, with the text that went out."""
    (firm_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, firm_dir / "articles")
    path = firm_dir / "articles" / "issue-135.md"
    run_cli("mark-published", "articles/issue-135.md", "--url", "https://mp.weixin.qq.com/s/by-hand-135")
    assert "第135期" in run_cli("ask", "苹果").stdout  # published: found
    path.write_text(path.read_text(encoding="utf-8").replace("# 海外动态 | Overseas News", HALF_ITEM, 1),
                    encoding="utf-8")
    assert run_cli("check", "articles/issue-135.md", expect=ANY).exit_code != 0  # (the edit has an error)
    answer = run_cli("ask", "苹果").stdout
    assert "第135期" in answer, f"the published issue 135 is no longer found while its file has an error:\n{answer}"
