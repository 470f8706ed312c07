"""Durability: the push process is killed (SIGKILL) at each step and run again. The sandbox ends with
exactly one draft with the right content, and no image uploaded twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from conftest import jpeg_bytes

ARTICLE = """---
issue: 160
date: 2026-12-02
title:
  zh: 数据合规周报
  en: Weekly Data Review
---

# 国内要闻 | Domestic News

## 第一条
## First item

中文正文。

![图一](one.jpg)

---

English body of the killed push.

![Figure two](two.jpg)

Source: [Origin](https://example.org/a)
"""

STEPS = ["upload#1", "upload#2", "upload#3", "before-draft-add", "after-draft-add"]


def push(folder, crash_at: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    if crash_at:
        env["WECHAT_PUB_TEST_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-m", "wechat_pub", "push", "articles/issue-160.md"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def issue_dir(sandbox_dir):
    articles = sandbox_dir / "articles"
    articles.mkdir()
    (articles / "one.jpg").write_bytes(jpeg_bytes(500, 300, noise=True))
    (articles / "two.jpg").write_bytes(jpeg_bytes(400, 300, noise=True))
    (articles / "issue-160.md").write_text(ARTICLE, encoding="utf-8")
    return sandbox_dir


@pytest.mark.parametrize("step", STEPS)
def test_killed_push_reruns_to_exactly_one_draft(issue_dir, sandbox, step, run_cli):
    killed = push(issue_dir, step)  # a real process, killed for real
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    rerun = run_cli("push", "articles/issue-160.md")  # the runs after it: the real main(), in this process
    if step == "after-draft-add":  # the draft existed, its id was never recorded: found by its marker
        assert "from an interrupted push" in rerun.stderr and "unchanged" in rerun.stdout
    again = run_cli("push", "articles/issue-160.md")  # and a third run changes nothing
    assert "unchanged" in again.stdout
    total, drafts = sandbox.state.drafts(0, 100)
    assert total == 1
    [article] = drafts[0]["articles"]
    assert "English body of the killed push." in article["content"]
    assert article["content"].count("mmbiz.qpic.cn") == 3  # both images and the QR code, as WeChat URLs
    kinds = [row["kind"] for row in sandbox.state.connection().execute("SELECT kind FROM media")]
    assert kinds.count("uploadimg") == 3 and kinds.count("image") == 1  # nothing uploaded twice


def test_lost_answer_to_draft_add_is_recovered_in_the_same_run(issue_dir, sandbox, run_cli):
    sandbox.fault("draft/add", "drop_after")  # WeChat made the draft, the answer never came back
    done = run_cli("push", "articles/issue-160.md")
    assert "found draft" not in done.stdout and "created draft" in done.stdout
    assert sandbox.state.drafts(0, 100)[0] == 1
