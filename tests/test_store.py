"""The state database: several processes creating it at once, and an older database gaining new columns."""

from __future__ import annotations

import multiprocessing
import sqlite3

from conftest import stores_at
from wechat_pub.state.pushes import PushState


def _open(url: str, results) -> None:
    try:
        stores_at(url).pushes("wx").draft_added(1, "a.md", "m1", "h", 1)
        results.put("ok")
    except Exception as exc:  # reported to the parent, which fails the test with it
        results.put(repr(exc))


def test_many_processes_create_the_database_at_once(database_url):
    url = database_url
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    workers = [context.Process(target=_open, args=(url, results)) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [results.get(timeout=5) for _ in workers] == ["ok"] * 6


def test_an_older_database_gains_the_new_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE pushes (appid VARCHAR(64) NOT NULL, issue INTEGER NOT NULL, path TEXT NOT NULL, "
               "state VARCHAR(20) NOT NULL, content_hash VARCHAR(64) NOT NULL, marker VARCHAR(120) NOT NULL, "
               "draft_media_id VARCHAR(200) NOT NULL, article_count INTEGER NOT NULL, publish_id VARCHAR(64) NOT NULL, "
               "article_urls TEXT NOT NULL, error TEXT NOT NULL, hint TEXT NOT NULL, updated_at FLOAT NOT NULL, "
               "PRIMARY KEY (appid, issue))")
    db.execute("INSERT INTO pushes VALUES ('wx', 135, 'a.md', 'draft', 'h', '', 'm1', 1, '', '[]', '', '', 1.0)")
    db.commit()
    db.close()
    record = stores_at(f"sqlite:///{path}").pushes("wx").get(135)
    assert (record.draft_media_id, record.pending_hash, record.cover_url) == ("m1", "", "")
    assert record.state is PushState.DRAFT
