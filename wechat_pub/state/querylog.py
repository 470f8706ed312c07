"""What followers asked, per account: the query, how many matches it found, and the follower only as a salted
hash. Nothing asked is lost, and the webhook never waits for the database to record it:

- every query is appended at once to this process's spool file in the state folder (a line of JSON: a
  process killed a moment later, even by SIGKILL, has it on disk);
- a background thread moves the spool into the database every ``delay`` seconds (and at exit), one
  transaction per batch; under load it sets the spool aside for the host's mover instead
  (:mod:`wechat_pub.state.querymover`), a process of the lowest priority, so answers come first; each entry
  carries an id, so a batch moved twice (a crash between the insert and the spool's removal) is written once;
- while the database is away the spools wait (up to :data:`SPOOL_LIMIT` bytes in the folder, all processes'
  together) and move when it is back;
- the spools of processes that died are adopted by the next process that flushes;
- a line that is not a query (a disk that filled up mid-line, a hand edit) is set aside in a ``*.rejected``
  file for the operator, and the rest moves: one bad line does not stop the log;
- a query that cannot be written (the disk full, the folder not writable) is still answered, and said once;
- a process forked from one that made the spool (gunicorn --preload) gets ids and a spool of its own.
"""

from __future__ import annotations

import atexit
import errno
import fcntl
import logging
import os
import socket
import threading
import uuid
import weakref
from collections import Counter
from pathlib import Path
from typing import Iterator

from sqlalchemy import select

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state import spoollines
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.outage import is_outage
from wechat_pub.state.querybatch import write_rows
from wechat_pub.state.querysummary import ClosedDays, QuerySummary
from wechat_pub.state.schema import queries

log = logging.getLogger(__name__)
SPOOL_LIMIT = 64 * 1024 * 1024  # bytes of queries kept on disk (all spools of the folder) while the database is away
QUIET_AGAIN = 60.0  # seconds of queries written after one was not, before the log says "writing again"
ENTRIES_BATCH = 5000  # rows fetched at a time when reading a period out (a server-side cursor on PostgreSQL)
_SPOOLS: weakref.WeakSet = weakref.WeakSet()  # this process's spools (each made anew in a fork's child)


class QuerySpool:
    """One per process: the spool file, and the thread that moves spools into the database."""

    def __init__(self, db_factory, folder: Path, delay: float = 2.0, clock: Clock = SYSTEM_CLOCK, mover=None):
        self.db_factory = db_factory  # the state database, opened on first flush (it may be away at start)
        self.folder = Path(folder)
        self.delay = delay
        self.clock = clock
        self.mover = mover  # the host's QueryMover (None: this process moves its spool itself)
        self._rows = 0  # queries appended since the last move
        self.written = 0  # rows this process moved into the database
        self.dropped = 0  # rows not logged: the folder full, or the spool not writable
        self._not_writing = 0  # of them since a spool last could be written (said then, and when one is again)
        self._unwritten_at = 0.0  # (monotonic) when the last of them was not written
        self._dropping = 0  # of them since the folder last had room (said when it fills, and when it has room again)
        self._failing = False  # a spool failed to move (not an outage) and none has moved since: said once
        self._unopened = False  # a spool this process could not open was said to be left alone
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._fd: int | None = None  # this process's spool, appended with single writes
        self._path: Path | None = None
        self._size = 0
        self._backlog = 0  # bytes of the folder's other spools when last counted (by the thread, not a request)
        self._thread: threading.Thread | None = None
        self._prefix, self._count = uuid.uuid4().hex[:20], 0
        atexit.register(self.close)
        _SPOOLS.add(self)

    def _forked(self) -> None:
        """In the child of a fork (gunicorn --preload makes the app, and this spool, in its master): ids, a spool
        and a thread of its own. Before, every worker wrote the master's ids, and all but one copy of each was
        taken for a spool moved twice and skipped."""
        self._lock, self._wake, self._stopped = threading.Lock(), threading.Event(), threading.Event()
        if self._fd is not None:
            os.close(self._fd)  # (its lock stays held: the parent has the same open file)
        self._fd, self._path, self._size, self._rows, self._thread = None, None, 0, 0, None
        self._prefix, self._count = uuid.uuid4().hex[:20], 0

    # ---- writing ------------------------------------------------------------------------------------

    def append(self, row: tuple) -> None:
        """``row``: (appid, at, query, matches, follower), written at once as one line of the spool. Never raises:
        a query that cannot be written (the folder or the disk full) is still answered, and counted as dropped."""
        with self._lock:
            line = spoollines.line_of(self._entry_id(), row)
            if self._backlog + self._size + len(line) > SPOOL_LIMIT:
                self._drop()
                return
            try:
                self._write(line)
            except OSError as exc:
                self._unwritable(exc)
                return
            self._rows += 1
        if self.delay <= 0:
            self._flush_quietly(self.flush)
        elif self._thread is None:
            self._start()

    def _write(self, line: bytes) -> None:
        """(Under the lock.) One system call, in the kernel's hands at once: a killed process keeps the line."""
        fd = self._spool()
        written = os.write(fd, line)
        if written < len(line):  # (the disk filled up mid-line: undone, or the next line would join the half one)
            try:
                os.ftruncate(fd, self._size)
            except OSError:  # (the half line ends this spool: set aside alone when it moves, as a dead one's)
                os.close(fd)
                self._fd, self._path, self._size = None, None, 0
            raise OSError(errno.ENOSPC, "only part of a line could be written")
        self._size += written
        if self._not_writing and self.clock.monotonic() - self._unwritten_at >= QUIET_AGAIN:
            log.warning("query log: writing again; %d queries were answered but not logged", self._not_writing)
            self._not_writing = 0

    def _unwritable(self, exc: OSError) -> None:
        """(Under the lock.) A query not logged: its spool could not be written. Said once, until queries have been
        written for :data:`QUIET_AGAIN` seconds (a nearly full disk takes short lines and refuses long ones)."""
        if not self._not_writing:
            log.error("query log: cannot write to %s (%s); followers' queries are answered but not logged until "
                      "it can", self.folder, exc.strerror or exc)
        self._unwritten_at = self.clock.monotonic()
        self.dropped += 1
        self._not_writing += 1

    def _drop(self) -> None:
        """(Under the lock.) A query not logged: the folder is full."""
        if not self._dropping:
            log.error("query log: %s holds %d MiB of queries not yet in the database (is it away?); "
                      "followers' queries are answered but not logged until they move", self.folder,
                      SPOOL_LIMIT >> 20)
        self.dropped += 1
        self._dropping += 1

    def _entry_id(self) -> str:
        """Unique across processes and hosts: this process's random prefix and a counter."""
        self._count += 1
        return f"{self._prefix}{self._count:x}"

    def _spool(self) -> int:
        if self._fd is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._path = self.folder / f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}.jsonl"
            making = self._path.with_suffix(".making")  # (no mover looks for it: not taken before it is locked)
            fd = os.open(making, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # held while this process lives: others leave it alone
                os.replace(making, self._path)
            except OSError:  # (no lock on this file system, a full disk: nothing left behind, query after query)
                os.close(fd)
                making.unlink(missing_ok=True)
                self._path = None
                raise
            self._fd, self._size = fd, 0
        return self._fd

    # ---- moving into the database -----------------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="wechat-pub-querylog", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.delay)
            self._wake.clear()
            self._flush_quietly(self._move_or_hand_over)

    def _flush_quietly(self, move) -> None:
        try:
            move()
        except Exception:  # a bug must not stop the log, nor reach a follower: the spool stays, tried again
            log.exception("query log: flush failed")

    def _move_or_hand_over(self) -> None:
        """Move the spool, or under load set it aside for the host's mover."""
        with self._lock:
            rows, self._rows = self._rows, 0
        try:
            if self._mover_takes(rows):
                self._set_aside()
            else:
                self.flush()
        finally:  # (whatever failed: the limit counts what is on disk now)
            self._backlog = self._others_size()
            self._say_if_room_again()

    def _say_if_room_again(self) -> None:
        """The end of a drop: once the folder is half empty again (not at the first query that fits, or a full
        folder would say so at every short query)."""
        with self._lock:
            if self._dropping and self._backlog + self._size < SPOOL_LIMIT // 2:
                log.warning("query log: logging again; %d queries were answered but not logged", self._dropping)
                self._dropping = 0

    def _others_size(self) -> int:
        """Bytes of the folder's spools but this process's own: what a long outage has piled up."""
        return spoollines.bytes_in(self.folder, "*.moving", "*.jsonl", but=self._path)

    def _mover_takes(self, rows: int) -> bool:
        try:
            return self.mover is not None and self.mover.takes(rows)
        except OSError as exc:  # (its lock unreadable: this process moves its queries itself)
            log.warning("query log: the host's mover cannot be reached (%s); moving here", exc)
            return False

    def flush(self) -> int:
        """Move every spool this process may (its own, and those of dead processes) into the database; the
        rows written. A database outage leaves the spools for the next time; any other failure of one spool (a
        bug: every line the database would refuse is set aside first) leaves it on disk, logged once, and the
        others move."""
        moved, failed = 0, False
        ready = self._ready_spools()
        try:
            for path, _handle in ready:
                try:
                    moved += self._move(path)
                except Exception as exc:
                    if is_outage(exc):
                        log.warning("query log: the database is away (%s); kept on disk", type(exc).__name__)
                        break
                    self._failed(path)
                    failed = True
        finally:
            for _path, handle in ready:
                handle.close()
        if self._failing and moved and not failed:
            self._failing = False
            log.warning("query log: spools move again")
        self.written += moved
        return moved

    def _failed(self, path: Path) -> None:
        """A spool that failed to move for another reason than an outage: said once (with what failed) until
        spools move again; the failure lasting, each worker's new spool every move would say it again."""
        if self._failing:
            log.debug("query log: %s failed to move", path.name, exc_info=True)
        else:
            self._failing = True
            log.exception("query log: %s could not be moved (kept on disk, tried again at every move)", path.name)

    def _ready_spools(self):
        """(path, lock) of each spool to move: ours (renamed aside first, so appends go to a new file) and any
        whose owner died (its lock is free)."""
        ready = []
        self._set_aside()
        if not self.folder.exists():
            return ready
        for path in sorted(self.folder.glob("*.moving")) + sorted(self.folder.glob("*.jsonl")):
            try:
                handle = _try_lock(path)  # ours (just set aside), or a dead process's; a live owner holds its own
            except OSError as exc:  # (another user's, or not a file: left alone, the others move)
                if not self._unopened:
                    self._unopened = True
                    log.warning("query log: %s cannot be opened (%s); left on disk", path.name, exc)
                continue
            if handle is not None:
                ready.append((path, handle))
        return ready

    def _set_aside(self) -> None:
        """This process's spool renamed aside (appends go to a new file), then its lock released: renamed while
        locked, no other process takes it half-way."""
        with self._lock:
            if self._fd is not None and self._size > 0:
                try:
                    os.replace(self._path, self._path.with_suffix(".moving"))
                finally:  # (its folder removed: the next query makes a new spool, not a line into a lost file)
                    os.close(self._fd)
                    self._fd = None

    def _move(self, path: Path) -> int:
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # another process moved it a moment ago
            return 0
        rows, rejected = spoollines.rows_of(data)
        write_rows(self.db_factory(), rows)
        if rejected:  # (after the commit: a spool moved again after an outage sets them aside once)
            spoollines.set_aside(path, rejected)
        path.unlink()
        return len(rows)

    def close(self) -> None:
        """Stop the thread and move what is left (at exit, on SIGTERM), or set it aside for the host's mover
        when one runs."""
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            if self._mover_takes(0):  # (it moves what is set aside: no exit waits for it)
                self._set_aside()
                return
            self.flush()
        except Exception:  # at exit: the spool stays on disk for the next process
            log.warning("query log: left on disk for the next start")


def _try_lock(path: Path):
    try:
        handle = os.fdopen(os.open(path, os.O_WRONLY | os.O_APPEND), "a", encoding="utf-8")  # (never made here)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # a live process owns it
        handle.close()
        return None
    if not path.exists():  # moved by another process between our open and our lock
        handle.close()
        return None
    return handle


class QueryLog:
    """One account's queries: written through the process's spool, read from the database."""

    def __init__(self, db: StateDatabase, appid: str, spool: QuerySpool, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.spool = spool
        self.clock = clock
        self._closed = ClosedDays()  # a year's top queries, kept while its days stay as they were

    def add(self, query: str, matches: int, follower: str) -> None:
        self.spool.append((self.appid, self.clock.time(), query[:spoollines.QUERY_CHARS], matches, follower))

    def flush(self) -> None:
        self.spool.flush()

    def top(self, limit: int = 20, since: float = 0, unanswered: bool = False) -> list[tuple[str, int, int]]:
        """(query, times asked, distinct followers), most asked first (from the summaries)."""
        return QuerySummary(self.db, self.appid, self._closed, self.clock.time).top(limit, since, unanswered)

    def tops(self, limit=20, since: float = 0) -> tuple[list, list]:
        """(:meth:`top`, :meth:`top` of the unanswered), read together (the followers page shows both);
        ``limit``: for both, or (the first's, the second's)."""
        top, unanswered = QuerySummary(self.db, self.appid, self._closed, self.clock.time).tops(limit, since)
        return top, unanswered

    def per_day(self, since: float, zone) -> Counter:
        """Local date in ``zone`` -> queries asked, from the quarter hour holding ``since`` (from the summaries)."""
        return QuerySummary(self.db, self.appid, now=self.clock.time).per_day(since, zone)

    def entries(self, since: float = 0) -> list[tuple[float, str, int, str]]:
        """(time, query, matches, follower hash) of every query since ``since``, oldest first."""
        return [tuple(row) for row in self.each_entry(since)]

    def each_entry(self, since: float = 0) -> Iterator[tuple[float, str, int, str]]:
        """:meth:`entries`, one by one as the database sends them (a year of millions is never held in memory): close the iterator when stopping early."""
        statement = (select(queries.c.at, queries.c.query, queries.c.matches, queries.c.follower)
                     .where(queries.c.appid == self.appid, queries.c.at >= since).order_by(queries.c.at))
        with self.db.connect() as conn:
            rows = conn.execution_options(yield_per=ENTRIES_BATCH).execute(statement)
            for batch in rows.partitions():
                yield from batch


def _after_fork_in_child() -> None:
    for spool in list(_SPOOLS):
        spool._forked()


os.register_at_fork(after_in_child=_after_fork_in_child)
