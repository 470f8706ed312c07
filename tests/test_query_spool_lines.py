"""The query log's spools as hostile input: a line that is not a query (a disk that filled up mid-line, a hand
edit, a stray byte) is set aside for the operator and the rest moves; and a long database outage does not fill
the disk, however many times the spools are set aside meanwhile."""

from __future__ import annotations

import json

from conftest import free_port, stores_at


def queries_in(stores) -> list[str]:
    return sorted(query for _, query, _, _ in stores.query_log().entries())


def line(entry_id: str, query: str, **changes) -> bytes:
    row = {"entry_id": entry_id, "appid": "wx_sandbox", "at": 1_800_000_000.5, "query": query, "matches": 1,
           "follower": "f", **changes}
    return json.dumps(list(row.values()), ensure_ascii=False).encode() + b"\n"


def fail_the_stuck_spools(monkeypatch) -> None:
    """A spool with the word "stuck" in it fails to move (a bug reading it: not an outage)."""
    from wechat_pub.state import spoollines

    real_rows_of = spoollines.rows_of

    def rows_of(data):
        if b"stuck" in data:
            raise RuntimeError("a bug in one spool")
        return real_rows_of(data)

    monkeypatch.setattr(spoollines, "rows_of", rows_of)


def an_outage_filling(folder, stores, monkeypatch, limit: int):
    """(the spool, {"away": True}): 3,000 queries logged into ``folder`` while the database is away (set "away"
    to False to bring it back), with the thread's moves after each hundred, the folder's limit ``limit``."""
    from wechat_pub.state import querylog
    from wechat_pub.state.database import StateDatabase

    monkeypatch.setattr(querylog, "SPOOL_LIMIT", limit)
    outage = {"away": True}

    def database():
        if outage["away"]:
            return StateDatabase(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
        return stores.db

    spool = querylog.QuerySpool(database, folder, delay=3600)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    for move in range(30):
        for n in range(100):
            log.add(f"q{move}-{n}", 1, "f")
        spool._move_or_hand_over()
    return spool, outage


BAD_LINES = [
    b"not json at all\n",
    b'["cut","wx_sandbox",1800000000.5,"half a li\n',  # (the disk filled up mid-line)
    b'["bytes","wx_sandbox",1800000000.5,"\xff\xfe",1,"f"]\n',  # (not UTF-8)
    line("typed", "matches as text", matches="many"),
    line("when", "a time as text", at="yesterday"),
    b'["short","wx_sandbox",1800000000.5,"five fields",1]\n',
    b'{"entry_id":"dict","appid":"wx_sandbox"}\n',
    b"42\n",
    b'[null,null,null,null,null,null]\n',
]


def test_lines_that_are_not_queries_are_set_aside_and_the_rest_moves(tmp_path, database_url):
    """Two spools of dead processes, the first (by name) with a bad line of every kind among good ones: before,
    json.loads raised on the first bad line and every later flush stopped at that spool, so nothing of the
    folder reached the database again. Now the good rows move, the bad lines wait in a .rejected file."""
    from wechat_pub.state.querylog import QuerySpool

    folder = tmp_path / "query-log"
    folder.mkdir()
    good = [line(f"a{n}", f"good {n}") for n in range(3)]
    (folder / "a-host-1-aaaaaa.jsonl").write_bytes(good[0] + b"".join(BAD_LINES[:5]) + good[1]
                                                  + b"".join(BAD_LINES[5:]) + good[2])
    (folder / "b-host-2-bbbbbb.jsonl").write_bytes(line("b0", "later spool"))
    stores = stores_at(database_url)
    spool = QuerySpool(lambda: stores.db, folder, delay=3600)

    assert spool.flush() == 4 and spool.flush() == 0
    assert queries_in(stores) == ["good 0", "good 1", "good 2", "later spool"]
    assert sorted(path.name for path in folder.iterdir()) == ["a-host-1-aaaaaa.rejected"]
    assert (folder / "a-host-1-aaaaaa.rejected").read_bytes() == b"".join(BAD_LINES)


def test_a_query_answered_while_search_was_unavailable_is_logged(tmp_path, database_url):
    """The webhook logs a query it answered "search is unavailable" (the index being made, or failing) with
    matches -1: the line check of 2026-12-07 took that for a line that is not a query and set it aside, so
    the first questions of a new host went missing from what followers asked (CI +3y saw 个人信息 (1) for 2)."""
    from wechat_pub.state.querylog import QueryLog, QuerySpool

    folder = tmp_path / "query-log"
    stores = stores_at(database_url)
    spool = QuerySpool(lambda: stores.db, folder, delay=3600)
    log = QueryLog(stores.db, "wx_sandbox", spool)
    log.add("个人信息", -1, "f1")
    log.add("个人信息", 2, "f2")
    assert spool.flush() == 2
    assert sorted(matches for _, _, matches, _ in log.entries()) == [-1, 2]
    assert log.top() == [("个人信息", 2, 2)] and log.top(unanswered=True) == []
    assert not list(folder.glob("*.rejected"))
    assert spool.flush() == 0 and not list(folder.glob("*.rejected"))
    assert line("x", "-2 is no count", matches=-2) in b"".join(_rejected_after_moving(tmp_path, stores))


def _rejected_after_moving(tmp_path, stores) -> list[bytes]:
    from wechat_pub.state.querylog import QuerySpool

    folder = tmp_path / "hand-made"
    folder.mkdir()
    (folder / "a-host-1-aaaaaa.jsonl").write_bytes(line("x", "-2 is no count", matches=-2))
    QuerySpool(lambda: stores.db, folder, delay=3600).flush()
    return [path.read_bytes() for path in folder.glob("*.rejected")]


def test_a_spool_that_fails_for_another_reason_does_not_hold_up_the_others(tmp_path, monkeypatch, caplog):
    """Any failure of one spool but an outage (here: a bug reading it) leaves it on disk, says so once in the log
    (not at every move), and the others move; the mover counts what moved."""
    import logging

    from wechat_pub.state import querylog, querymover

    folder = tmp_path / "query-log"
    folder.mkdir()
    (folder / "a-host-1-aaaaaa.jsonl").write_bytes(line("a0", "stuck"))
    (folder / "b-host-2-bbbbbb.jsonl").write_bytes(line("b0", "moves"))
    stores = stores_at(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    spool = querylog.QuerySpool(lambda: stores.db, folder, delay=0.01)
    fail_the_stuck_spools(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="wechat_pub.state.querylog"):
        assert querymover.run(spool, idle_exit=0) == 1
        assert spool.flush() == 0 and spool.flush() == 0
    assert queries_in(stores) == ["moves"]
    assert sorted(path.name for path in folder.iterdir()) == ["a-host-1-aaaaaa.jsonl", "mover.lock"]
    assert [record.message for record in caplog.records] == [
        "query log: a-host-1-aaaaaa.jsonl could not be moved (kept on disk, tried again at every move)"]


def test_a_long_outage_keeps_the_spools_within_the_limit(tmp_path, database_url, monkeypatch):
    """Each move during an outage sets this process's spool aside and starts a new one; the limit was counted
    per file, so the folder grew by a spool every move (every two seconds, for as long as the database was away).
    Now it counts the folder: the queries past it are answered but not logged, the first drop says so, and what
    was kept moves when the database is back."""
    limit = 20_000
    stores = stores_at(database_url)
    folder = tmp_path / "query-log"
    spool, outage = an_outage_filling(folder, stores, monkeypatch, limit)
    on_disk = sum(path.stat().st_size for path in folder.iterdir())
    assert on_disk <= limit
    assert spool.dropped > 0

    outage["away"] = False
    spool._move_or_hand_over()
    assert len(stores.query_log().entries()) == 3000 - spool.dropped
    assert not [path for path in folder.iterdir() if path.stat().st_size]


def test_a_full_disk_is_said_once_and_logging_resumes_when_it_has_room(tmp_path, database_url, monkeypatch, caplog):
    """While the spool cannot be written, followers are answered and their queries counted as dropped; the log
    says so once, then once more, with the count, when queries have been written for a minute again (a nearly
    full disk takes some lines and refuses others: review 23)."""
    import errno
    import logging
    import os

    from conftest import FakeClock
    from wechat_pub.state import querylog

    clock = FakeClock()
    stores = stores_at(database_url)
    spool = querylog.QuerySpool(lambda: stores.db, tmp_path / "query-log", delay=3600, clock=clock.clock)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    real_write, full = os.write, {"on": True}

    def write(fd, data):
        if fd == spool._fd and full["on"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(querylog.os, "write", write)
    with caplog.at_level(logging.WARNING, logger="wechat_pub.state.querylog"):
        log.add("lost 1", 1, "f")
        log.add("lost 2", 1, "f")
        full["on"] = False
        log.add("kept 1", 1, "f")
        clock.advance(querylog.QUIET_AGAIN)
        log.add("kept 2", 1, "f")
    said = [record.getMessage() for record in caplog.records]
    assert len([m for m in said if "cannot write" in m and "No space left" in m]) == 1
    assert said[-1] == "query log: writing again; 2 queries were answered but not logged" and len(said) == 2
    assert spool.flush() == 2 and queries_in(stores) == ["kept 1", "kept 2"] and spool.dropped == 2


def test_a_half_line_that_cannot_be_undone_ends_its_spool(tmp_path, monkeypatch):
    """A short write whose half line cannot be cut off again (the truncate fails too): that spool is left as a
    dead process's, its half line its last (set aside alone), and the next query starts a spool of its own."""
    import os

    from wechat_pub.state import querylog

    stores = stores_at(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    spool = querylog.QuerySpool(lambda: stores.db, tmp_path / "query-log", delay=3600)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    log.add("before", 1, "f")
    real_write, short = os.write, {"once": True}

    def write(fd, data):
        if fd == spool._fd and short.pop("once", False):
            return real_write(fd, data[:10])
        return real_write(fd, data)

    def ftruncate(fd, size):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(querylog.os, "write", write)
    monkeypatch.setattr(querylog.os, "ftruncate", ftruncate)
    log.add("cut", 1, "f")
    log.add("after", 1, "f")
    assert spool.flush() == 2 and queries_in(stores) == ["after", "before"]
    [rejected] = (tmp_path / "query-log").glob("*.rejected")
    assert len(rejected.read_bytes().splitlines()) == 1 and spool.dropped == 1
