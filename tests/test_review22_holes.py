"""Review 22: the query log checked against every legitimate writer (after 90a82c2: matches -1 was set aside),
and hostile lines still accepted. Each test fails on the code as committed (90a82c2)."""

from __future__ import annotations

import errno
import os
from types import SimpleNamespace

import pytest
from test_query_spool_lines import line, queries_in

from conftest import make_database_url, stores_at


def sqlite_stores(tmp_path):
    return stores_at(f"sqlite:///{tmp_path / 'state.sqlite3'}")


# ---- Medium: processes forked after the spool was made (gunicorn --preload) share its entry ids -------------

def test_processes_forked_after_the_spool_was_made_log_every_query(tmp_path):
    """Services.query_spool is made when the app is (create_app builds every bot and its QueryLog). Under
    gunicorn --preload that is the master, and every worker forked from it inherits the spool's random prefix
    and its counter at 0: the first query of each worker has the same entry id ("<prefix>1"), in a spool of its
    own. The first spool moved writes it; each later one is "already written" (_not_written, ON CONFLICT DO
    NOTHING): silently dropped, neither in the log nor in *.rejected. With 4 workers, about 3 queries in 4 are
    lost, and the summaries never count them."""
    from wechat_pub.state.querylog import QueryLog, QuerySpool

    stores = sqlite_stores(tmp_path)
    folder = tmp_path / "query-log"
    spool = QuerySpool(lambda: stores.db, folder, delay=3600)  # (made in the master, before the fork)
    log = QueryLog(stores.db, "wx_sandbox", spool)
    pid = os.fork()
    if pid == 0:  # a worker: answers one follower and is killed (its spool is adopted by the next flush)
        try:
            log.add("asked in worker 1", 1, "f1")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    log.add("asked in worker 2", 1, "f2")  # (this process plays the second worker)
    spool.flush()
    assert queries_in(stores) == ["asked in worker 1", "asked in worker 2"]


# ---- Medium: a short write glues the next query to a half line ---------------------------------------------

def test_a_short_write_does_not_take_the_next_query_with_it(tmp_path, monkeypatch):
    """append ignores what os.write returns. A write to a regular file can be short (the disk or the user's
    quota fills up in the middle of a line, RLIMIT_FSIZE): the half line stays in the spool without its newline,
    _size counts the whole, and the next query, written once the disk has room again (logs rotated, a backup
    removed), is appended to the half line. The two make one line that is not JSON: the next query, complete
    and legitimate, is set aside in *.rejected and missing from the statistics."""
    from wechat_pub.state import querylog

    stores = sqlite_stores(tmp_path)
    spool = querylog.QuerySpool(lambda: stores.db, tmp_path / "query-log", delay=3600)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    real_write, short = os.write, {"once": True}

    def write(fd, data):
        if fd == spool._fd and short.pop("once", False):
            return real_write(fd, data[:len(data) // 2])  # (the disk full after half the line)
        return real_write(fd, data)

    monkeypatch.setattr(querylog.os, "write", write)
    log.add("cut by the full disk", 1, "f1")
    log.add("asked once there was room", 1, "f2")
    monkeypatch.setattr(querylog.os, "write", real_write)
    spool.flush()
    assert "asked once there was room" in queries_in(stores)


# ---- Medium: a full disk (or a spool folder that cannot be written) silences the webhook --------------------

class _Replier:
    def answer(self, query):
        from wechat_pub.bot.replies import Reply

        return Reply("text", f"found {query}", matches=1)


class _Replies:
    def keep(self, key, answer):
        return SimpleNamespace(first=True, answer=answer)


def test_a_query_that_cannot_be_spooled_still_gets_its_answer(tmp_path, monkeypatch):
    """The query log promises "the webhook never waits for the database"; but an OSError of the spool itself
    (ENOSPC or EDQUOT from os.write, EMFILE or EACCES making a new spool in _spool) is raised out of
    QuerySpool.append, through the effect answer_once runs after keeping the answer, to WebhookRoutes.answer,
    which logs "webhook failed" and sends "success": while the disk is full every follower gets no answer at
    all (and WeChat does not retry a "success"), not just an unlogged query. A full folder (SPOOL_LIMIT) is
    handled as a drop; a full disk should be too."""
    from wechat_pub.bot.webhook import Bot, WebhookSettings
    from wechat_pub.state import querylog

    stores = sqlite_stores(tmp_path)
    spool = querylog.QuerySpool(lambda: stores.db, tmp_path / "query-log", delay=3600)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    real_write = os.write

    def write(fd, data):
        if fd == spool._fd:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(querylog.os, "write", write)
    bot = Bot(WebhookSettings(token="t", appid="wx_sandbox"), _Replier(), _Replies(), log)
    message = {"MsgType": "text", "Content": "hello", "FromUserName": "o_follower", "ToUserName": "gh_account",
               "MsgId": "1", "CreateTime": "1800000000"}
    try:
        answer = bot.answer_once(message)
    except OSError as exc:
        pytest.fail(f"the follower gets no answer: {exc}")
    assert "found hello" in answer
    assert spool.dropped == 1  # (counted as a query answered but not logged)


# ---- Low: a hostile time accepted by _row makes PostgreSQL's reads of the summaries fail ----------------------

def test_a_denormal_time_does_not_break_the_followers_page_on_postgresql(tmp_path):
    """_row accepts any 0 < at < 1e11, so at = 5e-324 (a hand edit, or a stray writer) moves. On PostgreSQL
    the reads of the first, partial day compute floor(at / 86400) (QuerySummary._day), and a float8 division
    that underflows to 0 is an error there ("value out of range: underflow"): every top-queries view whose
    period reaches back to 1970 (QueryLog.top() with its default since=0, `wechat-pub queries --days 30000`)
    fails with a DataError until the retention prunes the row (never, with retention off). SQLite answers. A
    time of at least 1 s (or any sane lower bound, e.g. 2000-01-01) would be set aside instead."""
    from wechat_pub.state.querylog import QueryLog, QuerySpool

    stores = stores_at(make_database_url("postgresql", tmp_path))
    folder = tmp_path / "query-log"
    folder.mkdir()
    (folder / "a-host-1-aaaaaa.jsonl").write_bytes(line("a0", "denormal", at=5e-324) + line("a1", "good"))
    spool = QuerySpool(lambda: stores.db, folder, delay=3600)
    spool.flush()
    if (folder / "a-host-1-aaaaaa.rejected").exists():
        return  # (set aside: the fix)
    assert sorted(query for query, _, _ in QueryLog(stores.db, "wx_sandbox", spool).top(since=0)) == [
        "denormal", "good"]
