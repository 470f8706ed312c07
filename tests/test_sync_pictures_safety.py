"""Pictures written safely (a fourth review's findings, 2026-12-06; each test failed on 5f74eb9): never through a
link out of the articles folder; a refused picture kept aside without holding back a good one, and said as such;
an import that fails after writing its pictures puts the folder back, so no sync takes them as the host's."""

from __future__ import annotations

import os

import pytest
from test_one_truth import article, hosts, sync  # noqa: F401  (the fixture)

from conftest import jpeg_bytes, open_site

LOGO = "images/logo.jpg"


def _logo_article(number: int, body: str, *pictures: str) -> str:
    return article(number, body + "".join(f"\n\n![图]({p})" for p in (pictures or (LOGO,))))


def test_a_picture_replaced_here_by_a_symlink_out_of_the_folder_is_never_written_through(hosts, tmp_path):  # noqa: F811
    """_all_usable sends an issue whose picture was replaced here by a file a push refuses to _write_files, which
    writes the database's bytes with Path.write_bytes: through a symlink (a git checkout can hold one; write_pictures
    refuses them with O_NOFOLLOW for that reason). images/logo.jpg made a link to a file outside the articles folder
    (the state database, ~/.ssh/authorized_keys, the config) is overwritten with the picture's bytes at the next sync,
    which is not even a text change (before 7dcdea7 this path only read the file); _set_aside also copies the link's
    target (not the link) into .conflicts/, inside the folder the team keeps in git."""
    a, _b = hosts
    (a / "articles" / "images").mkdir()
    (a / "articles" / LOGO).write_bytes(jpeg_bytes(300, 200, colour="#111111"))
    (a / "articles" / "issue-4.md").write_text(_logo_article(4, "中文文。"), encoding="utf-8")
    sync(a)
    outside = tmp_path / "outside-the-folder.txt"
    outside.write_text("not the articles folder's: a secret, a key, a database\n")
    (a / "articles" / LOGO).unlink()
    os.symlink(outside, a / "articles" / LOGO)
    report = sync(a)
    assert outside.read_bytes() == b"not the articles folder's: a secret, a key, a database\n", \
        ("the sync wrote the picture through a symlink out of the folder", report.conflicts)
    conflicts = a / "articles" / ".conflicts"
    assert not any(b"a secret" in p.read_bytes() for p in conflicts.iterdir()) if conflicts.exists() else True


def test_a_valid_picture_replaced_here_is_sent_even_when_another_of_the_issue_cannot_be(hosts):  # noqa: F811
    """_all_usable is all or nothing per issue: one picture replaced by a WebP sends the whole issue to
    _write_files, which keeps aside every picture that differs here, the good replacement too, and reports each as
    'changed here and in the database' (the database changed neither). The team's new JPEG never travels; the
    message sends them looking for another host's edit that does not exist."""
    a, _b = hosts
    (a / "articles" / "images").mkdir()
    good = "images/good.jpg"
    (a / "articles" / LOGO).write_bytes(jpeg_bytes(300, 200, colour="#111111"))
    (a / "articles" / good).write_bytes(jpeg_bytes(300, 200, colour="#222222"))
    (a / "articles" / "issue-4.md").write_text(_logo_article(4, "中文文。", LOGO, good), encoding="utf-8")
    sync(a)
    new = jpeg_bytes(300, 200, colour="#00cc00")
    (a / "articles" / good).write_bytes(new)
    (a / "articles" / LOGO).write_bytes(b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(32))
    report = sync(a)
    stored = open_site(a).library.store.files(4)[good][1]
    assert stored == new, ("the good replacement was kept aside, not sent", report.imported, report.conflicts)


def test_a_picture_a_push_refuses_is_reported_as_such_not_as_a_change_in_the_database(hosts):  # noqa: F811
    """A WebP (or a git-lfs pointer, an empty file) put in place of the issue's picture is kept aside with the
    message of a two-sided conflict: 'changed here and in the database (by <whoever saved the issue last>)'. Nobody
    changed it in the database; what the team needs to hear is that the file is not a JPEG, PNG or GIF."""
    a, _b = hosts
    (a / "articles" / "images").mkdir()
    (a / "articles" / LOGO).write_bytes(jpeg_bytes(300, 200, colour="#111111"))
    (a / "articles" / "issue-4.md").write_text(_logo_article(4, "中文文。"), encoding="utf-8")
    sync(a)
    (a / "articles" / LOGO).write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 +
                                        b"\nsize 12345\n")
    [line] = sync(a).conflicts
    assert "changed here and in the database" not in line, line


@pytest.fixture
def console(tmp_path, database_url, fake_clock, monkeypatch):
    from security_server import console_on

    with console_on(tmp_path / "site", database_url, fake_clock.clock, monkeypatch) as running:
        yield running


def _credited_to_the_host(site, number: int, picture: bytes, relpath: str) -> str | None:
    """Why the editor's ``picture`` is in the database as this host's change (a schedule publishes it without an
    approver), or None."""
    from wechat_pub.publish.deliver import editor_without_approval

    stored = site.library.store.files(number).get(relpath, ("", b""))[1]
    if stored == picture and editor_without_approval(site, number) is None:
        return f"the editor's picture is in the database, version by {site.library.row(number).updated_by!r}"
    return None


def test_an_import_whose_second_picture_cannot_be_written_leaves_no_picture_for_the_host_to_take(console):
    """write_pictures withdraws the approval, then writes the pictures one by one; the second one failing (a
    symlink there, which O_NOFOLLOW refuses; a full disk; a read-only file) raises an OSError that import_save does
    not catch (a 500 page), after the first picture was written into the folder. Library.save releases its lock with
    nothing stored and nothing recorded, so the service's next sync, not forced, finds figure-1 'replaced here' and
    sends it as the host's change: the editor's picture, with the approval already taken back, is what a schedule
    publishes without an approver (the hole 7dcdea7 closed, open again on any failed write)."""
    import base64

    from test_review9_holes import issue_with_a_picture, png

    site, figure = issue_with_a_picture(console, png("#2266aa"))
    second = figure.with_name("figure-2.png")
    (figure.parent / "shared.png").write_bytes(png("#2266aa"))
    os.symlink("shared.png", second)  # (an editor's link to a picture the issue shares)
    row = site.library.row(920)
    text = row.text + "\n![](images/issue-920/figure-2.png)\n"
    editor = console.sign_in("editor1")
    answer = console.post(editor, "/console/default/import/save", text=text, filename="issue-920.md", replace="1",
                          picture=[base64.b64encode(png("#ff0000")).decode(), base64.b64encode(png("#00ff00")).decode()])
    report = site.library.sync()  # the service's, not forced
    why = _credited_to_the_host(site, 920, png("#ff0000"), "images/issue-920/figure-1.png")
    assert why is None, (why, answer.status_code, report.imported)


def test_an_import_refused_as_stale_leaves_no_picture_for_the_host_to_take(console, monkeypatch, tmp_path):
    """The import's pictures are written inside Library.save, then _store raises StaleVersion (another host's
    console saved the issue meanwhile, its text unchanged). The editor is told 'Not saved: someone saved this issue
    meanwhile', but the pictures stay in the folder, not recorded; the text being the database's, the next sync of
    this host finds them 'replaced here' (the record still has the database's) and sends them, credited to the host.
    (And the approval was withdrawn for nothing: the database's pictures never changed.)"""
    import base64
    import shutil

    from test_review9_holes import issue_with_a_picture, png

    import wechat_pub.source.importing as importing
    from wechat_pub.library import Library
    from wechat_pub.source.folder import ArticleFolder
    from wechat_pub.state.issues import IssueStore

    site, figure = issue_with_a_picture(console, png("#2266aa"))
    other = tmp_path / "host-b"
    shutil.copytree(console.folder / "articles", other)
    host_b = Library(ArticleFolder(other), IssueStore(site.services.db, site.appid), tmp_path / "b.json",
                     author="host-b")
    host_b.sync(force=True)
    write_pictures = importing.write_pictures

    def and_another_hosts_save_meanwhile(*args, **kwargs):
        written = write_pictures(*args, **kwargs)
        row = host_b.row(920)
        host_b.save(row.filename, row.text, row.version, "editor2")  # (its editor's save, the text unchanged)
        return written

    monkeypatch.setattr(importing, "write_pictures", and_another_hosts_save_meanwhile)
    editor = console.sign_in("editor1")
    answer = console.post(editor, "/console/default/import/save", text=site.library.row(920).text,
                          filename="issue-920.md", replace="1", picture=base64.b64encode(png("#ff0000")).decode())
    assert answer.status_code == 302
    report = site.library.sync()
    why = _credited_to_the_host(site, 920, png("#ff0000"), "images/issue-920/figure-1.png")
    assert why is None, (why, report.imported, report.conflicts)
