"""The state folder and the state database, for this user's eyes only (issue 21, item 7): they hold the
argon2 hashes, the console's key, the query salt and the access token. The folder is made 0700 and the
SQLite file 0600 before SQLite first opens it (SQLite gives its ``-wal`` and ``-shm`` files the database's
mode), whatever the umask. Files made before this version keep their mode: :func:`loose_permissions` finds
them for ``wechat-pub doctor``, with the ``chmod`` that closes each."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from shlex import quote

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def make_private_folder(folder: Path) -> Path:
    """``folder``, made 0700 when it is missing (its missing parents get the usual mode)."""
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:  # another process made it first: that one made it private
            pass
    return folder


def create_private_file(path: Path) -> None:
    """Make ``path`` empty and 0600 when it is missing (an existing file is left as it is)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass


@dataclass(frozen=True)
class Loose:
    path: Path
    mode: int
    fix: str  # the command that makes it private

    def __str__(self) -> str:
        return f"{self.path} is {stat.filemode(self.mode)} (others may read it): run `{self.fix}`"


def loose_permissions(state_dir: Path, database: Path | None) -> list[Loose]:
    """The state folder and the SQLite database's files when group or others may use them."""
    found = []
    if state_dir.is_dir() and _loose(state_dir):
        found.append(Loose(state_dir, _mode(state_dir), f"chmod 700 {quote(str(state_dir))}"))
    for suffix in SQLITE_COMPANIONS if database else ():
        path = Path(f"{database}{suffix}")
        if path.is_file() and _loose(path):
            found.append(Loose(path, _mode(path), f"chmod 600 {quote(str(path))}"))
    return found


def _mode(path: Path) -> int:
    return path.lstat().st_mode


def _loose(path: Path) -> bool:
    return bool(_mode(path) & 0o077)
