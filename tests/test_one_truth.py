"""One truth on every host (issue 10): two hosts, each with its own working folder and state folder, share one
state database (SQLite here, PostgreSQL in CI). Issues, schedule, published links, what followers find and the
query salt are the same on both; no edit is lost or silently replaced."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import requests

from conftest import SEED_ARTICLE, firm_config, free_port, jpeg_bytes, open_site, wait_until_responds
from wechat_pub.bot.protocol import parse_xml, signed_message
from wechat_pub.bot.simulate import message_xml
from wechat_pub.source.writer import write_article
from wechat_pub.synthetic import IssueFactory


def host(root, name: str, database_url: str, sandbox_port: int | None = None):
    """A host's working folder: the publisher's config, the shared database, its own articles and state."""
    folder = root / name
    (folder / "articles").mkdir(parents=True)
    text = f'\n[state]\ndatabase_url = "{database_url}"\n'
    if sandbox_port:
        text += f"\n[sandbox]\nport = {sandbox_port}\n"
    text += "\n[schedule]\nsync_seconds = 0.2\nlease_seconds = 1.0\n"
    firm_config(folder, text)
    return folder


@pytest.fixture
def hosts(tmp_path, database_url):
    url = database_url if not database_url.startswith("sqlite") else f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    return host(tmp_path, "a", url), host(tmp_path, "b", url)


def article(number: int, body: str = "中文正文。", publish_at: str = "") -> str:
    extra = f"publish_at: {publish_at}\n" if publish_at else ""
    return (f"---\nissue: {number}\ndate: 2026-12-02\ntitle:\n  zh: 周报\n  en: Weekly\n{extra}---\n\n"
            f"# 国内要闻 | Domestic News\n\n## 第{number}期要闻\n## News of {number}\n\n{body}\n\n---\n\n"
            f"English body.\n\nSource: [Origin](https://example.org/{number})\n")


def sync(folder):
    return open_site(folder).library.sync(force=True)


def test_an_issue_written_on_one_host_reaches_the_other(hosts):
    a, b = hosts
    shutil.copy(SEED_ARTICLE, a / "articles" / "issue-135.md")
    assert sync(a).imported == ["issue-135.md"]
    assert sync(b).written == ["issue-135.md"]
    assert (b / "articles" / "issue-135.md").read_text() == SEED_ARTICLE.read_text()
    for folder in (a, b):
        assert [issue.number for issue in open_site(folder).library.catalogue().issues] == [135]


def test_an_edit_travels_and_the_folder_follows(hosts):
    a, b = hosts
    (a / "articles" / "issue-140.md").write_text(article(140), encoding="utf-8")
    sync(a), sync(b)
    (b / "articles" / "issue-140.md").write_text(article(140, "乙方修改的正文。"), encoding="utf-8")
    assert sync(b).imported == ["issue-140.md"]
    assert sync(a).written == ["issue-140.md"]  # unchanged on a: it follows the database
    assert "乙方修改的正文" in (a / "articles" / "issue-140.md").read_text()


def test_edits_on_both_hosts_lose_nothing(hosts):
    a, b = hosts
    (a / "articles" / "issue-140.md").write_text(article(140), encoding="utf-8")
    sync(a), sync(b)
    (a / "articles" / "issue-140.md").write_text(article(140, "甲方的修改。"), encoding="utf-8")
    (b / "articles" / "issue-140.md").write_text(article(140, "乙方的修改。"), encoding="utf-8")
    sync(a)
    report = sync(b)
    assert len(report.conflicts) == 1 and "issue 140 was changed here and by" in report.conflicts[0]
    assert "甲方的修改" in (b / "articles" / "issue-140.md").read_text()  # the database's version is in the folder
    [aside] = (b / "articles" / ".conflicts").glob("issue-140.*.md")  # and b's own is kept, not lost
    assert "乙方的修改" in aside.read_text()


def test_deletions_and_new_issues_travel(hosts):
    a, b = hosts
    (a / "articles" / "issue-140.md").write_text(article(140), encoding="utf-8")
    sync(a), sync(b)
    (a / "articles" / "issue-140.md").unlink()
    assert sync(a).removed == ["issue-140.md"]
    assert sync(b).removed == ["issue-140.md"] and not (b / "articles" / "issue-140.md").exists()
    (b / "articles" / "issue-141.md").write_text(article(141), encoding="utf-8")
    sync(b)
    assert sync(a).written == ["issue-141.md"]


def test_a_file_renumbered_on_one_host_is_that_issue_on_both(hosts):
    """issue-140.md now says issue 141: issue 140 was deleted there, 141 is new; nothing is written over the
    renumbered file. Before, every sync wrote issue 140's text back over it ("deleted here, but changed"), and
    the next sync sent it to the database as 141 again, for ever."""
    a, b = hosts
    (a / "articles" / "issue-140.md").write_text(article(140), encoding="utf-8")
    sync(a), sync(b)
    (a / "articles" / "issue-140.md").write_text(article(141, "改了期号。"), encoding="utf-8")
    report = sync(a)
    assert (report.imported, report.removed, report.written, report.conflicts) == \
        (["issue-140.md"], ["issue-140.md"], [], [])
    assert not sync(a).changed and "issue: 141" in (a / "articles" / "issue-140.md").read_text()
    other = sync(b)
    assert (other.removed, other.written, other.conflicts) == (["issue-140.md"], ["issue-140.md"], [])
    assert "改了期号" in (b / "articles" / "issue-140.md").read_text() and not sync(b).changed
    for folder in (a, b):
        assert [row.number for row in open_site(folder).library.store.all(texts=False)] == [141]


def test_an_issue_from_elsewhere_never_overwrites_a_file_of_another_issue(hosts):
    """Two hosts each made an issue under one name: each keeps its own file, the sync says so until one is
    renamed, and then both issues are on both hosts. Before, the other host's issue was written over the file."""
    a, b = hosts
    (a / "articles" / "shared-name.md").write_text(article(150), encoding="utf-8")
    (b / "articles" / "shared-name.md").write_text(article(151), encoding="utf-8")
    sync(a)
    report = sync(b)
    assert report.imported == ["shared-name.md"] and report.written == []
    assert any("shared-name.md here is not issue 150" in line for line in report.skipped), report.skipped
    assert "issue: 151" in (b / "articles" / "shared-name.md").read_text() and not sync(b).changed
    (b / "articles" / "shared-name.md").rename(b / "articles" / "issue-151.md")  # as the sync asked
    renamed = sync(b)
    assert renamed.written == ["shared-name.md"] and renamed.skipped == []
    assert "issue: 150" in (b / "articles" / "shared-name.md").read_text()
    assert "issue: 151" in (b / "articles" / "issue-151.md").read_text()
    held = sync(a)  # a keeps issue 150 under that name, and is told so too until it renames its own file
    assert held.written == [] and any("shared-name.md here is not issue 151" in line for line in held.skipped)
    (a / "articles" / "shared-name.md").rename(a / "articles" / "issue-150.md")
    assert sync(a).written == ["shared-name.md"] and not sync(a).changed and not sync(b).changed
    for folder in (a, b):
        assert sorted(row.number for row in open_site(folder).library.store.all(texts=False)) == [150, 151]


def test_the_console_never_saves_over_a_file_of_another_issue(hosts):
    """The review: a host kept issue 150 under another name than the database's, and the console's save of issue
    150 wrote it over this host's file of that name, another issue, with its unsynced edit."""
    from wechat_pub.errors import ArticleError

    a, b = hosts
    (a / "articles" / "shared-name.md").write_text(article(150), encoding="utf-8")
    sync(a)
    (b / "articles" / "shared-name.md").write_text(article(151, "乙方未同步的修改。"), encoding="utf-8")
    library = open_site(b).library
    row = library.store.get(150)
    with pytest.raises(ArticleError, match="is another issue"):
        library.save(row.filename, article(150, "控制台的修改。"), row.version, "editor")
    assert "乙方未同步的修改" in (b / "articles" / "shared-name.md").read_text()
    assert "控制台的修改" not in library.store.get(150).text


def test_a_file_whose_issue_line_broke_keeps_its_issue(hosts):
    """The review: mistyping the `issue:` line (the file then has no number) removed the issue from the database
    at the next sync, and the other hosts deleted their copies. The file is still that issue's: it is reported,
    and nothing else happens until it is fixed."""
    a, b = hosts
    (a / "articles" / "x.md").write_text(article(5), encoding="utf-8")
    sync(a), sync(b)
    broken = (a / "articles" / "x.md").read_text().replace("issue: 5", "isue: 5")
    (a / "articles" / "x.md").write_text(broken, encoding="utf-8")
    report = sync(a)
    assert report.removed == [] and any("x.md has no issue number" in line for line in report.skipped)
    assert [row.number for row in open_site(a).library.store.all(texts=False)] == [5]
    assert sync(b).removed == [] and (b / "articles" / "x.md").exists()
    (a / "articles" / "x.md").write_text(article(5, "修好了。"), encoding="utf-8")
    assert sync(a).imported == ["x.md"] and sync(b).written == ["x.md"]


def test_images_travel_with_their_issue(hosts):
    a, b = hosts
    shutil.copytree(SEED_ARTICLE.parent.parent / "docs" / "examples", a / "articles", dirs_exist_ok=True)
    sync(a), sync(b)
    assert (b / "articles" / "images" / "fines-2020.png").read_bytes() == \
        (a / "articles" / "images" / "fines-2020.png").read_bytes()


def test_a_replaced_image_travels_as_a_new_version_of_its_issue(hosts):
    a, b = hosts
    shutil.copytree(SEED_ARTICLE.parent.parent / "docs" / "examples", a / "articles", dirs_exist_ok=True)
    sync(a), sync(b)
    replaced = jpeg_bytes(300, 200, colour="#993366")
    (a / "articles" / "images" / "fines-2020.png").write_bytes(replaced)  # the text stays as it was
    assert sync(a).imported == ["issue-136.md"]
    assert sync(a).imported == [] and (a / "articles" / "images" / "fines-2020.png").read_bytes() == replaced
    assert sync(b).conflicts == [] and (b / "articles" / "images" / "fines-2020.png").read_bytes() == replaced


def test_an_image_replaced_in_the_folder_takes_the_approval_back(hosts):
    """An approval covers the pictures too: one replaced under its name by hand (or by a `git pull`), the text as it
    was, is no longer approved, on every host, and the issue's history says why."""
    a, b = hosts
    shutil.copytree(SEED_ARTICLE.parent.parent / "docs" / "examples", a / "articles", dirs_exist_ok=True)
    shutil.copy(SEED_ARTICLE, a / "articles")
    sync(a)
    site = open_site(a)
    site.approvals.approve(136, site.library.store.get(136).text_hash, "lin")
    site.approvals.approve(135, site.library.store.get(135).text_hash, "lin")
    assert sync(a).imported == [] and site.approvals.get(136) is not None  # nothing changed: it holds
    (a / "articles" / "images" / "fines-2020.png").write_bytes(jpeg_bytes(300, 200, colour="#993366"))
    assert sync(a).imported == ["issue-136.md"]
    assert open_site(b).approvals.get(136) is None
    assert open_site(b).approvals.get(135) is not None  # (another issue's stays)
    entry = site.services.audit.recent(issue=136)[0]
    assert (entry.action, entry.detail) == ("unapprove", "images/fines-2020.png") and entry.user


def test_a_picture_replaced_alone_is_seen_by_the_next_sync_not_only_a_forced_one(hosts):
    """Only a picture changed (a git pull), no article file: the sync before a scheduled push (not forced) looked
    at the article files alone, found nothing changed, and the push read the new picture from the folder under the
    old approval."""
    a, _b = hosts
    shutil.copytree(SEED_ARTICLE.parent.parent / "docs" / "examples", a / "articles", dirs_exist_ok=True)
    site = open_site(a)
    site.library.sync()
    site.approvals.approve(136, site.library.store.get(136).text_hash, "lin")
    assert site.library.sync().imported == []  # nothing changed: nothing to do
    (a / "articles" / "images" / "fines-2020.png").write_bytes(jpeg_bytes(300, 200, colour="#993366"))
    assert site.library.sync().imported == ["issue-136.md"]  # the scheduler's sync, as before a push
    assert site.approvals.get(136) is None


def test_an_image_replaced_on_both_hosts_loses_nothing(hosts):
    a, b = hosts
    shutil.copytree(SEED_ARTICLE.parent.parent / "docs" / "examples", a / "articles", dirs_exist_ok=True)
    sync(a), sync(b)
    (a / "articles" / "images" / "fines-2020.png").write_bytes(jpeg_bytes(300, 200, colour="#993366"))
    (b / "articles" / "images" / "fines-2020.png").write_bytes(jpeg_bytes(300, 200, colour="#336699"))
    sync(a)
    report = sync(b)
    assert len(report.conflicts) == 1 and "images/fines-2020.png: the image of issue 136 was changed here and in " \
        "the database" in report.conflicts[0]
    assert (b / "articles" / "images" / "fines-2020.png").read_bytes() == jpeg_bytes(300, 200, colour="#993366")
    [aside] = (b / "articles" / ".conflicts").glob("fines-2020.*.png")  # b's own is kept, not lost
    assert aside.read_bytes() == jpeg_bytes(300, 200, colour="#336699")


def test_two_files_with_one_number_are_an_error_everywhere(hosts, run_cli, monkeypatch):
    a, _ = hosts
    shutil.copy(SEED_ARTICLE, a / "articles" / "issue-135.md")
    shutil.copy(SEED_ARTICLE, a / "articles" / "copy-of-135.md")
    monkeypatch.chdir(a)
    report = sync(a)
    assert report.imported == [] and "issue 135 is in copy-of-135.md and issue-135.md" in report.skipped[0]
    out = run_cli("check", "articles/issue-135.md", expect=1).stdout
    assert "issue 135 is also in" in out and "copy-of-135.md" in out
    err = run_cli("push", "articles/issue-135.md", expect=1).stderr
    assert "issue 135 is in two files" in err and "copy-of-135.md" in err
    err = run_cli("schedule", "add", "articles/issue-135.md", "--at", "2099-01-01 09:00", expect=1).stderr
    assert "issue 135 is in two files" in err
    assert "publish_at" not in (a / "articles" / "issue-135.md").read_text()


def test_a_file_that_cannot_be_synced_is_reported_by_every_sync_until_fixed(hosts):
    """The console's issues page shows what a sync could not do, and a long-lived process (`wechat-pub run`)
    syncs often with nothing new to do: the two files were reported once, by whichever sync came first (often
    the scheduler's, whose report no one reads), and the page said nothing from then on."""
    a, _ = hosts
    shutil.copy(SEED_ARTICLE, a / "articles" / "issue-135.md")
    shutil.copy(SEED_ARTICLE, a / "articles" / "copy-of-135.md")
    library = open_site(a).library
    first = library.sync()
    assert [line for line in first.skipped if "issue 135 is in copy-of-135.md and issue-135.md" in line]
    again = library.sync()  # nothing changed since
    assert again.skipped == first.skipped and not again.changed
    (a / "articles" / "copy-of-135.md").unlink()
    assert library.sync().skipped == [] and library.sync().skipped == []


def test_schedule_guards(hosts, run_cli, monkeypatch):
    """Issue 10: a past time was accepted ("will be pushed", exit 0); a file outside articles/ was 'scheduled'."""
    a, _ = hosts
    shutil.copy(SEED_ARTICLE, a / "articles" / "issue-135.md")
    shutil.copy(SEED_ARTICLE, a / "elsewhere.md")
    monkeypatch.chdir(a)
    before = (a / "articles" / "issue-135.md").read_bytes()
    err = run_cli("schedule", "add", "articles/issue-135.md", "--at", "2020-01-01 09:00", expect=1).stderr
    assert "'2020-01-01 09:00' (2020-01-01T09:00:00+08:00) has already passed: it is now" in err
    assert "in Asia/Shanghai" in err and "wechat-pub push" in err
    assert (a / "articles" / "issue-135.md").read_bytes() == before  # untouched
    err = run_cli("schedule", "add", "elsewhere.md", "--at", "2099-01-01 09:00", expect=1).stderr
    assert "elsewhere.md is not in the articles folder of account 'default'" in err
    assert "publish_at" not in (a / "elsewhere.md").read_text()


def test_a_scheduled_issue_that_breaks_stays_listed_as_blocked(hosts, run_cli, monkeypatch):
    a, _ = hosts
    path = a / "articles" / "issue-140.md"
    path.write_text(article(140), encoding="utf-8")
    monkeypatch.chdir(a)
    run_cli("schedule", "add", "articles/issue-140.md", "--at", "2099-01-01 09:00")
    path.write_text(path.read_text().replace("## News of 140\n", "## News of 140\n\n<div>raw html</div>\n"))
    listed = run_cli("schedule", "list").stdout
    assert "2099-01-01T09:00:00+08:00  blocked" in listed and "error(s), so it will not be pushed" in listed


def test_a_scheduled_issue_whose_image_goes_missing_is_listed_as_blocked(hosts, run_cli, monkeypatch):
    """Its text is fine, but a push would refuse it (a newcomer's finding, 2026-12-06: listed as scheduled)."""
    a, _ = hosts
    path = a / "articles" / "issue-142.md"
    path.write_text(article(142).replace("## News of 142\n", "## News of 142\n\n![图](images/gone.png)\n"),
                    encoding="utf-8")
    monkeypatch.chdir(a)
    added = run_cli("schedule", "add", "articles/issue-142.md", "--at", "2099-01-01 09:00")
    assert "images/gone.png" in added.stderr and "blocked at its time unless this is fixed" in added.stderr
    listed = run_cli("schedule", "list").stdout
    assert "2099-01-01T09:00:00+08:00  blocked" in listed and "images/gone.png" in listed, listed


def test_followers_find_only_published_issues(hosts, run_cli, monkeypatch):
    """Issue 10: `ask "第140期"` found an issue that was cancelled and never pushed."""
    a, _ = hosts
    shutil.copy(SEED_ARTICLE, a / "articles" / "issue-135.md")
    (a / "articles" / "issue-140.md").write_text(article(140), encoding="utf-8")
    monkeypatch.chdir(a)
    assert "没有找到" in run_cli("ask", "第140期").stdout
    asked = run_cli("ask", "苹果")
    assert "没有找到" in asked.stdout
    # the operator is told why (a newcomer read "try a shorter keyword" on a fresh install, nothing published)
    assert "issues not published yet match it" in asked.stderr and "wechat-pub ask --all" in asked.stderr
    assert "not published yet" not in run_cli("ask", "量子纠缠").stderr  # (nothing anywhere: nothing to say)
    assert "苹果和谷歌" in run_cli("ask", "--all", "苹果").stdout  # the team can try replies before publishing
    run_cli("mark-published", "articles/issue-135.md", "--url", "https://mp.weixin.qq.com/s/published135")
    answer = run_cli("ask", "苹果").stdout
    assert "苹果和谷歌" in answer and "https://mp.weixin.qq.com/s/published135" in answer
    assert "第135期" in run_cli("ask", "最新").stdout  # the newest *published* issue, not 140
    assert "没有找到" in run_cli("ask", "第140期").stdout


def test_scheduled_scope_includes_issues_whose_time_has_passed(hosts, run_cli, monkeypatch):
    from test_scheduler import passed

    a, _ = hosts
    (a / "articles" / "issue-140.md").write_text(article(140), encoding="utf-8")
    (a / "articles" / "issue-141.md").write_text(article(141, publish_at="2099-01-01 09:00"), encoding="utf-8")
    passed(a / "articles" / "issue-140.md", 60)
    monkeypatch.chdir(a)
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__SEARCH_SCOPE", "scheduled")
    assert "第140期" in run_cli("ask", "最新").stdout
    assert "没有找到" in run_cli("ask", "第141期").stdout  # its time has not come


def test_import_force_keeps_a_backup_and_what_was_added_by_hand(hosts, run_cli, monkeypatch):
    """Issue 10: `import --force` threw away hand-added Source: lines and publish_at (and so the schedule)."""
    from conftest import SEED

    a, _ = hosts
    monkeypatch.chdir(a)
    run_cli("import", SEED)
    path = a / "articles" / "issue-135.md"
    text = path.read_text()
    head = "## 苹果和谷歌联手开发新型冠状病毒肺炎接触者追踪技术"
    start = text.index(head)
    end = text.find("\n## ", text.index("---\n", start))
    end = len(text) if end < 0 else end
    text = text[:end].rstrip("\n") + "\n\nSource: [Apple](https://www.apple.com/newsroom/contact-tracing)\n" + text[end:]
    path.write_text(text)
    run_cli("schedule", "add", "articles/issue-135.md", "--at", "2099-01-01 09:00")
    out = run_cli("import", SEED, "--force").stdout
    assert "the file it replaced is kept as" in out and "carried over from it: publish_at" in out
    assert "carried over from it: Source of '苹果和谷歌联手开发新型冠状病毒肺炎接触者追踪技术'" in out
    new = path.read_text()
    assert "publish_at: '2099-01-01T09:00:00+08:00'" in new or "publish_at: 2099-01-01" in new
    assert "https://www.apple.com/newsroom/contact-tracing" in new
    [backup] = (a / "articles" / ".backups").glob("issue-135.*.md")
    assert backup.read_text() == text.replace("---\n\n#", "publish_at: 2099-01-01 09:00 +08:00\n---\n\n#", 1)
    assert "2099-01-01T09:00:00+08:00  scheduled" in run_cli("schedule", "list").stdout


def test_an_edit_made_in_wechat_is_not_overwritten_unseen(sandbox_dir, sandbox, run_cli):
    """Issue 10: an edit in WeChat's draft editor was overwritten by the next push, without a word."""
    (sandbox_dir / "articles").mkdir()
    path = sandbox_dir / "articles" / "issue-140.md"
    path.write_text(article(140), encoding="utf-8")
    out = run_cli("push", "articles/issue-140.md").stdout
    media_id = out.split("created draft ")[1].split()[0]
    sandbox.admin(f"drafts/{media_id}/edit", "POST", {"find": "中文正文。", "replace": "编辑在微信里改过。"})
    assert "edited in WeChat" in run_cli("push", "articles/issue-140.md").stdout  # unchanged file: nothing sent
    path.write_text(article(140, "文件里的新正文。"), encoding="utf-8")
    err = run_cli("push", "articles/issue-140.md", expect=1).stderr
    assert f"draft {media_id} of issue 140 was edited in WeChat since the last push" in err and "--force" in err
    assert "编辑在微信里改过" in sandbox.state.draft(media_id)["articles"][0]["content"]  # untouched
    out = run_cli("push", "articles/issue-140.md", "--force").stdout
    [kept] = (sandbox_dir / "state" / "wechat-drafts").glob("issue-140-*.json")
    assert "编辑在微信里改过" in kept.read_text() and "that version was saved as" in out
    assert "文件里的新正文" in sandbox.state.draft(media_id)["articles"][0]["content"]
    assert "updated draft" in out


# ---- two service processes, one database ---------------------------------------------------------------


def start(folder, port: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    env.update(WECHAT_PUB_WEBHOOK__TOKEN="tok3n", WECHAT_PUB_WEBHOOK__QUERY_LOG_DELAY="0")
    return subprocess.Popen([sys.executable, "-m", "wechat_pub", "run", "--port", str(port)], cwd=folder, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def ask(port: int, text: str, follower: str = "o_one_follower") -> str:
    xml = message_xml(text, "gh_test").replace("o_simulated_follower_0001", follower)
    params, body = signed_message(xml, "tok3n")
    response = requests.post(f"http://127.0.0.1:{port}/wechat", params=params, data=body, timeout=10)
    return parse_xml(response.content).get("Content", response.text)


def test_two_hosts_agree(tmp_path, database_url, sandbox, run_cli, monkeypatch):
    """Two `wechat-pub run` processes with their own working folders on one database: an issue scheduled on
    the host that does not lead fires once; both hosts give the same answers; a follower is one follower."""
    url = database_url if not database_url.startswith("sqlite") else f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    a, b = host(tmp_path, "a", url, sandbox.port), host(tmp_path, "b", url, sandbox.port)
    shutil.copy(SEED_ARTICLE, a / "articles" / "issue-135.md")
    monkeypatch.chdir(a)
    run_cli("mark-published", "articles/issue-135.md", "--url", "https://mp.weixin.qq.com/s/p135")
    port_a, port_b = free_port(), free_port()
    first = start(a, port_a)
    wait_until_responds(f"http://127.0.0.1:{port_a}/healthz", process=first)
    second = start(b, port_b)  # a leads (it started first); b follows
    try:
        wait_until_responds(f"http://127.0.0.1:{port_b}/healthz", process=second)
        big = IssueFactory(3).issue(number=136, sections=1, items_per_section=2, date="2026-12-01")
        (b / "articles" / "issue-136.md").write_text(write_article(big), encoding="utf-8")
        monkeypatch.chdir(b)
        when = time.strftime("%Y-%m-%d %H:%M:%S +00:00", time.gmtime(time.time() + 3))
        run_cli("schedule", "add", "articles/issue-136.md", "--at", when)  # scheduled on the follower
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and sandbox.state.drafts(0, 100)[0] == 0:
            time.sleep(0.2)
        assert sandbox.state.drafts(0, 100)[0] == 1  # pushed (by the leader, from the database)
        for port in (port_a, port_b):  # both hosts: the newest published issue, and the same match
            assert ask(port, "最新").startswith("第135期")
        assert ask(port_a, "苹果") == ask(port_b, "苹果")
        assert "苹果和谷歌" in ask(port_b, "苹果")
        assert (b / "articles" / "issue-135.md").exists() and (a / "articles" / "issue-136.md").exists()
    finally:
        for process in (first, second):
            process.send_signal(signal.SIGTERM)
        logs = [process.communicate(timeout=30)[0] for process in (first, second)]
    assert sum(log.count("schedule: done") for log in logs) == 1, logs
    top = open_site(a).query_log.top()
    assert ("苹果", 3, 1) in top  # asked 3 times on two hosts, by one follower (one salt for both)
