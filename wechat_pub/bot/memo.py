"""What one version of the search index answers, kept until the index changes: a word's number of matches, its
correction, the words close to it. Followers' questions are new far more often than their words are, so a new
question is mostly made of words already looked up; keyed on the index's version, nothing kept can go stale.

A version is seen per thread (SQLite's ``data_version`` is per connection), so the threads of a gthread worker
take turns in keeping; a value goes into the dict of the version seen before it was read, never a newer one.
"""

from __future__ import annotations

from typing import Callable, Hashable, TypeVar

T = TypeVar("T")
MEMO_SIZE = 50_000  # entries per process (a few MB); all are dropped when full, as when the index changes


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
