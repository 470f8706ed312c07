"""What a sync keeps and says: what this host last synced (:class:`SyncRecord`, kept in its state folder between
syncs) and what one sync did (:class:`SyncReport`).

The record keeps each file's hash (an article by its name, an image by its path) and, for each issue, the hash
and the file it was last synced as.

A sync decides from three hashes (:func:`wechat_pub.sync_rules.decide`), and the first is what this host last
synced *of the issue*. Looked up by the file's name, that was wrong whenever the name and the issue part: two
files that swap their numbers each find the other issue's text under their own name (a conflict where there is
none), and a name an older version of an issue was last synced under can match that old text by chance (a real
conflict taken for a one-sided change). So the base is looked up by the issue; the files' hashes remain for the
images and for a record written before this one kept issues (read as it was then: :attr:`SyncRecord.legacy`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from wechat_pub.sync_rules import base_of


@dataclass
class SyncRecord:
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256 last synced here
    issues: dict[int, tuple[str, str]] = field(default_factory=dict)  # issue -> (sha256, file name) last synced
    legacy: bool = False  # from a record of files alone, until every issue has an entry of its own

    @classmethod
    def load(cls, path: Path) -> SyncRecord:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return cls()
        if not isinstance(data, dict):
            return cls()
        if "files" not in data or "issues" not in data:  # (written before issues were kept: files alone)
            return cls(files={k: v for k, v in data.items() if isinstance(v, str)}, legacy=True)
        return cls(dict(data["files"]), {int(number): (sha, name) for number, (sha, name) in data["issues"].items()},
                   bool(data.get("legacy")))

    def save(self, path: Path) -> None:
        temporary = path.with_suffix(".tmp")
        data = {"files": self.files, "issues": {str(n): list(entry) for n, entry in sorted(self.issues.items())},
                "legacy": self.legacy}
        temporary.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)

    def copy(self) -> SyncRecord:
        return SyncRecord(dict(self.files), dict(self.issues), self.legacy)

    def base(self, number: int, name: str) -> str | None:
        """What this host last synced of issue ``number``, whichever file it was in; a record of files alone
        says what was last synced under ``name``."""
        if number in self.issues:
            return self.issues[number][0]
        return self.files.get(name) if self.legacy else None

    def row_base(self, number: int, name: str, holders: dict[str, int]) -> str | None:
        """What this host last synced of issue ``number``, which no file here claims now (``name``: the database's
        file name for it). A record of files alone has it under the name it was last synced in, which may be
        another issue's file now (``holders``: the issue each text of the folder is now)."""
        if number in self.issues or not self.legacy:
            return self.base(number, name)
        base = self.files.get(name)
        return base_of(number, base, holders.get(base))

    def synced(self, number: int, name: str, sha: str) -> None:
        """Issue ``number`` is ``sha`` in file ``name`` here now, as in the database."""
        self.files[name] = sha
        self.issues[number] = (sha, name)

    def forget(self, number: int) -> None:
        self.issues.pop(number, None)

    def last_numbers(self) -> dict[str, int]:
        """File name -> the issue it was last synced as."""
        return {name: number for number, (_sha, name) in self.issues.items()}


@dataclass
class SyncReport:
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
