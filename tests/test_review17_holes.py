"""Review 17: the pictures an issue's text shows kept in the database (issues.shown, 24b0414) and an issue's text and
pictures stored in one transaction (033cc90). Each test failed on 033cc90."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import update
from test_one_truth import article, hosts, sync  # noqa: F401  (the fixture)
from test_sync_known import _image_article, three_hosts  # noqa: F401

from conftest import jpeg_bytes, open_site
from wechat_pub.state.schema import issues

LATE = "images/late.jpg"


def _awaiting(folder, number: int = 7) -> None:
    """Issue ``number`` in ``folder``, showing images/late.jpg, which is not there yet."""
    (folder / "articles" / "images").mkdir(exist_ok=True)
    (folder / "articles" / f"issue-{number}.md").write_text(_image_article(number, "中文文。", "late.jpg"),
                                                            encoding="utf-8")


def test_a_late_picture_takes_back_an_approval_given_before_it_was_there(hosts):  # noqa: F811
    """Issue 7's text shows images/late.jpg, in no host's folder yet; synced. The picture is copied into the
    approver's host b (not synced yet): the console lets them approve version 1 (no picture missing there), their
    page showing b's picture. Host a gets ANOTHER picture under that name and syncs first: version 2 with a's
    picture. _put_files takes an approval back only for a picture *replaced* (one the database had before), not
    for one added, so the approval of version 1 (a text hash) still holds, and a's picture, which no approver ever
    saw, is what a scheduled publish takes out. The README says a picture the text showed before it was there
    'takes the issue's approval back', as a replaced one does. (One host does it too: the approver's page is drawn
    while the picture is missing, shown broken; it lands before the click, which then passes; the sync adds it.)"""
    from wechat_pub.console.issues import _pictures_refused

    a, b = hosts
    _awaiting(a)
    sync(a), sync(b)
    seen, unseen = jpeg_bytes(300, 200, colour="#226644"), jpeg_bytes(300, 200, colour="#cc0000")
    (b / "articles" / "images").mkdir(exist_ok=True)
    (b / "articles" / LATE).write_bytes(seen)
    approver = open_site(b)
    row = approver.library.row(7)
    assert not _pictures_refused(approver, row)  # (the console's approve lets it through on b)
    assert approver.approvals.approve(7, row.text_hash, "boss", row.version)
    (a / "articles" / LATE).write_bytes(unseen)
    sync(a)
    assert approver.library.store.files(7)[LATE][1] == unseen  # (version 2: a's picture)
    approval, now = approver.approvals.get(7), approver.library.row(7)
    assert approval is None or approval.text_hash != now.text_hash, (
        f"version {row.version} approved with b's picture; version {now.version} goes out with a's, never seen")


@pytest.fixture
def console(tmp_path, database_url, fake_clock, monkeypatch):
    from security_server import console_on

    with console_on(tmp_path / "site", database_url, fake_clock.clock, monkeypatch) as running:
        yield running


def test_an_editors_text_is_not_published_without_an_approver_once_a_late_picture_arrives(console):
    """An editor (below approver) writes issue 7 in the console: a schedule only makes a draft of it until an
    approver approves (editor_without_approval: the version's author is the editor). The text shows
    images/issue-921/figure-1.png, which is not there yet; the editor then imports issue 921 with one picture (the
    console's import names it so: picture_src, predictable). The import writes it into the folder and stores it for
    921; the next sync finds issue 7's awaited picture arrived and saves issue 7 again, credited to the HOST, whose
    changes editor_without_approval takes as the operators' own: the editor's unapproved text is published or sent
    at its time. (A `git pull` bringing the picture does the same, without any hostile intent.)"""
    from test_review9_holes import png

    from wechat_pub.publish.deliver import editor_without_approval

    site = console.deployment.default
    articles = console.folder / "articles"
    (articles / "issue-7.md").write_text(article(7), encoding="utf-8")
    site.library.sync()
    row = site.library.row(7)
    shown = "images/issue-921/figure-1.png"
    # (the editor's Save: console/editor.py saves through Library.save as the signed-in user)
    row = site.library.save(row.filename, row.text.replace("中文正文。", f"编辑写的正文。\n\n![]({shown})"),
                            row.version, "editor1")
    assert row.updated_by == "editor1" and shown in (row.shown or ()), (row.updated_by, row.shown)
    assert editor_without_approval(site, 7) is not None  # (a schedule would only make a draft of it)
    editor = console.sign_in("editor1")
    other = article(921).replace("中文正文。", f"中文正文。\n\n![]({shown})")
    answer = console.post(editor, "/console/default/import/save", text=other, filename="issue-921.md",
                          picture=base64.b64encode(png("#ff0000")).decode())
    assert answer.status_code == 302 and (articles / shown).exists(), answer.status_code
    report = site.library.sync()  # the service's next sync
    assert editor_without_approval(site, 7) is not None, (
        f"issue 7 (the editor's text) is now version {site.library.row(7).version} by "
        f"{site.library.row(7).updated_by!r}: published without an approver", report.imported)


def test_a_late_picture_reaches_the_database_after_a_host_of_the_release_before_changed_the_text(hosts):  # noqa: F811
    """A rolling upgrade: host b still runs the release before 0011 (its service checked the schema when it
    started) while a has upgraded. Issue 7 showed images/one.jpg (there; its paths kept: ["images/one.jpg"]). b's
    editor changes the text to show images/two.jpg instead, not there yet: b's UPDATE knows no `shown`, so the row,
    version 2, keeps the paths of version 1 (not NULL, so no sync ever reads them again). a writes the new text;
    then images/two.jpg arrives in a's folder: arrived() looks at ["images/one.jpg"], which the database has, and
    the picture never reaches the database (the hole 24b0414 closed, open again for that issue for good)."""
    a, _b = hosts
    (a / "articles" / "images").mkdir()
    (a / "articles" / "images" / "one.jpg").write_bytes(jpeg_bytes(300, 200, colour="#113355"))
    (a / "articles" / "issue-7.md").write_text(_image_article(7, "中文文。", "one.jpg"), encoding="utf-8")
    sync(a)
    store = open_site(a).library.store
    row = store.get(7)
    text = _image_article(7, "乙方的修改。", "two.jpg")
    from wechat_pub.source.files import hash_text

    with store.db.begin() as conn:  # (what the release before's IssueStore.save writes: every column but `shown`)
        conn.execute(update(issues).where(issues.c.number == 7, issues.c.version == row.version).values(
            text=text, text_hash=hash_text(text), version=row.version + 1, updated_by="b"))
    assert sync(a).written == ["issue-7.md"]
    picture = jpeg_bytes(300, 200, colour="#446688")
    (a / "articles" / "images" / "two.jpg").write_bytes(picture)
    report = sync(a)
    assert "images/two.jpg" in store.files(7), ("the picture never reaches the database", store.get(7).shown,
                                                report.imported)


def test_a_hand_edited_paths_value_does_not_stop_every_hosts_sync(hosts):  # noqa: F811
    """issues.shown is a JSON list; an admin fixing a row by hand (or a script) writes a plain path there, as
    the column's name suggests: `UPDATE issues SET shown = 'images/late.jpg'`. _row() runs json.loads on every
    row every read: IssueStore.all raises, and every host's sync (and the console's issue lists, status, the
    scheduler) fails on that one row until someone finds it in the database. A value the sync cannot read should
    be taken as 'not known' (NULL: read again from the text), not stop everything."""
    a, b = hosts
    _awaiting(a)
    (a / "articles" / "issue-8.md").write_text(article(8), encoding="utf-8")
    sync(a), sync(b)
    store = open_site(a).library.store
    with store.db.begin() as conn:
        conn.execute(update(issues).where(issues.c.number == 7).values(shown=LATE))
    (b / "articles" / "issue-8.md").write_text(article(8, "乙方的修改。"), encoding="utf-8")
    assert sync(b).imported == ["issue-8.md"]  # (another issue's edit still travels)
    (a / "articles" / LATE).write_bytes(jpeg_bytes(300, 200, colour="#446688"))
    sync(a)
    assert LATE in store.files(7)


def test_a_late_picture_shared_with_another_issue_never_takes_that_issues_newer_copy_away(three_hosts):  # noqa: F811
    """Issues 2 and 10 both show images/logo.jpg. Issue 2 has it in the database (W); issue 10 was written on c,
    whose folder had no logo, so the database awaits it for 10. a syncs (issue 10's text comes; its arrival is
    looked at from the next sync on). b replaces the logo (X) and syncs: issue 2, version 2, with X. a's service
    syncs before b's next one: issue-10.md comes before issue-2.md, its awaited logo is 'here' (a's old W, which a
    never changed) and is sent with issue 10 (newer_elsewhere looks at issue 10's pictures only); then issue 2 writes
    X over it. At a's next sync the record says X, issue 10 writes W back, and issue 2 finds its X 'replaced here'
    by W and sends it: b's new logo is gone from the database, from every folder and from .conflicts, without a
    word (a race of two services' syncs, a few seconds wide)."""
    a, b, c = three_hosts
    (a / "articles" / "images").mkdir()
    old, new = jpeg_bytes(300, 200, colour="#111111"), jpeg_bytes(300, 200, colour="#cc3300")
    (a / "articles" / "images" / "logo.jpg").write_bytes(old)
    (a / "articles" / "issue-2.md").write_text(_image_article(2, "中文文。", "logo.jpg"), encoding="utf-8")
    sync(a), sync(b)
    (c / "articles" / "issue-10.md").write_text(_image_article(10, "丙方的。", "logo.jpg"), encoding="utf-8")
    sync(c)
    store = open_site(a).library.store
    assert not store.files(10) and store.get(10).shown == ("images/logo.jpg",)  # (awaited)
    sync(a)
    (b / "articles" / "images" / "logo.jpg").write_bytes(new)
    assert "issue-2.md" in sync(b).imported
    reports = [sync(a), sync(a), sync(b)]
    kept = [store.files(number)["images/logo.jpg"][1] for number in (2, 10)]
    for folder in (a, b, c):
        kept += [path.read_bytes() for path in (folder / "articles").rglob("*.jpg")]
    somewhere = new in kept
    assert somewhere, ("b's new logo is nowhere", [report.imported for report in reports])
