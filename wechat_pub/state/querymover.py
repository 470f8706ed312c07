"""The host's mover of followers' queries. Under load (followers' questions by the hundred a second), moving the
spools into the database (:mod:`wechat_pub.state.querylog`: the log's rows and its summaries) costs the webhook's
workers a fifth of an answer's CPU. Then one process per host moves them instead, at the lowest CPU priority:
answers come first, and the moving catches up as the load falls. The workers set their spools aside for it.

Nothing waits forever and nothing is lost: while the mover cannot be started, or once its backlog passes
:data:`BACKLOG_LIMIT` (a load that does not fall), the workers move their spools themselves, as they do under a
light load, when a second process is not worth its start.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import threading
from pathlib import Path

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.spoollines import bytes_in

log = logging.getLogger(__name__)
BUSY_ROWS = 200  # queries a worker logged since its last move: from here on, the mover moves its spools
BACKLOG_LIMIT = 16 * 1024 * 1024  # bytes set aside and not yet moved (about 150,000 queries): workers help
IDLE_EXIT = 30.0  # seconds with nothing to move before the mover ends (a worker under load starts it again)
START_EVERY = 10.0  # seconds between a worker's attempts to start it
LOCK_NAME = "mover.lock"  # held by the living mover
SET_ASIDE = "*.moving"  # spools set aside by their process (querylog.QuerySpool)


class QueryMover:
    """What a worker knows of its host's mover: ``command`` starts one, in a session of its own (a worker's
    restart does not end it). Its output goes nowhere: a mover that fails leaves the spools on disk, and the
    workers, finding no mover, move them themselves."""

    def __init__(self, folder: Path, command: list[str], busy_rows: int = BUSY_ROWS,
                 backlog_limit: int = BACKLOG_LIMIT, clock: Clock = SYSTEM_CLOCK):
        self.folder = Path(folder)
        self.command = command
        self.busy_rows = busy_rows
        self.backlog_limit = backlog_limit
        self.clock = clock
        self._tried: float | None = None  # when this worker last started one
        self._process: subprocess.Popen | None = None  # the one it started (alive: starting, or moving)

    def takes(self, rows: int) -> bool:
        """Whether the mover is to move this worker's spool of ``rows`` queries: while it runs, or under load
        (then started); False: the worker moves it (a light load, or a backlog past the limit)."""
        if backlog(self.folder) > self.backlog_limit:
            return False
        if self.running():
            return True
        now = self.clock.monotonic()
        if rows < self.busy_rows or (self._tried is not None and now - self._tried < START_EVERY):
            return False  # (one that did not start is not started again at every move)
        self._tried = now
        try:
            self._process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
        except OSError as exc:
            log.warning("query log: the host's mover did not start (%s); the workers move the queries", exc)
            return False
        try:
            os.setpriority(os.PRIO_PROCESS, self._process.pid, 19)  # (its start too: it begins with imports)
        except OSError:  # it ended already
            pass
        return True

    def running(self) -> bool:
        """A mover holds the lock, or the one this worker started is still alive (it takes a moment to start;
        asking also reaps it once it ended)."""
        return (self._process is not None and self._process.poll() is None) or running(self.folder)


def backlog(folder: Path) -> int:
    """Bytes of the spools set aside and not moved yet."""
    return bytes_in(folder, SET_ASIDE)


def running(folder: Path) -> bool:
    """Whether a mover holds the folder's lock."""
    try:
        fd = os.open(Path(folder) / LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError:  # no folder (nothing to move), or a lock this user cannot open: no mover of ours
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def run(spool, idle_exit: float = IDLE_EXIT, clock: Clock = SYSTEM_CLOCK,
        stop: threading.Event | None = None) -> int:
    """Be the host's mover (``wechat-pub move-queries``): move ``spool``'s folder into the database every
    ``spool.delay`` seconds until nothing came for ``idle_exit`` seconds, the folder is gone, or ``stop``; the
    queries moved. Another mover holding the lock: nothing to do."""
    os.nice(19)  # (the lowest priority: under load the answers run first)
    folder = Path(spool.folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0
        stop = stop or threading.Event()
        moved, last = 0, clock.monotonic()
        while folder.exists() and not stop.is_set():
            try:
                now_moved = spool.flush()
            except Exception:  # a bug must not stop the moving: the spools stay on disk, tried again next time
                log.exception("query log: the host's mover could not move the queries")
                now_moved = 0
            moved += now_moved
            now = clock.monotonic()
            if now_moved:
                last = now
            elif now - last >= idle_exit:
                break
            stop.wait(spool.delay)
    return moved
