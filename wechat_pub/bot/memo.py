"""What one version of the search index answers, kept until the index changes: a word's number of matches, its
correction, the words close to it. Followers' questions are new far more often than their words are, so a new
question is mostly made of words already looked up; keyed on the index's version, nothing kept can go stale.

A version is looked at every so often by each thread; a value goes into the dict of the version seen before it
was read, never a newer one.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")
MEMO_SIZE = 50_000  # entries per process; all are dropped when full, as when the index changes. About 2 MB on the
# bench's archives; at most about 35 MB, were every entry a phrase's 63 item ids (bot/counting.py)


class VersionMemo:
    def __init__(self, size: int = MEMO_SIZE):
        self.size = size
        self._version: Hashable = None
        self._kept: dict = {}

    def at(self, version: Hashable) -> None:
        """Results from now on are of ``version`` of the index: those of another are forgotten."""
        if version != self._version:
            self._version, self._kept = version, {}

    def current(self) -> dict:
        """What is kept for the version of now, to read and add to (a new version gets a dict of its own)."""
        return self._kept

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        kept = self._kept  # (taken before computing: a value read after a newer version came is never older)
        if key in kept:
            return kept[key]
        value = compute()
        if len(kept) >= self.size:
            kept.clear()
        kept[key] = value
        return value


class CommitCounter:
    """SQLite's count of the commits to an index file (``PRAGMA data_version``), from one connection every thread
    asks: each connection counts the commits it has seen, so the threads' own counts would give one index as many
    versions as there are threads, and what is kept per version would be dropped whenever another thread asked."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._conn: tuple[int, sqlite3.Connection] | None = None  # (the file's inode, a connection to it)

    def count(self, inode: int) -> int:
        """The count for the file of ``inode`` (the one the caller reads; a replaced file gets a new connection)."""
        with self._lock:
            if self._conn is None or self._conn[0] != inode:
                if self._conn is not None:
                    self._conn[1].close()
                self._conn = (inode, sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False))
            return self._conn[1].execute("PRAGMA data_version").fetchone()[0]
