"""An account's articles folder, read in one place: each article file (its text, a hash of it, and when asked
for the issue it holds and its problems), the issues that read without errors, the files that do not, and
issue numbers that two files claim. A read is reused until the folder's signature (names, sizes, times)
changes; a file whose text is unchanged keeps what was read of it."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

from wechat_pub import model as m
from wechat_pub.source.files import hash_text, read_text

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*$", re.S | re.M)
_ISSUE_FIELD = re.compile(r"^issue:[ \t]*[\"']?(\d{1,6})[\"']?[ \t]*(?:#.*)?$", re.M)


@dataclass(frozen=True)
class IssueFacts:
    """What keeping an issue in the database takes of it: sent back instead of the whole issue when the issue
    was read on another core for something worked out of it (a large archive's issues cost more to send between
    processes than to read)."""

    publish_at: str | None
    title: str  # both languages, joined
    date: str
    paths: tuple[str, ...]  # the local files it shows: its images, and its cover

    @classmethod
    def of(cls, issue: m.Issue) -> IssueFacts:
        paths = [node.path for item in issue.items for body in (item.body_zh, item.body_en)
                 for node in m.walk_inlines(body) if isinstance(node, m.Image) and node.path]
        if issue.cover and not issue.cover.startswith(("http://", "https://")):
            paths.append(issue.cover)
        return cls(issue.publish_at, issue.title.joined(), issue.date, tuple(paths))


class ArticleFile:
    """An article file: its text and a hash of it, and (read only when first asked for: a folder of two
    thousand issues is compared by hashes) the issue it holds and its problems."""

    def __init__(self, path: str, text: str | None, sha256: str, timezone: str = "Asia/Shanghai",
                 issue: m.Issue | None = None, problems: tuple[m.Problem, ...] | None = None):
        self.path = path
        self._text = text  # None: known by its hash, read when first asked for
        self.sha256 = sha256
        self.timezone = timezone
        self.derived = None  # what read_each(also=...) worked out from the issue
        if problems is not None:  # read already
            self.__dict__["_read"] = (issue, tuple(problems))

    @classmethod
    def known(cls, path: str, sha256: str, number: int, timezone: str) -> ArticleFile:
        """A file unchanged since it was last read (same size, times and inode): its hash and number as they
        were, its text read only if it is needed."""
        article = cls(path, None, sha256, timezone)
        article.__dict__["number"] = number
        return article

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = read_text(self.path)[0] or ""
            self.sha256 = hash_text(self._text)  # (the same, unless it was edited a moment ago)
        return self._text

    @cached_property
    def _read(self) -> tuple[m.Issue | None, tuple[m.Problem, ...]]:
        from wechat_pub.source.article import parse_article  # the parser (and YAML) only where an issue is read

        parsed = parse_article(self.text, self.path, self.timezone, self.sha256)
        return parsed.issue, tuple(parsed.problems)

    @property
    def is_read(self) -> bool:
        """Whether the issue was parsed already (asking for ``issue`` or ``problems`` parses it)."""
        return "_read" in self.__dict__

    @property
    def issue(self) -> m.Issue | None:  # as far as it could be read (None: not at all)
        return self._read[0]

    @cached_property
    def _known(self) -> tuple[IssueFacts | None, tuple[m.Problem, ...]]:
        """The issue's facts and its problems: from the issue, unless they came from another core without it."""
        issue, problems = self._read
        return (IssueFacts.of(issue) if issue is not None else None), problems

    @property
    def facts(self) -> IssueFacts | None:  # None: the issue could not be read at all
        return self._known[0]

    @property
    def problems(self) -> tuple[m.Problem, ...]:
        return self._known[1]

    @property
    def filename(self) -> str:
        return os.path.basename(self.path)

    @cached_property  # of the cached problems: the console's lists ask two thousand articles each view
    def errors(self) -> tuple[m.Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def valid(self) -> bool:
        return self.facts is not None and not self.errors

    @cached_property
    def number(self) -> int:
        """The issue number the file claims (0 when it has none): from its front matter's ``issue:`` line
        when that reads plainly, without reading the whole article."""
        front = _FRONT_MATTER.match(self.text)
        found = _ISSUE_FIELD.search(front.group(1)) if front else None
        if found:
            return int(found.group(1))
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


PARALLEL_FROM = 24  # files: fewer are read here, more on every core


def read_each(articles: list[ArticleFile], also: Callable[[m.Issue], object] | None = None) -> Iterator[ArticleFile]:
    """Read the issues of many article files at once, on every core (the first sync or index of a large
    archive), handing over each article as soon as it is read (those read already first), so the caller works
    on it while the others are still being read. What each read finds is kept on its ArticleFile, as if it had
    been read there. ``also``: a module-level function of the issue, worked out where it was read and kept as
    ``article.derived``; only that, the issue's facts and its problems come back then (a caller that wants
    something worked out of each issue of an archive seldom wants the issues too; one that does reads it
    again, here)."""
    todo = [article for article in articles if not _read_already(article) or (also and not article.derived)]
    pending = {id(article) for article in todo}
    yield from (article for article in articles if id(article) not in pending)
    processes = min(os.cpu_count() or 1, 8)
    if len(todo) < PARALLEL_FROM or processes < 2:
        for article in todo:
            if also is not None and article.issue is not None:
                article.derived = also(article.issue)
            yield article
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the caller may have threads (the scheduler's), whose locks a fork would copy held
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
    try:
        jobs = [(article.text, article.path, article.timezone, article.sha256, also) for article in todo]
        for article, (found, problems, derived) in zip(todo, pool.map(_read_text, jobs, chunksize=8)):
            if also is None:
                article.__dict__["_read"] = (found, problems)
            else:
                article.__dict__["_known"] = (found, problems)
            article.derived = derived
            yield article
    finally:  # also when the caller stops early: what is not read yet is not waited for
        pool.shutdown(wait=True, cancel_futures=True)


class Arrivals:
    """Articles being read on every core (:func:`read_each`), waited for one at a time as they are needed."""

    def __init__(self, articles: list[ArticleFile], also=None):
        self.pending = {id(article) for article in articles}
        self.reading = read_each(articles, also)

    def wait_for(self, article: ArticleFile) -> None:
        """Until ``article`` has been read (at once when it is not one of those being read)."""
        while id(article) in self.pending:
            self.pending.discard(id(next(self.reading)))

    def finish(self) -> None:
        for _ in self.reading:
            pass

    def close(self) -> None:
        self.reading.close()  # (when stopped early: the articles not read yet are not waited for)


def _read_already(article: ArticleFile) -> bool:
    return "_read" in article.__dict__ or "_known" in article.__dict__


def _read_text(job) -> tuple[m.Issue | IssueFacts | None, tuple[m.Problem, ...], object]:
    """(the issue, or only its facts when ``also`` is given; its problems; ``also(issue)``)."""
    from wechat_pub.source.article import parse_article

    text, path, timezone, sha256, also = job
    parsed = parse_article(text, path, timezone, sha256)
    if also is None or parsed.issue is None:
        return parsed.issue, tuple(parsed.problems), None
    return IssueFacts.of(parsed.issue), tuple(parsed.problems), also(parsed.issue)


def read_article_file(path: str, timezone: str) -> ArticleFile:
    """The file's text and hash (its issue is read when asked for)."""
    text, problem = read_text(path)
    if text is None:
        return ArticleFile(path, "", "", timezone, None, (problem,))
    return ArticleFile(path, text, hash_text(text), timezone)


def _unless_unchanged(article: ArticleFile, previous: dict[str, ArticleFile]) -> ArticleFile:
    """The file as read before when its text is the same (what was read of it stands)."""
    before = previous.get(article.path)
    return before if before is not None and before.sha256 == article.sha256 else article


def _identity(stat: os.stat_result) -> list[int]:
    """What changes whenever a file's content may have: its size, modification and change times, inode (the
    change time cannot be set back, so an edit that keeps size and modification time still shows)."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _signature(stats: dict[str, os.stat_result]) -> str:
    digest = hashlib.sha256()
    for path, stat in stats.items():
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def duplicates_of(files) -> dict[int, tuple[str, ...]]:
    paths: dict[int, list[str]] = {}
    for article in files:
        if article.number:
            paths.setdefault(article.number, []).append(article.path)
    return {number: tuple(found) for number, found in paths.items() if len(found) > 1}


class ArticleFolder:
    """``known``: a file where the hash of each article file is kept with its size, times and inode, so a
    process reading the folder afresh reads only the files changed since (a folder of two thousand issues is
    100 MB of text)."""

    def __init__(self, path: str | os.PathLike, timezone: str = "Asia/Shanghai", known: Path | None = None):
        self.path = Path(path)
        self.timezone = timezone
        self.known = known
        self._cached: Catalogue | None = None
        self._lock = threading.Lock()

    def files(self) -> list[str]:
        return sorted(glob.glob(os.path.join(self.path, "*.md")))

    def signature(self) -> str:
        """A fingerprint of the article files (names, sizes, times): it changes when any article does."""
        return _signature(self._stats())

    def stamp(self, relpaths: list[str]) -> str:
        """A fingerprint of the files ``relpaths`` names in the folder (the issues' pictures: sizes and times, or that
        one is missing): it changes when any of them does, as :meth:`signature` for the articles. The inode and the
        change time too: a copy that keeps the time (`cp -p`, `rsync -a`) of a picture of the same size is seen."""
        digest = hashlib.sha256()
        for relpath in relpaths:
            try:
                stat = os.stat(os.path.join(self.path, relpath))
                digest.update(f"{relpath}\0{stat.st_size}\0{stat.st_mtime_ns}\0{stat.st_ctime_ns}\0{stat.st_ino}\n"
                              .encode())
            except OSError:  # missing (or not ours to see): that too is a state
                digest.update(f"{relpath}\0-\n".encode())
        return digest.hexdigest()

    def _stats(self) -> dict[str, os.stat_result]:
        stats = {}
        for path in self.files():
            try:
                stats[path] = os.stat(path)
            except FileNotFoundError:  # removed while we looked
                continue
        return stats

    def read(self) -> Catalogue:
        """Every article file in the folder, read; reused while nothing changed."""
        stats = self._stats()
        signature = _signature(stats)
        with self._lock:
            if self._cached is not None and self._cached.signature == signature:
                return self._cached
        previous = {f.path: f for f in self._cached.files} if self._cached is not None else {}
        known = self._load_known()
        files = tuple(_unless_unchanged(self._article(path, stat, known), previous) for path, stat in stats.items())
        self._save_known(known, files, stats)
        catalogue = Catalogue(signature, files, duplicates_of(files))
        with self._lock:
            self._cached = catalogue
        return catalogue

    def _article(self, path: str, stat: os.stat_result, known: dict[str, list]) -> ArticleFile:
        seen = known.get(os.path.basename(path))
        if seen is not None and seen[:4] == _identity(stat):
            return ArticleFile.known(path, seen[4], seen[5], self.timezone)
        return read_article_file(path, self.timezone)

    def _load_known(self) -> dict[str, list]:
        if self.known is None:
            return {}
        try:
            return json.loads(self.known.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or unreadable: every file is read
            return {}

    def _save_known(self, before: dict[str, list], files: tuple[ArticleFile, ...],
                    stats: dict[str, os.stat_result]) -> None:
        if self.known is None:
            return
        now = {f.filename: [*_identity(stats[f.path]), f.sha256, f.number] for f in files if f.sha256}
        if now == before:
            return
        try:  # written whole and renamed: another process reads the old record or the new one
            self.known.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.known.with_name(f".{self.known.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            temporary.write_text(json.dumps(now), encoding="utf-8")
            os.replace(temporary, self.known)
        except OSError:  # a read-only state folder: the next read reads every file again
            pass

    def contains(self, path: str | os.PathLike) -> bool:
        """Whether ``path`` is an article file of this folder (not a file elsewhere that merely exists)."""
        return os.path.dirname(os.path.abspath(path)) == os.path.abspath(self.path)
