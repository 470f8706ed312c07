"""The console's lists at a year's scale keep their parsed issues out of the garbage collector's full passes
(issue 27): left in, each full pass walked two thousand parsed issues (180 ms, every few views: the p95 of every
console page in bench/console.py). At most once in a while, not on every view."""

from __future__ import annotations

import gc

from security_service import ARTICLE

from conftest import firm_config, open_site
from wechat_pub import issue_reader
from wechat_pub import model as m
from wechat_pub.publish.status import overview


def test_issues_parsed_for_a_list_are_settled_out_of_full_collections(tmp_path, monkeypatch):
    monkeypatch.setattr(issue_reader, "_settled_at", None)  # whatever this process's earlier tests did
    firm_config(tmp_path)
    articles = tmp_path / "articles"
    articles.mkdir(exist_ok=True)
    for number in range(1, 62):
        (articles / f"issue-{number}.md").write_text(ARTICLE.format(number=number, images=""), encoding="utf-8")
    open_site(tmp_path).library.sync()  # imported by one process; another (a console worker) lists them
    frozen_before = gc.get_freeze_count()
    try:
        rows = overview(open_site(tmp_path))
        assert len(rows) == 61 and all(row.valid for row in rows)
        assert gc.get_freeze_count() > frozen_before
        collected = [obj for obj in gc.get_objects() if isinstance(obj, m.Item)]
        assert not collected, f"{len(collected)} parsed items still walked by every full collection"
        settled = gc.get_freeze_count()
        assert len(overview(open_site(tmp_path))) == 61  # another worker's first view, a moment later:
        assert gc.get_freeze_count() == settled  # not settled again (each settling is a full collection)
    finally:
        gc.unfreeze()  # this test process goes on as it was
