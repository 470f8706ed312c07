"""An issue's pictures across hosts and approvals: what a review of the pictures' sync and the approvals found
(each test failed before its fix)."""

from __future__ import annotations

import shutil

from test_one_truth import article, hosts, sync  # noqa: F401  (the fixture)
from test_sync_known import _image_article, three_hosts, two_issues_sharing_a_logo  # noqa: F401

from conftest import SEED_ARTICLE, jpeg_bytes, open_site

EXAMPLES = SEED_ARTICLE.parent.parent / "docs" / "examples"
FIGURE = "images/fines-2020.png"


def _everywhere(*folders, relpath: str, number: int | None = None) -> list[bytes]:
    """Every copy of a picture: each host's folder and .conflicts/, and the database's of ``number`` (None: of every
    issue)."""
    kept = []
    for folder in folders:
        path = folder / "articles" / relpath
        kept += [path.read_bytes()] if path.exists() else []
        conflicts = folder / "articles" / ".conflicts"
        kept += [p.read_bytes() for p in conflicts.iterdir()] if conflicts.exists() else []
    store = open_site(folders[0]).library.store
    for issue in [number] if number is not None else [row.number for row in store.all(texts=False)]:
        stored = store.files(issue).get(relpath)
        kept += [stored[1]] if stored else []
    return kept


def test_a_picture_replaced_on_both_hosts_with_a_text_edit_loses_nothing(hosts):  # noqa: F811
    """a replaces issue 136's picture and syncs; b replaces it too AND edits the text (one sync). newer_elsewhere
    keeps the database's only when b did not change it ("ours goes (the store decides)"), but the store decides
    nothing: b's picture goes over a's without a word (no conflict), and a's next sync writes b's over a's folder
    (unchanged on a since a sent it: no aside). a's picture is nowhere. Without the text edit the same two
    replacements are a conflict, a's kept (test_one_truth.test_an_image_replaced_on_both_hosts_loses_nothing)."""
    a, b = hosts
    shutil.copytree(EXAMPLES, a / "articles", dirs_exist_ok=True)
    sync(a), sync(b)
    ours, theirs = jpeg_bytes(300, 200, colour="#993366"), jpeg_bytes(300, 200, colour="#336699")
    (a / "articles" / FIGURE).write_bytes(ours)
    assert sync(a).imported == ["issue-136.md"]
    (b / "articles" / FIGURE).write_bytes(theirs)
    path = b / "articles" / "issue-136.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n乙方补充。\n", encoding="utf-8")
    report_b = sync(b)
    report_a = sync(a)
    assert ours in _everywhere(a, b, number=136, relpath=FIGURE), \
        ("a's picture is nowhere", report_b.conflicts, report_a.conflicts)
    report_b = sync(b)  # b's own replacement: kept aside, and said, as a picture changed on both sides is
    assert any(FIGURE in line for line in report_b.conflicts), report_b
    assert theirs in _everywhere(b, number=136, relpath=FIGURE) and (b / "articles" / FIGURE).read_bytes() == ours
    assert "乙方补充" in (a / "articles" / "issue-136.md").read_text(encoding="utf-8")  # b's text reached a


def test_a_shared_picture_replaced_here_reaches_every_issue_that_shows_it(three_hosts):  # noqa: F811
    """Issues 1 and 2 show one images/logo.jpg; the user replaces the logo (texts unchanged) and syncs once. Issue 1
    is sent with it (replaced_here against the record); the record says 'new logo' from then on (it is updated as
    the sync goes, while _base, the record as the sync began, is only used by _put_files), so issue 2 looks
    'changed in the database' and its old logo is written over the folder's new one, without a word. Issue 2
    never gets the new logo, the folder flips between the two at every sync, and the hosts never settle."""
    a, b, _c = three_hosts
    logo = two_issues_sharing_a_logo(a)
    sync(a), sync(b)
    new = jpeg_bytes(300, 200, colour="#cc3300")
    logo.write_bytes(new)
    report = sync(a)
    assert logo.read_bytes() == new, ("the folder's new logo was written over with the old one", report)
    store = open_site(a).library.store
    assert [store.files(n)["images/logo.jpg"][1] == new for n in (1, 2)] == [True, True]
    assert not sync(a).changed


def test_a_picture_put_in_the_folder_after_its_text_was_synced_reaches_the_database(hosts):  # noqa: F811
    """The text shows images/late.jpg, which is not there yet; it is synced. The picture arrives later (a `git pull`,
    a copy), the text unchanged: an IN_STEP sync looks only at the pictures the database has (_images), so the
    database never gets it, no host but this one ever has it, and a push from any other host is refused."""
    a, b = hosts
    (a / "articles" / "images").mkdir()
    (a / "articles" / "issue-7.md").write_text(_image_article(7, "中文文。", "late.jpg"), encoding="utf-8")
    sync(a), sync(b)
    picture = jpeg_bytes(300, 200, colour="#446688")
    (a / "articles" / "images" / "late.jpg").write_bytes(picture)
    sync(a)
    store = open_site(a).library.store
    assert "images/late.jpg" in store.files(7), "the picture never reaches the database"
    assert store.get(7).valid and not store.get(7).problems  # ("… does not exist" is not said any more)
    sync(b)
    assert (b / "articles" / "images" / "late.jpg").read_bytes() == picture
    assert not sync(a).changed and not sync(b).changed


def test_the_quick_check_sees_a_late_picture_also_of_an_issue_saved_before_the_paths_were_kept(hosts):  # noqa: F811
    """The sync a running service makes every few seconds looks first whether anything changed (the folder's
    signature, the pictures' stamp, the database's revision): the pictures awaited are in the stamp, those of an
    issue saved before the paths were kept from the sync after the one that read them."""
    from sqlalchemy import update

    from wechat_pub.state.schema import issues

    a, _b = hosts
    (a / "articles" / "images").mkdir()
    for number in (7, 8):
        (a / "articles" / f"issue-{number}.md").write_text(_image_article(number, "中文文。", f"late{number}.jpg"),
                                                           encoding="utf-8")
    library = open_site(a).library
    library.sync()
    with library.store.db.begin() as conn:  # issue 8 as a database of the release before left it: no paths
        conn.execute(update(issues).where(issues.c.number == 8).values(shown=None))
    library = open_site(a).library  # (a service started after the upgrade)
    library.sync(), library.sync()
    for number in (7, 8):
        (a / "articles" / "images" / f"late{number}.jpg").write_bytes(jpeg_bytes(300, 200, colour="#446688"))
    assert sorted(library.sync().imported) == ["issue-7.md", "issue-8.md"]
    assert not library.sync().changed


def test_a_late_picture_a_push_refuses_makes_no_new_version_at_every_sync(hosts):  # noqa: F811
    """The arrival is judged as a push judges a picture: a WebP (or an empty file) under the awaited name is not a
    picture to send, and the issue is not saved again at every sync because of it."""
    a, _b = hosts
    (a / "articles" / "images").mkdir()
    (a / "articles" / "issue-7.md").write_text(_image_article(7, "中文文。", "late.jpg"), encoding="utf-8")
    sync(a)
    (a / "articles" / "images" / "late.jpg").write_bytes(b"RIFF\x10\x00\x00\x00WEBPVP8 ")
    versions = []
    for _ in range(3):
        sync(a)
        versions.append(open_site(a).library.store.get(7).version)
    assert versions == [1, 1, 1] and not open_site(a).library.store.files(7)


def test_an_issue_saved_before_the_paths_were_kept_gets_its_late_picture(hosts):  # noqa: F811
    """Issues saved before migration 0011 have no paths of their pictures (NULL). The next sync reads each once and
    keeps its paths (no new version: the text is the same); a picture put there since reaches the database."""
    from sqlalchemy import update

    from wechat_pub.state.schema import issues

    a, _b = hosts
    (a / "articles" / "images").mkdir()
    (a / "articles" / "issue-7.md").write_text(_image_article(7, "中文文。", "late.jpg"), encoding="utf-8")
    (a / "articles" / "issue-8.md").write_text(_image_article(8, "别的。", "here.jpg"), encoding="utf-8")
    (a / "articles" / "images" / "here.jpg").write_bytes(jpeg_bytes(300, 200, colour="#224466"))
    sync(a)
    store = open_site(a).library.store
    with store.db.begin() as conn:  # (as a database of the release before: no paths)
        conn.execute(update(issues).values(shown=None))
    assert not sync(a).changed  # (the paths are read and kept: nothing else changes)
    assert [store.get(7).shown, store.get(8).shown] == [("images/late.jpg",), ("images/here.jpg",)]
    assert [store.get(7).version, store.get(8).version] == [1, 1]
    picture = jpeg_bytes(300, 200, colour="#446688")
    (a / "articles" / "images" / "late.jpg").write_bytes(picture)
    sync(a)
    assert store.files(7)["images/late.jpg"][1] == picture
    assert not sync(a).changed


def test_a_picture_deleted_here_by_mistake_is_not_taken_from_the_database_by_a_text_edit(hosts):  # noqa: F811
    """The text still shows images/fines-2020.png; the file is gone from b's folder (deleted by mistake, a partial
    checkout). Text unchanged, a sync writes it back from the database ("one missing here is written from the
    database"); but with an edit of the text here, put_files makes the issue's pictures exactly what this folder
    has: the database's picture of a text that still shows it is deleted (newer_elsewhere looks only at the
    pictures found here). No host that syncs later ever gets it, and b's push is refused."""
    a, b = hosts
    shutil.copytree(EXAMPLES, a / "articles", dirs_exist_ok=True)
    sync(a), sync(b)
    (b / "articles" / FIGURE).unlink()
    path = b / "articles" / "issue-136.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n乙方补充。\n", encoding="utf-8")
    assert sync(b).imported == ["issue-136.md"]
    assert FIGURE in open_site(b).library.store.files(136), "the database's picture of the issue was deleted"


def test_an_approval_is_of_the_version_checked_not_of_one_saved_while_checking(tmp_path, database_url, fake_clock,
                                                                               monkeypatch):
    """approve() compares the form's version with the row it read, then judges the pictures (_pictures_refused:
    every picture read and verified), then approves the row's text hash. A picture replaced and synced in that
    window (another host's sync: a new version, put_files withdrawing an approval that is not there yet) is
    approved anyway: the approval names the text, which did not change."""
    from security_server import console_on
    from test_approval_versions import approve_form, issue_920
    from test_review9_holes import png

    import wechat_pub.console.issues as console_issues

    with console_on(tmp_path / "site", database_url, fake_clock.clock, monkeypatch,
                    extra="\n[console]\nrequire_approval = true\n") as console:
        site, figure = issue_920(console, png("#2266aa"))
        boss = console.sign_in("boss")
        fields = approve_form(boss, console)
        judged = console_issues._pictures_refused

        def judged_while_a_sync_runs(site_, row):
            refused = judged(site_, row)
            figure.write_bytes(png("#ff0000"))  # (another host's sync, in the window)
            site_.library.sync(force=True)
            return refused

        monkeypatch.setattr(console_issues, "_pictures_refused", judged_while_a_sync_runs)
        boss.post(f"{console.base}/console/default/issues/920/approve", data=fields, timeout=10)
        assert site.library.row(920).version == int(fields["version"]) + 1
        assert site.approvals.get(920) is None, "version %s approved, version %s never seen" % (
            fields["version"], site.library.row(920).version)
