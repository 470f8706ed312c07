"""An account's articles folder, read in one place: the issues in it, the files that could not be read (with
their problems), and a signature that changes whenever any file does. Schedule, status and search all read
the folder through here; a read is reused until the signature changes."""

from __future__ import annotations

import glob
import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from wechat_pub import model as m
from wechat_pub.source.article import read_article


@dataclass(frozen=True)
class BrokenFile:
    path: str
    problems: tuple[m.Problem, ...]

    @property
    def errors(self) -> tuple[m.Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


@dataclass(frozen=True)
class Catalogue:
    """What the folder holds at one moment."""

    signature: str
    issues: tuple[m.Issue, ...] = ()
    broken: tuple[BrokenFile, ...] = ()
    duplicates: dict[int, tuple[str, ...]] = field(default_factory=dict)  # issue number -> its files (2 or more)

    def issue(self, number: int) -> m.Issue | None:
        return next((issue for issue in self.issues if issue.number == number), None)

    def by_path(self, path: str | os.PathLike) -> m.Issue | None:
        wanted = os.path.abspath(path)
        return next((issue for issue in self.issues if os.path.abspath(issue.path) == wanted), None)


class ArticleFolder:
    def __init__(self, path: str | os.PathLike, timezone: str = "Asia/Shanghai"):
        self.path = Path(path)
        self.timezone = timezone
        self._cached: Catalogue | None = None
        self._lock = threading.Lock()

    def files(self) -> list[str]:
        return sorted(glob.glob(os.path.join(self.path, "*.md")))

    def signature(self) -> str:
        """A fingerprint of the article files (names, sizes, times): it changes when any article does."""
        digest = hashlib.sha256()
        for path in self.files():
            try:
                stat = os.stat(path)
            except FileNotFoundError:  # removed while we looked
                continue
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()

    def read(self) -> Catalogue:
        """Every issue in the folder (parsed), and what could not be read; reused while nothing changed."""
        signature = self.signature()
        with self._lock:
            if self._cached is not None and self._cached.signature == signature:
                return self._cached
        issues, broken = [], []
        for path in self.files():
            parsed = read_article(path, self.timezone)
            if parsed.issue is None or parsed.errors:
                broken.append(BrokenFile(path, parsed.problems))
            else:
                issues.append(parsed.issue)
        catalogue = Catalogue(signature, tuple(issues), tuple(broken), _duplicates(issues))
        with self._lock:
            self._cached = catalogue
        return catalogue

    def contains(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` is an article file of this folder (not a file elsewhere that merely exists)."""
        return os.path.dirname(os.path.abspath(path)) == os.path.abspath(self.path)


def _duplicates(issues: list[m.Issue]) -> dict[int, tuple[str, ...]]:
    files: dict[int, list[str]] = {}
    for issue in issues:
        files.setdefault(issue.number, []).append(issue.path)
    return {number: tuple(paths) for number, paths in files.items() if len(paths) > 1}
