"""Review 23: the query spool's "never raises, said once" (7a8105e) under the failures it was made for. Each test
fails on the code as committed (edb3e56)."""

from __future__ import annotations

import errno
import logging
import os
import shutil

from conftest import stores_at


def sqlite_stores(tmp_path):
    return stores_at(f"sqlite:///{tmp_path / 'state.sqlite3'}")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# ---- Medium: a spool that cannot be locked (or renamed) leaks a descriptor and a *.making file per query -------

def test_a_spool_that_cannot_be_made_leaks_no_descriptor_per_query(tmp_path, monkeypatch):
    """_spool() opens ``*.making``, then flocks it, then renames it; an OSError from flock (ENOLCK: an NFS state
    folder without its lock daemon, or the kernel out of lock records) or from the rename (ENOSPC growing the
    directory on a full disk) leaves the fd open and the file behind, self._fd still None. append now takes the
    error as "cannot write" (logged once, the query counted as dropped), so the next query does it again: one fd
    and one empty *.making file (no mover ever looks at them) per follower's message, silently, until the worker
    hits EMFILE and can no longer accept a connection or open its search index. (Before 7a8105e the same leak was
    at least loud: "webhook failed" at every message.)"""
    from wechat_pub.state import querylog

    stores = sqlite_stores(tmp_path)
    folder = tmp_path / "query-log"
    spool = querylog.QuerySpool(lambda: stores.db, folder, delay=3600)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    real_flock = querylog.fcntl.flock

    def flock(fd, flags):
        if flags == querylog.fcntl.LOCK_EX:  # (the new spool's lock; _try_lock asks LOCK_EX | LOCK_NB)
            raise OSError(errno.ENOLCK, "No locks available")
        return real_flock(fd, flags)

    monkeypatch.setattr(querylog.fcntl, "flock", flock)
    before = open_fds()
    for n in range(50):
        log.add(f"asked {n}", 1, "f")
    assert spool.dropped == 50  # (the "never raises" path: answered, not logged)
    leaked = open_fds() - before
    left = sorted(path.name for path in folder.glob("*.making"))
    assert leaked == 0 and left == [], f"{leaked} descriptors and {len(left)} *.making files for 50 queries"


# ---- Low: a nearly full disk says "cannot write" / "writing again" at every other query ---------------------

def test_a_nearly_full_disk_is_not_said_at_every_other_query(tmp_path, monkeypatch, caplog):
    """On a full disk (or at a quota) a line that fits in the slack of the spool's last block is written and a
    longer one is cut short (undone by ftruncate, which frees nothing). Followers' queries come short and long,
    so writes alternate: _unwritable logs an ERROR at the first failure after any success, and _write a WARNING
    at the first success after any failure, two lines per pair of queries for as long as the disk stays full.
    The folder-full path (_drop/_say_if_room_again) was given hysteresis for exactly this reason ("or a full
    folder would say so at every short query"); the disk-full one was not."""
    from wechat_pub.state import querylog

    stores = sqlite_stores(tmp_path)
    spool = querylog.QuerySpool(lambda: stores.db, tmp_path / "query-log", delay=3600)
    log = querylog.QueryLog(stores.db, "wx_sandbox", spool)
    real_write = os.write

    def write(fd, data):
        if fd == spool._fd and len(data) > 200:  # (the slack left in the last block: a short line fits)
            return real_write(fd, data[:100])
        return real_write(fd, data)

    monkeypatch.setattr(querylog.os, "write", write)
    with caplog.at_level(logging.WARNING, logger="wechat_pub.state.querylog"):
        for n in range(10):
            log.add("个人信息 " * 40, 1, "f")  # (long: cut short)
            log.add(f"short {n}", 1, "f")
    said = [record.getMessage() for record in caplog.records]
    assert spool.dropped == 10
    assert len(said) <= 2, f"{len(said)} log lines for 20 queries on a full disk: {said[:4]}"


# ---- Low: with query_log_delay 0, append raises after all ------------------------------------------------------

def test_append_never_raises_with_no_delay(tmp_path):
    """append's docstring: "Never raises". With webhook.query_log_delay = 0 (a documented setting) append calls
    flush() itself, and flush's _ready_spools -> _set_aside lets the os.replace error out (its folder removed by
    an operator's clean-up, as in review 19; ENOSPC renaming in a full directory): append raises to the webhook,
    whose new try/except hides it as "what a message set off failed" with a traceback."""
    from wechat_pub.state.querylog import QueryLog, QuerySpool

    stores = sqlite_stores(tmp_path)
    folder = tmp_path / "query-log"
    spool = QuerySpool(lambda: stores.db, folder, delay=0)
    log = QueryLog(stores.db, "wx_sandbox", spool)
    log.add("before", 1, "f")
    spool._spool()  # (this process's next spool, made as the next query makes it)
    shutil.rmtree(folder)
    try:
        log.add("after the clean-up", 1, "f")
    except OSError as exc:
        raise AssertionError(f"append raised {exc!r}") from None
