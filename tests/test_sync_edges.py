"""The sync at its edges (found reviewing the sync by issue): a swap through a temporary name, a sync that fails
midway, images replaced on another host, an upgrade from a record of files alone, a row that changed while it was
written, the console of a host that keeps an issue under another name."""

from __future__ import annotations

import json
import shutil

import pytest
from test_one_truth import article, host, issues_in_folder, renumber, sync, two_issues

from conftest import SEED_ARTICLE, jpeg_bytes, open_site


@pytest.fixture
def hosts(tmp_path, database_url):
    """Two hosts' folders over one state database."""
    url = database_url if not database_url.startswith("sqlite") else f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    return host(tmp_path, "a", url), host(tmp_path, "b", url)


@pytest.mark.xfail(reason='left: a file renamed and renumbered at once is not known as the issue it was (the record has its old name); waiting every removal while two files share a number kept deleted scheduled issues live (third review)', strict=True)
def test_mid_swap_through_a_temporary_name_removes_nothing(hosts):
    """Swapping one file at a time, the user moves issue-1.md aside under a temporary name and renumbers it
    (tmp.md says issue 2, as issue-2.md still does). The scheduler syncs in between: tmp.md is not in the
    record's names, so it is not taken for 'renumbered', issue 1 does not wait, and it is removed from the
    database, and then from b's folder, midway through the swap."""
    a, b = hosts
    two_issues(a, b)
    (a / "articles" / "issue-1.md").rename(a / "articles" / "tmp.md")
    renumber(a / "articles" / "tmp.md", 1, 2)
    report = sync(a)
    assert report.removed == [], report
    assert sorted(r.number for r in open_site(a).library.store.all(texts=False)) == [1, 2]
    assert sync(b).removed == [] and (b / "articles" / "issue-1.md").exists()


class Dropped(Exception):
    """The database connection dropped midway through a sync."""


def test_a_sync_that_fails_midway_still_records_what_it_did(hosts):
    """a's sync sends issue 1 to the database, then fails on issue 2 (a dropped connection): the record, saved
    only at the end, still says a last synced issue 1's old text. b then reverts issue 1 to that old text. a's
    next sync takes its own (unchanged since it was sent) file for an edit made here since the last sync and
    sends it again: b's revert is silently replaced."""
    a, b = hosts
    two_issues(a, b)
    original = (a / "articles" / "issue-1.md").read_text(encoding="utf-8")
    (a / "articles" / "issue-1.md").write_text(article(1, "中文甲改。"), encoding="utf-8")
    (a / "articles" / "issue-2.md").write_text(article(2, "中文乙改。"), encoding="utf-8")
    library = open_site(a).library
    save, calls = library.store.save, []

    def failing_save(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 2:
            raise Dropped()
        return save(*args, **kwargs)

    library.store.save = failing_save
    with pytest.raises(Dropped):
        library.sync(force=True)
    assert calls == [1, 2] and "中文甲改" in open_site(a).library.store.get(1).text
    assert sync(b).written == ["issue-1.md"]
    (b / "articles" / "issue-1.md").write_text(original, encoding="utf-8")  # b reverts issue 1
    assert sync(b).imported == ["issue-1.md"]
    report = sync(a)  # issue-1.md is unchanged on a since it was sent: it follows the database
    assert "中文甲文" in open_site(a).library.store.get(1).text, report  # b's revert is kept
    assert report.imported == ["issue-2.md"] and report.written == ["issue-1.md"], report


def _image_article(number: int, body: str, image: str) -> str:
    return article(number, f"{body}\n\n![图](images/{image})")


@pytest.mark.xfail(reason="left, older than the sync by issue: images are recorded by path, not by issue and path, so a replacement elsewhere cannot be told from another issue's bytes at that path (the attempt lost images: third review)", strict=True)
def test_an_image_replaced_elsewhere_meeting_a_text_edit_here_is_not_lost(hosts):
    """b replaces issue 136's image (a new version, same text); a, not synced since, edits issue 136's text.
    decide() sees only texts: a's import sends a's old image with it, and b's next sync writes that old image
    over b's replacement (unchanged on b since b sent it: no aside). b's image is nowhere."""
    a, b = hosts
    shutil.copytree(SEED_ARTICLE.parent.parent / "docs" / "examples", a / "articles", dirs_exist_ok=True)
    sync(a), sync(b)
    replaced = jpeg_bytes(300, 200, colour="#993366")
    (b / "articles" / "images" / "fines-2020.png").write_bytes(replaced)
    assert sync(b).imported == ["issue-136.md"]
    path = a / "articles" / "issue-136.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n甲方补充一段。\n", encoding="utf-8")
    sync(a)
    sync(b)
    kept = [(b / "articles" / "images" / "fines-2020.png").read_bytes()]
    kept += [p.read_bytes() for p in (b / "articles" / ".conflicts").glob("*.png")] \
        if (b / "articles" / ".conflicts").exists() else []
    stored = open_site(a).library.store.files(136)["images/fines-2020.png"][1]
    assert stored == replaced or replaced in kept, "b's replaced image is nowhere"


@pytest.mark.xfail(reason='left: as test_an_image_replaced_elsewhere_meeting_a_text_edit_here_is_not_lost (a swap sends the issue too)', strict=True)
def test_an_image_replaced_elsewhere_survives_a_swap_here(hosts):
    """The same through a swap: b replaces issue 1's image while a swaps issues 1 and 2 (one sync). Both of a's
    files go to the database with a's images; b's replacement is written over on b."""
    a, b = hosts
    (a / "articles" / "images").mkdir()
    (a / "articles" / "images" / "p1.jpg").write_bytes(jpeg_bytes(300, 200, colour="#111111"))
    (a / "articles" / "images" / "p2.jpg").write_bytes(jpeg_bytes(300, 200, colour="#222222"))
    (a / "articles" / "issue-1.md").write_text(_image_article(1, "中文甲文。", "p1.jpg"), encoding="utf-8")
    (a / "articles" / "issue-2.md").write_text(_image_article(2, "中文乙文。", "p2.jpg"), encoding="utf-8")
    sync(a), sync(b)
    assert (b / "articles" / "images" / "p1.jpg").exists()
    replaced = jpeg_bytes(300, 200, colour="#993366")
    (b / "articles" / "images" / "p1.jpg").write_bytes(replaced)
    assert sync(b).imported == ["issue-1.md"]
    renumber(a / "articles" / "issue-1.md", 1, 2)
    renumber(a / "articles" / "issue-2.md", 2, 1)
    sync(a), sync(b)
    kept = [(b / "articles" / "images" / "p1.jpg").read_bytes()]
    kept += [p.read_bytes() for p in (b / "articles" / ".conflicts").glob("*.jpg")] \
        if (b / "articles" / ".conflicts").exists() else []
    assert replaced in kept, "b's replaced image is nowhere"


def test_an_upgrade_while_an_issue_line_is_broken_keeps_the_issues_base(hosts):
    """A host upgrades with a record of files alone while x.md's issue line is broken. The upgrade sync writes the
    new record with only the issues it synced: issue 5 has no base any more. The user fixes the line and edits
    the text: an edit here only, taken for a conflict (the edit set aside, the database's text written over it)."""
    a, b = hosts
    (a / "articles" / "x.md").write_text(article(5), encoding="utf-8")
    sync(a), sync(b)
    record = open_site(a).library.record
    record.write_text(json.dumps(json.loads(record.read_text(encoding="utf-8"))["files"]), encoding="utf-8")
    broken = (a / "articles" / "x.md").read_text().replace("issue: 5", "isue: 5")
    (a / "articles" / "x.md").write_text(broken, encoding="utf-8")
    assert sync(a).removed == []
    (a / "articles" / "x.md").write_text(article(5, "修好了。"), encoding="utf-8")
    report = sync(a)
    assert (report.imported, report.conflicts) == (["x.md"], []), report


def test_a_row_written_here_records_the_text_written(hosts):
    """A sync reads the rows without their texts and fetches a text when it writes it: when the issue changed
    meanwhile, the newer text is written but the older hash recorded. A revert elsewhere to that older text is
    then taken for 'unchanged there' and this host's (never edited) file sent over it."""
    a, b = hosts
    two_issues(a, b)
    original = (b / "articles" / "issue-1.md").read_text(encoding="utf-8")
    (b / "articles" / "issue-1.md").write_text(article(1, "中文乙一。"), encoding="utf-8")
    assert sync(b).imported == ["issue-1.md"]
    library = open_site(a).library
    get = library.store.get

    def get_after_another_save(number):  # b saves again between a's reading the rows and fetching the text
        library.store.get = get
        (b / "articles" / "issue-1.md").write_text(article(1, "中文乙二。"), encoding="utf-8")
        assert sync(b).imported == ["issue-1.md"]
        return get(number)

    library.store.get = get_after_another_save
    assert library.sync(force=True).written == ["issue-1.md"]
    assert "中文乙二" in (a / "articles" / "issue-1.md").read_text()
    (b / "articles" / "issue-1.md").write_text(article(1, "中文乙一。"), encoding="utf-8")  # b reverts
    assert sync(b).imported == ["issue-1.md"]
    sync(a)
    assert "中文乙一" in open_site(a).library.store.get(1).text, "b's revert was replaced by a's untouched file"
    del original


def test_the_console_on_the_other_host_saves_a_swapped_issue(hosts):
    """After a swap made on a, b follows by rewriting its files in place: b keeps issue 1 in issue-1.md, the
    database calls it issue-2.md (a's name). The console's editor saves under the database's name: on b it is
    refused for both swapped issues ("is another issue") until someone renames b's files by hand."""
    a, b = hosts
    two_issues(a, b)
    renumber(a / "articles" / "issue-1.md", 1, 2)
    renumber(a / "articles" / "issue-2.md", 2, 1)
    sync(a), sync(b)
    library = open_site(b).library
    row = library.store.get(1)
    saved = library.save(row.filename, article(1, "中文控制台。"), row.version, "editor")
    assert "中文控制台" in saved.text
    assert issues_in_folder(b)[1] == "控制"


@pytest.fixture
def three_hosts(tmp_path, database_url):
    """Three hosts' folders over one state database (the third joins late)."""
    url = database_url if not database_url.startswith("sqlite") else f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    return host(tmp_path, "a", url), host(tmp_path, "b", url), host(tmp_path, "c", url)


def _everywhere(folder, number, relpath):
    """Every copy of an image: the folder's, those kept aside, and the database's under ``number``."""
    kept = [(folder / "articles" / relpath).read_bytes()]
    conflicts = folder / "articles" / ".conflicts"
    kept += [p.read_bytes() for p in conflicts.iterdir()] if conflicts.exists() else []
    kept.append(open_site(folder).library.store.files(number)[relpath][1])
    return kept


def test_a_removed_issues_old_image_never_replaces_a_new_one_under_its_path(three_hosts):
    """One host. Issue 1 showed images/cover.jpg (old); issue 1 is deleted (its row is removed, its images stay
    in the database). Later issue 2 shows a new images/cover.jpg, and is synced. The user then edits issue 2's
    text: _take_newer_images compares the record's cover.jpg with *every* issue's, finds the removed issue 1's old
    one 'changed elsewhere', writes it over the new one in the folder and sends it as issue 2's. The new cover is
    nowhere (not aside: it was unchanged here)."""
    a, _b, _c = three_hosts
    (a / "articles" / "images").mkdir()
    cover = a / "articles" / "images" / "cover.jpg"
    old, new = jpeg_bytes(300, 200, colour="#111111"), jpeg_bytes(300, 200, colour="#cc3300")
    cover.write_bytes(old)
    (a / "articles" / "issue-1.md").write_text(_image_article(1, "中文甲文。", "cover.jpg"), encoding="utf-8")
    sync(a)
    (a / "articles" / "issue-1.md").unlink()
    assert sync(a).removed == ["issue-1.md"]
    cover.write_bytes(new)
    (a / "articles" / "issue-2.md").write_text(_image_article(2, "中文乙文。", "cover.jpg"), encoding="utf-8")
    assert sync(a).imported == ["issue-2.md"]
    (a / "articles" / "issue-2.md").write_text(_image_article(2, "中文乙文改。", "cover.jpg"), encoding="utf-8")
    report = sync(a)
    assert report.imported == ["issue-2.md"], report
    assert cover.read_bytes() == new, "the new cover was replaced by the removed issue's old one"
    assert open_site(a).library.store.files(2)["images/cover.jpg"][1] == new


@pytest.mark.parametrize("how", ["sync", "console"])
def test_after_a_swap_an_edit_on_the_follower_reaches_a_new_host(three_hosts, how):
    """a swaps issues 1 and 2; b follows by rewriting its files in place (issue 1 stays in b's issue-1.md, the
    database calls it issue-2.md). b then edits issue 1 (in its file, or in the console, which now saves into
    b's own file): the row takes b's name, issue-1.md, which is issue 2's name in the database too. A new host c
    writes issue 1 as issue-1.md, and issue 2 ("issue-1.md here is not issue 2") never: c does not converge, and
    nothing c can rename brings it (c has no file of issue 2)."""
    a, b, c = three_hosts
    two_issues(a, b)
    renumber(a / "articles" / "issue-1.md", 1, 2)
    renumber(a / "articles" / "issue-2.md", 2, 1)
    sync(a), sync(b)
    if how == "sync":
        renumbered = (b / "articles" / "issue-1.md").read_text(encoding="utf-8").replace("中文乙文", "中文乙改")
        (b / "articles" / "issue-1.md").write_text(renumbered, encoding="utf-8")
        assert sync(b).imported == ["issue-1.md"]
    else:
        library = open_site(b).library
        row = library.store.get(1)
        library.save(row.filename, row.text.replace("中文乙文", "中文乙改"), row.version, "editor")
    names = {row.number: row.filename for row in open_site(a).library.store.all(texts=False)}
    report = sync(c)
    assert sorted(issues_in_folder(c)) == [1, 2], (issues_in_folder(c), report.skipped, names)
    assert len(set(names.values())) == 2, f"two issues share one file name in the database: {names}"


def test_a_stray_copy_does_not_keep_a_deleted_scheduled_issue(three_hosts):
    """The user deletes issue-150.md to cancel its scheduled publication. Meanwhile a copy of an unrelated issue
    sits in the folder ("issue-149 copy.md", nothing renumbered). Every removal now waits while any two files
    share a number: issue 150 stays in the database, scheduled, and every host (and the scheduler) still has it;
    the only trace is a 'skipped' line among others."""
    a, b, _c = three_hosts
    (a / "articles" / "issue-149.md").write_text(article(149, "中文旧期。"), encoding="utf-8")
    (a / "articles" / "issue-150.md").write_text(article(150, "中文新期。", publish_at="2099-01-05 08:00"),
                                                encoding="utf-8")
    sync(a), sync(b)
    (a / "articles" / "issue-149 copy.md").write_text(article(149, "中文旧期。"), encoding="utf-8")
    (a / "articles" / "issue-150.md").unlink()
    report = sync(a)
    row = open_site(a).library.store.get(150)
    assert row.removed, ("the deleted issue stays scheduled", report.skipped)


def test_a_shared_image_replaced_here_with_both_texts_edited(three_hosts):
    """Issues 1 and 2 show one images/logo.jpg. The user replaces the logo and edits both texts; one sync.
    Issue 1 is sent with the new logo; then issue 2's import compares the record (new logo, just sent) with the
    sync's snapshot of the database taken before it (old logo, issue 1): 'changed elsewhere'. It fetches issue 1's
    bytes now (the new ones) but keeps the snapshot's hash: issue 2's image is stored with the old logo's hash
    over the new logo's bytes. Every other host then sees an image it never has (rewritten each sync), and
    re-sends issue 2 as a new version nobody made."""
    import hashlib

    a, b, _c = three_hosts
    (a / "articles" / "images").mkdir()
    logo = a / "articles" / "images" / "logo.jpg"
    logo.write_bytes(jpeg_bytes(300, 200, colour="#111111"))
    for n in (1, 2):
        (a / "articles" / f"issue-{n}.md").write_text(_image_article(n, "中文文。", "logo.jpg"), encoding="utf-8")
    sync(a), sync(b)
    new = jpeg_bytes(300, 200, colour="#cc3300")
    logo.write_bytes(new)
    for n in (1, 2):
        (a / "articles" / f"issue-{n}.md").write_text(_image_article(n, "中文改。", "logo.jpg"), encoding="utf-8")
    assert sorted(sync(a).imported) == ["issue-1.md", "issue-2.md"]
    store = open_site(a).library.store
    for n in (1, 2):
        sha, data = store.files(n)["images/logo.jpg"]
        assert hashlib.sha256(data).hexdigest() == sha, f"issue {n}'s logo is stored under another image's hash"
        assert data == new
    sync(b)
    assert not sync(b).changed and not sync(a).changed, "the hosts never settle"


def test_the_console_acts_on_this_hosts_file_of_an_issue_it_renamed(hosts):
    """a renamed and edited issue-140.md as weekly-140.md; the database keeps the name issue-140.md (b has that
    file). a's console schedules the issue and edits it: a's weekly-140.md changes, no issue-140.md appears on a,
    and b follows in its issue-140.md."""
    from wechat_pub.publish.actions import schedule

    a, b = hosts
    (a / "articles" / "issue-140.md").write_text(article(140), encoding="utf-8")
    sync(a), sync(b)
    (a / "articles" / "issue-140.md").rename(a / "articles" / "weekly-140.md")
    (a / "articles" / "weekly-140.md").write_text(article(140, "改名又改了正文。"), encoding="utf-8")
    sync(a)
    site = open_site(a)
    row = site.library.row(140)
    assert row.filename == "issue-140.md" and site.library.path_of(row).endswith("weekly-140.md")
    schedule(site, site.library.path_of(row), "2099-03-02 09:00", author="editor")
    saved = site.library.save(row.filename, article(140, "控制台改的。", publish_at="2099-03-02 09:00"),
                              site.library.row(140).version, "editor")
    assert saved.filename == "issue-140.md" and "控制台改的" in saved.text and saved.publish_at
    assert not (a / "articles" / "issue-140.md").exists()
    assert "控制台改的" in (a / "articles" / "weekly-140.md").read_text(encoding="utf-8")
    assert sync(b).written == ["issue-140.md"] and "控制台改的" in (b / "articles" / "issue-140.md").read_text()
