"""The command line as a user runs it: import, render, preview, config, and errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

from bs4 import BeautifulSoup

from conftest import EXAMPLE, ROOT, SEED, SEED_ARTICLE
from wechat_pub import model as m
from wechat_pub.source.article import read_article


def test_import_the_seed_like_a_user(firm_dir, run_cli):
    out = run_cli("import", SEED).stdout
    target = firm_dir / "articles" / "issue-135.md"
    assert f"wrote {target}: issue 135 (2020-04), 2 section(s), 5 item(s)" in out
    assert "5 item(s) had a (More)/(查看更多) link" in out and "add a 'Source: [name](https://…)' line" in out
    assert "issue-135.txt:9: masthead line not imported: 关注更多精彩内容" in out
    imported = read_article(target).issue
    committed = read_article(SEED_ARTICLE).issue
    assert [(i.headline, i.body_zh, i.body_en) for i in imported.items] == \
           [(i.headline, i.body_zh, i.body_en) for i in committed.items]
    # a second import refuses to overwrite, and says how
    err = run_cli("import", SEED, expect=1).stderr
    assert "already exists" in err and "--force" in err and "Traceback" not in err
    run_cli("import", SEED, "--force")


def test_import_errors_are_messages(workdir, run_cli):
    (workdir / "notes.txt").write_text("hello\n\nworld.\n")
    err = run_cli("import", workdir / "notes.txt", expect=1).stderr
    assert "could not be imported" in err and "no section headings found" in err
    err = run_cli("import", workdir / "missing.txt", expect=1).stderr
    assert "Cannot read" in err and "No such file or directory" in err


def test_render_prints_the_html_and_the_payload(firm_dir, run_cli):
    html = run_cli("render", SEED_ARTICLE).stdout
    assert html.startswith("<!-- article 1/1: 立方网络安全与数据合规周报｜第135期 -->\n<section style=")
    payload = json.loads(run_cli("render", SEED_ARTICLE, "--json").stdout)
    [article] = payload["articles"]
    assert list(article) == ["title", "author", "digest", "content", "content_source_url", "need_open_comment",
                             "only_fans_can_comment"]
    assert article["content"] == html.split("\n", 1)[1].rstrip("\n")
    text = BeautifulSoup(article["content"], "html.parser").get_text()
    for item in read_article(SEED_ARTICLE).issue.items:
        assert item.headline.zh in text and item.headline.en in text
        assert m.plain_text(item.body_zh).strip() in text and m.plain_text(item.body_en).strip() in text


def test_render_with_theme_and_output_file(workdir, run_cli):
    target = workdir / "out.html"
    run_cli("render", EXAMPLE, "--theme", "ink", "-o", target)
    assert "#0f6b5c" in target.read_text()
    err = run_cli("render", EXAMPLE, "--theme", "neon", expect=1).stderr
    assert "unknown theme 'neon'; choose one of: classic, ink" in err


def test_render_refuses_a_broken_article_listing_every_error(workdir, run_cli):
    bad = workdir / "bad.md"
    bad.write_text("---\nissue: 0\ndate: 2026\ntitle: {zh: 中, en: E}\n---\n\n## 无节\n")
    err = run_cli("render", bad, expect=1).stderr
    assert "has 3 error(s):" in err
    assert "bad.md:2: error: issue must be a positive whole number" in err
    assert "bad.md:3: error: date 2026 is not YYYY-MM-DD or YYYY-MM." in err
    assert "bad.md:7: error: item '无节' is not inside a section." in err
    assert "Traceback" not in err


def test_preview_writes_a_page(workdir, run_cli):
    out = run_cli("preview", EXAMPLE).stdout
    page = (workdir / "preview" / "issue-136.html").read_text()
    assert "wrote preview/issue-136.html" in out
    soup = BeautifulSoup(page, "html.parser")
    assert len(soup.select(".phone.light")) == 1 and len(soup.select(".phone.dark")) == 1
    assert "data:image/png;base64," in page  # local images shown from the file, in the preview only


def test_config_show_hides_secrets(firm_dir, run_cli, monkeypatch):  # noqa: D103
    monkeypatch.setenv("WECHAT_PUB_WECHAT__SECRET", "s3cret-value")
    monkeypatch.setenv("WECHAT_PUB_WECHAT__APPID", "wx123")
    out = run_cli("config", "show").stdout
    assert "s3cret-value" not in out and 'wechat.secret = "********"' in out
    assert 'wechat.appid = "wx123"' in out and 'publisher.name_en = "Lifang & Partners"' in out


def test_bad_config_is_one_clear_message(workdir, run_cli):
    (workdir / "config.toml").write_text("[theme]\nnmae = 'ink'\n")
    err = run_cli("check", EXAMPLE, expect=1).stderr
    assert "unknown setting 'theme.nmae'" in err and "Did you mean 'theme.name'?" in err
    (workdir / "config.toml").write_text("[publisher\n")
    err = run_cli("check", EXAMPLE, expect=1).stderr
    assert "config.toml: not valid TOML" in err


def test_usage_errors_exit_2(run_cli):
    result = run_cli("check", expect=2)
    assert "Missing argument" in result.stderr


def test_the_installed_command_runs(tmp_path):
    """The console script a newcomer types, as a real process."""
    done = subprocess.run([sys.executable, "-m", "wechat_pub", "check", str(EXAMPLE)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "0 error(s), 1 warning(s)" in done.stdout and "'立方律师事务所' has 7 characters, 21 bytes" in done.stdout
    done = subprocess.run([sys.executable, "-m", "wechat_pub", "render", "nothing.md"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "nothing.md:" in done.stderr and "Traceback" not in done.stderr


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = readme.split("```")
    assert "pip install" in blocks[1] and "wechat-pub" in blocks[1]
    assert "pytest" in blocks[3]
    assert blocks[1].strip().startswith("sh\npip install -e '.[test]' && wechat-pub run")
    ci = (ROOT / ".ci" / "run").read_text()
    # CI runs the README's own commands (read from it), in a virtualenv of its own without site packages
    assert "README.md" in ci and 'bash -c "$install_command"' in ci and 'bash -c "$test_command"' in ci
    assert "python3 -m venv" in ci and "system-site-packages" not in ci
    assert SEED.exists() and SEED.is_relative_to(ROOT)


def test_status_in_a_folder_that_is_no_project_says_so(tmp_path, run_cli, monkeypatch):
    """A newcomer's finding (2026-12-06): `wechat-pub status` in /tmp said only "no articles in /tmp/articles"."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WECHAT_PUB_CONFIG", raising=False)
    result = run_cli("status")
    assert "no articles in" in result.stdout
    assert "there is no config.toml here either: run wechat-pub in your project's folder" in result.stderr
