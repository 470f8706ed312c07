"""Links in the articles folder, and writes that fail (a fifth review's findings, 2026-12-06; each test failed on
1624b72): nothing is written, kept aside or copied through a link out of the folder; a picture that cannot be
written is said once, not a conflict at every sync; a failed import puts back only what it wrote."""

from __future__ import annotations

import os

from test_one_truth import hosts, sync  # noqa: F401  (the fixture)
from test_sync_pictures_safety import LOGO, _logo_article, console  # noqa: F401  (the fixture)

from conftest import jpeg_bytes


def _synced_logo(folder):
    (folder / "articles" / "images").mkdir()
    (folder / "articles" / LOGO).write_bytes(jpeg_bytes(300, 200, colour="#111111"))
    (folder / "articles" / "issue-4.md").write_text(_logo_article(4, "中文文。"), encoding="utf-8")
    sync(folder)


def test_a_symlinked_conflicts_folder_is_never_written_through(hosts, tmp_path):  # noqa: F811
    """keep_aside does aside_dir.mkdir(exist_ok=True) and shutil.copy2 into it: `.conflicts` made a link to a folder
    outside the articles folder (a checkout can carry one) receives every file the sync keeps aside (pictures, and
    article texts through the CONFLICT branch), the one path left writing through a link."""
    a, _b = hosts
    _synced_logo(a)
    outside = tmp_path / "outside-dir"
    outside.mkdir()
    os.symlink(outside, a / "articles" / ".conflicts")
    (a / "articles" / LOGO).write_bytes(b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(32))  # refused: kept aside
    report = sync(a)
    assert list(outside.iterdir()) == [], ("kept aside through the .conflicts link", report.conflicts)


def test_a_symlinked_images_folder_is_not_copied_into_conflicts(hosts, tmp_path):  # noqa: F811
    """`images/` made a link to a folder outside: write_inside refuses it, but _write_files first keeps aside the
    file there (keep_aside only checks that the *file* is a link; its folder is one), so the outside file's bytes
    are copied into .conflicts/, inside the folder the team keeps in git."""
    a, _b = hosts
    _synced_logo(a)
    outside = tmp_path / "outside-dir"
    outside.mkdir()
    (outside / "logo.jpg").write_bytes(b"a secret, not a picture\n")
    images = a / "articles" / "images"
    (images / "logo.jpg").unlink()
    images.rmdir()
    os.symlink(outside, images)
    report = sync(a)
    conflicts = a / "articles" / ".conflicts"
    copied = [p.name for p in conflicts.iterdir() if b"a secret" in p.read_bytes()] if conflicts.exists() else []
    assert copied == [], ("the outside file's bytes were copied in", report.conflicts, report.skipped)


def test_a_picture_that_cannot_be_written_is_not_a_conflict_at_every_sync(hosts, tmp_path):  # noqa: F811
    """After write_inside refuses (skipped), _write_files still records the database's sha256 as synced; the file
    here still differs, so every following sync keeps it aside again (a new .conflicts/ copy each time) and reports a
    two-sided conflict nobody made, besides the 'skipped' line that says what is wrong."""
    a, _b = hosts
    _synced_logo(a)
    outside = tmp_path / "outside-dir"
    outside.mkdir()
    (outside / "logo.jpg").write_bytes(jpeg_bytes(300, 200, colour="#00cc00"))
    images = a / "articles" / "images"
    (images / "logo.jpg").unlink()
    images.rmdir()
    os.symlink(outside, images)
    sync(a)
    second = sync(a)
    assert second.conflicts == [], ("a conflict again at the next sync", second.conflicts, second.skipped)


def test_a_failed_import_does_not_remove_a_link_it_never_wrote(console):  # noqa: F811
    """write_pictures records (target, _held_bytes(target)) before opening it; _held_bytes reads with O_NOFOLLOW,
    so a symlink in the picture's place is recorded as None ('was not there'). The write then fails (ELOOP) and
    put_back unlinks the target: the editor's link, which the import never wrote, is deleted from the folder (the
    next sync takes the picture as removed here). 'Put back as it was' is not what it was."""
    import base64

    from test_review9_holes import issue_with_a_picture, png

    site, figure = issue_with_a_picture(console, png("#2266aa"))
    second = figure.with_name("figure-2.png")
    (figure.parent / "shared.png").write_bytes(png("#2266aa"))
    os.symlink("shared.png", second)
    row = site.library.row(920)
    text = row.text + "\n![](images/issue-920/figure-2.png)\n"
    editor = console.sign_in("editor1")
    console.post(editor, "/console/default/import/save", text=text, filename="issue-920.md", replace="1",
                 picture=[base64.b64encode(png("#ff0000")).decode(), base64.b64encode(png("#00ff00")).decode()])
    assert os.path.islink(second), "the failed import deleted the editor's link"


def test_a_failed_picture_write_leaves_no_temporary_file(hosts, monkeypatch):  # noqa: F811
    """write_inside creates .<name>.<pid>.tmp and never removes it when the write or os.replace fails (a full disk;
    a folder in the picture's place): it stays in images/, where `git add -A` of the articles folder takes it."""
    import wechat_pub.source.files as files

    a, b = hosts
    _synced_logo(a)

    replace = os.replace

    def full_disk(src, dst):
        if str(dst).endswith(".jpg"):
            raise OSError(28, "No space left on device")
        return replace(src, dst)

    monkeypatch.setattr(files.os, "replace", full_disk)
    report = sync(b)
    monkeypatch.undo()
    left = [p.name for p in (b / "articles" / "images").iterdir() if p.name.endswith(".tmp")]
    assert left == [], ("temporary files left behind", report.skipped)
