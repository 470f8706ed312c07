"""What a sync does with one article file, decided from three hashes alone: what this host last synced
(``base``), what the folder holds now (``here``) and what the shared database holds (``database``); the same for
an issue's pictures; and what a sync reports. Pure: no file, database or clock;
:class:`~wechat_pub.library.Library` does what it says. The table is tested case by case (tests/test_sync_rules.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum


class Action(Enum):
    IMPORT = "import"  # this host's file goes to the database (new, or changed here only)
    IN_STEP = "in-step"  # the same text on both sides: only the images may differ
    WRITE = "write"  # the database's version comes into the folder (changed there only, or new from there)
    CONFLICT = "conflict"  # changed here and there: the database's stays, this host's is kept aside
    RESTORE = "restore"  # deleted here but changed there: it comes back into the folder, and the sync says so
    REMOVE_FILE = "remove-file"  # removed on another host, unchanged here: the file goes
    REMOVE_ROW = "remove-row"  # deleted here, unchanged there: the issue goes from the database
    FORGET = "forget"  # gone on both sides: only this host's record of it goes


@dataclass
class SyncReport:
    """What one sync did (and could not do), as `wechat-pub sync` and the console say it."""

    author: str = ""  # who the changes sent to the database are credited to
    imported: list[str] = field(default_factory=list)  # files sent to the database
    written: list[str] = field(default_factory=list)  # files written from the database
    removed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # what was set aside, and why
    skipped: list[str] = field(default_factory=list)  # files that cannot be synced until fixed

    @property
    def changed(self) -> bool:
        return bool(self.imported or self.written or self.removed or self.conflicts)

    def lines(self) -> list[str]:
        out = [f"sent to the database: {name}" for name in self.imported]
        out += [f"updated from the database: {name}" for name in self.written]
        out += [f"removed: {name}" for name in self.removed]
        return out + self.conflicts + self.skipped


@dataclass(frozen=True)
class Stored:
    """The database's row of the issue, as far as the decision goes."""

    text_hash: str
    removed: bool = False


def decide(base: str | None, here: str | None, database: Stored | None) -> Action:
    """``base``: the hash this host last synced (None: never synced here); ``here``: the file's hash now (None:
    no file of the issue here); ``database``: its row (None: no row). One of the two sides has the issue."""
    if here is None:
        return _deleted_here(base, database)
    if database is None:
        return Action.IMPORT
    if database.removed:
        # An edit here brings it back, and so does its file put back here (a `git checkout` after its removal):
        # this host's record cannot tell "removed here" from "never synced here" (see test_sync_pictures_more)
        return Action.REMOVE_FILE if base == here else Action.IMPORT
    if database.text_hash == here:
        return Action.IN_STEP
    if base == here:
        return Action.WRITE
    if base == database.text_hash:
        return Action.IMPORT
    return Action.CONFLICT  # (also: never synced here, and different)


def _deleted_here(base: str | None, database: Stored | None) -> Action:
    if database is None:
        raise ValueError("decide() needs the issue on one side at least")
    if database.removed:
        return Action.FORGET
    if base is None:
        return Action.WRITE
    return Action.RESTORE if base != database.text_hash else Action.REMOVE_ROW


def base_of(number: int, base: str | None, holder: int | None) -> str | None:
    """What this host last synced of issue ``number``, recorded as ``base`` under its file name, when that name may
    be another issue's now; ``holder``: the issue of the folder's file whose text is ``base`` now, if any. A file
    renumbered here keeps the base (its text changed: its old issue was deleted here). A file that still is what
    was last synced, but of another number (renamed, or another host's issue under that name), means the record
    is that issue's, and ``number`` was never synced here."""
    return None if holder is not None and holder != number else base


def forget(record: dict, name: str, base: str | None) -> None:
    """This host's record of ``name`` goes, unless the name is another issue's file now."""
    if record.get(name) == base:
        record.pop(name, None)


def newer_elsewhere(here: dict[str, str], database: dict[str, str], base: dict[str, str]) -> set[str]:
    """Of an issue's pictures sent with its text (relative path -> sha256 ``here``), those the database has another
    of than this host last synced (``base``; none: never synced here): another host replaced it, and the database's
    stays. It comes into this folder at the next sync, and this host's copy, if it was replaced here too, is kept
    aside then, as for any picture changed on both sides: an edit of the text here takes nothing back."""
    return {relpath for relpath, sha in here.items()
            if relpath in database and database[relpath] not in (sha, base.get(relpath))}


def newer_copies(here: dict[str, str], base: dict[str, str], copies: dict[str, tuple[str, int]]) -> dict:
    """Of the pictures an issue sends that the database does not have for it (``here``: relative path -> sha256),
    those other issues showing the same path have in a version this host neither has nor last synced (``copies``:
    path -> (sha256, the issue that has it), the newest copy): another host replaced the shared picture, and the
    database's is taken for this issue too (it comes into the folder with the issue that had it; a copy changed
    here is kept aside then)."""
    return {relpath: copy for relpath, copy in copies.items()
            if relpath in here and copy[0] not in (here[relpath], base.get(relpath))}


class SharedCopies:
    """During a sync, what :meth:`IssueStore.newest_copies` says, from the sync's snapshot: every issue's pictures
    (``file_hashes``) and when each live issue was saved (``updated``), gathered once when first asked, not a query
    per issue (a first sync of an archive whose issues all show one banner asked for every other issue's copy)."""

    def __init__(self, file_hashes: dict[int, dict[str, str]], updated: dict[int, float]):
        self._file_hashes, self._updated = file_hashes, updated
        self._by_path: dict[str, list[tuple[str, int]]] | None = None

    def newest(self, number: int, relpaths: list[str]) -> dict[str, tuple[str, int]]:
        if self._by_path is None:  # each path's copies, the issue saved last first
            self._by_path = {}
            for holder in sorted(self._updated, key=lambda n: (self._updated[n], n), reverse=True):
                for relpath, sha in self._file_hashes.get(holder, {}).items():
                    self._by_path.setdefault(relpath, []).append((sha, holder))
        found = {}
        for relpath in relpaths:
            for sha, holder in self._by_path.get(relpath, ())[:2]:  # (the newest that is not ``number``'s own)
                if holder != number:
                    found[relpath] = (sha, holder)
                    break
        return found


def replaced_here(images: dict[str, tuple[str, str | None]], base: dict[str, str]) -> bool:
    """Whether an issue's picture (relative path -> (the database's sha256, this folder's, None when missing)) was
    replaced here since this host last synced it (``base``), while the database kept what was synced."""
    return any(base.get(relpath) == sha and local is not None and local != sha
               for relpath, (sha, local) in images.items())


def said_kept_aside(relpath: str, row, kept: str, refused: bool) -> str:
    """What a sync says of a picture of ``row``'s issue it kept aside as ``kept`` (``refused``: one a push does not
    take)."""
    if refused:
        return (f"{relpath}: the picture here is not one a push takes (JPEG, PNG or GIF; a git-lfs pointer needs `git "
                f"lfs pull`): kept as {kept}, the database's is in the folder now")
    who = row.updated_by or "another host"
    return (f"{relpath}: the image of issue {row.number} was changed here and in the database (by {who}, "
            f"{said_when(row.updated_at)}); the database's is in the folder now, this host's was kept as {kept}")


def said_when(timestamp: float) -> str:
    """A moment as a sync's report says it (this host's local time)."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp))

