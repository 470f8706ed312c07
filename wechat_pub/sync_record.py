"""What this host last synced, kept in its state folder between syncs: each file's hash (an article by its name,
an image by its path) and, for each issue, the hash and the file it was last synced as.

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


@dataclass
class SyncRecord:
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256 last synced here
    issues: dict[int, tuple[str, str]] = field(default_factory=dict)  # issue -> (sha256, file name) last synced
    legacy: bool = False  # read from a record of files alone (the next sync writes the issues too)

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
        return cls(dict(data["files"]), {int(number): (sha, name) for number, (sha, name) in data["issues"].items()})

    def save(self, path: Path) -> None:
        temporary = path.with_suffix(".tmp")
        data = {"files": self.files, "issues": {str(n): list(entry) for n, entry in sorted(self.issues.items())}}
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

    def synced(self, number: int, name: str, sha: str) -> None:
        """Issue ``number`` is ``sha`` in file ``name`` here now, as in the database."""
        self.files[name] = sha
        self.issues[number] = (sha, name)

    def forget(self, number: int) -> None:
        self.issues.pop(number, None)

    def last_numbers(self) -> dict[str, int]:
        """File name -> the issue it was last synced as."""
        return {name: number for number, (_sha, name) in self.issues.items()}
