"""Preflight through the real command: limits, translations, sources, images, exit codes."""

from __future__ import annotations

import datetime as dt
import shutil

from PIL import Image

from conftest import EXAMPLE, SEED_ARTICLE, write_article

HEAD = """---
issue: 12
date: 2026-12-02
title:
  zh: 周报
  en: Weekly
{extra}---

# 国内要闻 | Domestic News

## 中文标题
## English headline

中文正文。{image}

---

English body.

Source: [Origin](https://example.org/a)
"""


def article(folder, extra: str = "", image: str = "", name: str = "issue.md"):
    return write_article(folder, HEAD.format(extra=extra, image=image), name)


def test_repository_articles_pass(firm_dir, run_cli):
    shutil.copy(SEED_ARTICLE, firm_dir / "135.md")
    result = run_cli("check", firm_dir / "135.md", EXAMPLE)
    assert "2 file(s): 0 error(s), 7 warning(s)" in result.stdout  # 5 missing sources in 135:
    assert result.stdout.count("has no source link") == 5  # the PDF text lost the (More) links
    # and in both, the seed's author: 7 characters (documented: 16) but 21 bytes, over the 20 accounts reported
    assert result.stdout.count("the WeChat author '立方律师事务所' has 7 characters, 21 bytes; accounts have "
                               "reported WeChat refusing more than 20 bytes") == 2
    assert "fits in one article" in result.stdout


def test_no_example_or_repository_article_carries_a_fixed_publish_time():
    """A fixed publish_at in a shipped file expires: the suite failed from 2026-12-02 on because of one."""
    shipped = [EXAMPLE, *sorted((EXAMPLE.parent.parent.parent / "articles").glob("*.md"))]
    assert len(shipped) > 1
    for path in shipped:
        assert "publish_at" not in path.read_text(encoding="utf-8"), path


def test_a_publish_time_outside_the_articles_folder_or_in_the_past_is_told(firm_dir, run_cli, fake_clock):
    later = dt.datetime.fromtimestamp(fake_clock.time() + 86400, dt.timezone.utc).strftime("%Y-%m-%d %H:%M +00:00")
    earlier = dt.datetime.fromtimestamp(fake_clock.time() - 86400, dt.timezone.utc).strftime("%Y-%m-%d %H:%M +00:00")
    future = article(firm_dir, f"publish_at: {later}\n", name="future.md")
    out = run_cli("check", future, clock=fake_clock).stdout
    assert "has a publish_at but is not in the articles folder" in out and "in the past" not in out
    past = article(firm_dir, f"publish_at: {earlier}\n", name="past.md")
    out = run_cli("check", past, clock=fake_clock).stdout
    assert "is in the past" in out


def test_clean_article_exit_zero(workdir, run_cli):
    path = article(workdir)
    result = run_cli("check", path)
    assert "1 file(s): 0 error(s), 0 warning(s)" in result.stdout
    assert "'周报｜第12期' (7/32)" in result.stdout


def test_field_limits_are_errors_with_lines(workdir, run_cli):
    extra = ("wechat_title: " + "标" * 33 + "\nauthor: " + "作" * 17 + "\ndigest: " + "摘" * 129 +
             "\nsource_url: https://example.org/" + "x" * 1100 + "\n")
    path = article(workdir, extra)
    out = run_cli("check", path, expect=1).stdout
    assert "issue.md:7: the WeChat title" in out
    assert "has 33 characters, 99 bytes; WeChat's documentation allows 32 characters." in out
    assert "issue.md:8: the WeChat author" in out
    assert "has 17 characters, 51 bytes; WeChat's documentation allows 16 characters." in out
    assert "issue.md:9: the WeChat digest" in out
    assert "has 129 characters, 387 bytes; WeChat's documentation allows 128 characters." in out
    assert "issue.md:10: source_url is 1120 bytes; WeChat allows 1024." in out
    assert "4 error(s)" in out


def test_missing_translation_and_source_are_warnings(workdir, run_cli):
    path = write_article(workdir, """---
issue: 1
date: 2026-12-02
title: {zh: 周报, en: Weekly}
---

# 国内要闻 | Domestic News

## 只有中文

中文正文。
""")
    out = run_cli("check", path).stdout  # warnings alone: exit 0
    assert "issue.md:9: item '只有中文' has no English translation." in out
    assert "issue.md:9: item '只有中文' has no source link." in out
    assert "0 error(s), 2 warning(s)" in out


def test_images_checked(workdir, run_cli):
    (workdir / "ok.png").write_bytes(_png(100, 50))
    Image.new("RGB", (40, 40), "#336699").save(workdir / "anim.gif")
    (workdir / "broken.jpg").write_bytes(b"not an image at all")
    (workdir / "empty.png").write_bytes(b"")
    big = Image.effect_noise((1400, 1400), 100).convert("RGB")
    big.save(workdir / "big.png")  # noise does not compress: well over 1 MB
    images = "\n\n![ok](ok.png)\n\n![gif](anim.gif)\n\n![broken](broken.jpg)\n\n![none](missing.png)\n\n" \
             "![empty](empty.png)\n\n![big](big.png)\n\n![remote](https://example.org/x.png)"
    path = article(workdir, image=images)
    out = run_cli("check", path, expect=1).stdout
    assert "image 'anim.gif' (GIF) is re-encoded as JPEG/PNG under 1 MB" in out
    assert "image 'broken.jpg' cannot be read as an image" in out
    assert "image file 'missing.png' does not exist" in out
    assert "image 'empty.png' is an empty file." in out
    assert "image 'big.png' (" in out and "MB) is re-encoded" in out
    assert "image 'https://example.org/x.png' is on another site" in out
    assert "'ok'" not in out and "ok.png" not in out
    assert "3 error(s), 3 warning(s)" in out


def test_oversized_image_is_an_error(workdir, run_cli):
    huge = workdir / "huge.bmp"
    Image.effect_noise((2000, 1900), 100).convert("RGB").save(huge)  # ~11 MB
    path = article(workdir, image="\n\n![huge](huge.bmp)")
    out = run_cli("check", path, expect=1).stdout
    assert "image 'huge.bmp' is 10.9 MB; WeChat takes at most 10 MB." in out


def test_cover_is_checked(workdir, run_cli):
    path = article(workdir, "cover: nothere.jpg\n")
    out = run_cli("check", path, expect=1).stdout
    assert "issue.md:7: cover file 'nothere.jpg' does not exist" in out


def test_split_is_reported_and_too_large_is_an_error(workdir, run_cli):
    from wechat_pub.source.writer import write_article as write_issue
    from wechat_pub.synthetic import IssueFactory

    (workdir / "big.md").write_text(write_issue(IssueFactory(1).issue(sections=6, items_per_section=5)))
    out = run_cli("check", workdir / "big.md").stdout
    assert "split into 6 articles" in out and "article 6: items 26-30 (案例评析 Case Notes)" in out
    (workdir / "huge.md").write_text(write_issue(IssueFactory(1).issue(sections=10, items_per_section=5)))
    out = run_cli("check", workdir / "huge.md", expect=1).stdout
    assert "the issue needs 10 articles; a WeChat draft holds at most 8." in out


def test_parse_errors_stop_the_check_of_that_file_only(workdir, run_cli):
    bad = write_article(workdir, "---\nissue: 1\n---\n\nno sections\n", "bad.md")
    good = article(workdir)
    out = run_cli("check", bad, good, expect=1).stdout
    assert "bad.md:1: front matter has no 'date'." in out
    assert "good" not in out and "'周报｜第12期' (7/32)" in out
    assert "Traceback" not in out


def test_import_notes_are_a_warning(workdir, run_cli):
    path = article(workdir, "import_notes:\n- 'x.txt:3: masthead line not imported: NEWSLETTER'\n")
    out = run_cli("check", path).stdout
    assert "issue.md:7: 1 import note(s) are still in the front matter." in out


def _png(width: int, height: int) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#ffffff").save(buffer, "PNG")
    return buffer.getvalue()


def test_an_accent_unreadable_in_either_mode_fails_check(workdir, run_cli):
    """WeChat's green is too light for text on white; check says so, names the colour and what to do."""
    (workdir / "config.toml").write_text('[theme]\naccent = "#07c160"\n', encoding="utf-8")
    out = run_cli("check", article(workdir), expect=1).stdout
    assert "unreadable in WeChat's light mode:" in out and "#07c160 on #ffffff" in out
    assert "pick a mid-dark accent (theme.accent in config.toml)" in out


def test_a_missing_qr_code_is_an_error_naming_the_setting(workdir, run_cli):
    (workdir / "config.toml").write_text('[publisher]\nqr_code = "qr.png"\n', encoding="utf-8")
    out = run_cli("check", article(workdir), expect=1).stdout
    assert "publisher.qr_code: image file" in out and "does not exist" in out
    Image.new("RGB", (200, 200), "white").save(workdir / "qr.png")
    assert "0 error(s)" in run_cli("check", article(workdir)).stdout
