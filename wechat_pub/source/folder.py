"""An account's articles folder, read in one place: each article file (its text, a hash of it, the issue it
holds and its problems), the issues that read without errors, the files that do not, and issue numbers that
two files claim. A read is reused until the folder's signature (names, sizes, times) changes."""

from __future__ import annotations

import glob
import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from wechat_pub import model as m
from wechat_pub.source.article import parse_article, read_text


@dataclass(frozen=True)
class ArticleFile:
    path: str
    text: str
    sha256: str
    issue: m.Issue | None  # as far as it could be read (None: not at all)
    problems: tuple[m.Problem, ...]

    @property
    def filename(self) -> str:
        return os.path.basename(self.path)

    @property
    def errors(self) -> tuple[m.Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def valid(self) -> bool:
        return self.issue is not None and not self.errors

    @property
    def number(self) -> int:
        """The issue number the file claims (0 when it has none)."""
        return self.issue.number if self.issue is not None else 0


@dataclass(frozen=True)
class Catalogue:
    """The issues of an account at one moment (from a folder, or from the shared database)."""

    signature: str
    files: tuple[ArticleFile, ...] = ()
    duplicates: dict[int, tuple[str, ...]] = field(default_factory=dict)  # issue number -> its files (2 or more)

    @property
    def issues(self) -> tuple[m.Issue, ...]:
        return tuple(f.issue for f in self.files if f.valid)

    @property
    def broken(self) -> tuple[ArticleFile, ...]:
        return tuple(f for f in self.files if not f.valid)

    def file(self, number: int) -> ArticleFile | None:
        return next((f for f in self.files if f.number == number), None)

    def issue(self, number: int) -> m.Issue | None:
        found = self.file(number)
        return found.issue if found is not None and found.valid else None

    def by_path(self, path: str | os.PathLike) -> m.Issue | None:
        wanted = os.path.abspath(path)
        found = next((f for f in self.files if os.path.abspath(f.path) == wanted), None)
        return found.issue if found is not None and found.valid else None

    def others_with_number(self, path: str | os.PathLike, number: int) -> list[str]:
        """The other files that claim issue ``number`` (two files, one issue: neither may be pushed)."""
        wanted = os.path.abspath(path)
        return [p for p in self.duplicates.get(number, ()) if os.path.abspath(p) != wanted]


def read_article_file(path: str, timezone: str) -> ArticleFile:
    text, problem = read_text(path)
    if text is None:
        return ArticleFile(path, "", "", None, (problem,))
    parsed = parse_article(text, path, timezone)
    return ArticleFile(path, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), parsed.issue, parsed.problems)


def duplicates_of(files) -> dict[int, tuple[str, ...]]:
    paths: dict[int, list[str]] = {}
    for article in files:
        if article.number:
            paths.setdefault(article.number, []).append(article.path)
    return {number: tuple(found) for number, found in paths.items() if len(found) > 1}


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
        """Every article file in the folder, read; reused while nothing changed."""
        signature = self.signature()
        with self._lock:
            if self._cached is not None and self._cached.signature == signature:
                return self._cached
        files = tuple(read_article_file(path, self.timezone) for path in self.files())
        catalogue = Catalogue(signature, files, duplicates_of(files))
        with self._lock:
            self._cached = catalogue
        return catalogue

    def contains(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` is an article file of this folder (not a file elsewhere that merely exists)."""
        return os.path.dirname(os.path.abspath(path)) == os.path.abspath(self.path)
