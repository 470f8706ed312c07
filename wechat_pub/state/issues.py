"""The issues of each account, as every host of a deployment sees them: each article file's text, its publish
time, whether it reads without errors, and the images it shows. Hosts keep their articles folders in step
with these rows (:mod:`wechat_pub.library`); schedule, status and search read them.

Every change bumps the row's ``version``; a change made from an older version is refused (someone else saved
in between), so no save silently replaces another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Iterable, NamedTuple

from sqlalchemy import delete, func, insert, select, update

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import approvals, audit, issue_files, issues, shared_values


@dataclass(frozen=True)
class IssueRow:
    number: int
    filename: str  # the article file's name in an articles folder
    text: str | None  # None when read without texts (IssueStore.all)
    text_hash: str
    valid: bool  # the text reads without errors
    problems: tuple[str, ...]  # "line: message" when it does not
    publish_at: str | None  # from its last valid text: a scheduled issue that broke keeps its time
    title: str
    date: str
    version: int
    updated_at: float
    updated_by: str
    removed: bool
    # the paths (in the articles folder) of the pictures its text shows; None: not known (read again by a sync)
    shown: tuple[str, ...] | None = None
    text_by: TextAuthor | None = None  # who last changed its text (migration 0011); None: not known, see updated_by


class TextAuthor(NamedTuple):
    """Who last changed an issue's text (or chose its pictures in the console)."""

    name: str
    console: bool  # a console user (their role decides what their schedule may do), not a host's folder


class IssueSummary(NamedTuple):
    """What an issue row says without its text."""

    number: int
    filename: str
    text_hash: str
    valid: bool
    publish_at: str | None


class StaleVersion(Exception):
    """The row changed since the version the caller read."""


class IssueStore:
    def __init__(self, db: StateDatabase, appid: str, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.appid = appid
        self.clock = clock

    def all(self, include_removed: bool = False, texts: bool = True, low: int | None = None,
            high: int | None = None) -> list[IssueRow]:
        """Every issue of the account; without ``texts``, each row's ``text`` is None (a sync compares hashes,
        and an archive of two thousand issues is 100 MB of text); with ``low`` and ``high``, issues ``low`` to
        ``high`` (a page's)."""
        columns = [c for c in issues.c if texts or c.name != "text"]
        statement = select(*columns).where(issues.c.appid == self.appid).order_by(issues.c.number)
        if not include_removed:
            statement = statement.where(issues.c.removed == 0)
        if low is not None:
            statement = statement.where(issues.c.number >= low, issues.c.number <= high)
        with self.db.connect() as conn:
            result = conn.execute(statement)
            names = tuple(result.keys())  # once, not per row: two thousand rows a console view
            return [_row(dict(zip(names, row))) for row in result.all()]

    def newest(self, limit: int, offset: int = 0) -> list[IssueRow]:
        """A page of :meth:`all` (without texts) newest first: the issues list reads its hundred, not two
        thousand."""
        statement = (select(*[c for c in issues.c if c.name != "text"])
                     .where(issues.c.appid == self.appid, issues.c.removed == 0)
                     .order_by(issues.c.number.desc()).limit(limit).offset(offset))
        with self.db.connect() as conn:
            result = conn.execute(statement)
            names = tuple(result.keys())
            return [_row(dict(zip(names, row))) for row in result.all()]

    def on_the_calendar(self, since: float, until: float) -> list[IssueRow]:
        """Of :meth:`all` (without texts), what a calendar of the moments ``since`` to ``until`` shows: each issue
        with a publish time, not gone out to WeChat (no push record publishing, published, sending or sent), or
        published or sent in that time; not the archive's two thousand."""
        from sqlalchemy import or_

        from wechat_pub.state.pushes import OUT, on_the_calendar
        from wechat_pub.state.schema import pushes

        out = select(pushes.c.issue).where(pushes.c.appid == self.appid,
                                           pushes.c.state.in_([state.value for state in OUT]))
        shown = select(pushes.c.issue).where(on_the_calendar(self.appid, since, until))
        statement = (select(*[c for c in issues.c if c.name != "text"])
                     .where(issues.c.appid == self.appid, issues.c.removed == 0,
                            or_(issues.c.publish_at.is_not(None), issues.c.number.not_in(out), issues.c.number.in_(shown)))
                     .order_by(issues.c.number))
        with self.db.connect() as conn:
            result = conn.execute(statement)
            names = tuple(result.keys())
            return [_row(dict(zip(names, row))) for row in result.all()]

    def count(self) -> int:
        """How many issues the account has (not counting removed ones)."""
        with self.db.connect() as conn:
            return conn.execute(select(func.count()).where(issues.c.appid == self.appid,
                                                           issues.c.removed == 0)).scalar_one()

    def summary(self) -> list[IssueSummary]:
        """Every issue of the account, without the texts."""
        statement = (select(issues.c.number, issues.c.filename, issues.c.text_hash, issues.c.valid, issues.c.publish_at)
                     .where(issues.c.appid == self.appid, issues.c.removed == 0).order_by(issues.c.number))
        with self.db.connect() as conn:
            return [IssueSummary(row.number, row.filename, row.text_hash, bool(row.valid), row.publish_at)
                    for row in conn.execute(statement)]

    def get(self, number: int) -> IssueRow | None:
        with self.db.connect() as conn:
            row = conn.execute(select(issues).where(issues.c.appid == self.appid, issues.c.number == number)).first()
        return _row(dict(row._mapping)) if row else None

    def revision(self) -> str:
        """Changes whenever any row of the account does (cheap: one aggregate, read from the index
        ``ix_issues_revision`` alone, not from rows of 50 KB texts)."""
        statement = select(func.count(), func.coalesce(func.sum(issues.c.version), 0),
                           func.coalesce(func.max(issues.c.updated_at), 0)).where(issues.c.appid == self.appid)
        with self.db.connect() as conn:
            count, versions, latest = conn.execute(statement).one()
        return f"{count}:{versions}:{float(latest)}"

    def save(self, number: int, filename: str, text: str, text_hash: str, valid: bool, problems: list[str],
             publish_at: str | None, title: str, date: str, by: str, expected_version: int | None,
             shown: Iterable[str] = (), files: dict[str, tuple[str, bytes]] | None = None,
             keep: set[str] = frozenset(), pictures_only: bool = False, console: bool = False) -> int:
        """Write the issue's text; the new version. ``expected_version``: the version this change was made
        from (None: the issue is new); StaleVersion when the row is not at that version any more. ``shown``: the
        paths of the pictures the text shows (in the articles folder). ``files`` and ``keep``: its pictures (see
        :meth:`_put_files`; None: left as they are), in the same transaction: nobody ever sees the new version
        with the old pictures (an approver's page drawn in between would approve a picture it did not show).
        ``pictures_only``: a version saved for pictures from a host's folder, its text unchanged: who changed the
        text (``text_by``, whose approval a schedule waits for) stays who it was. ``console``: ``by`` is a console
        user's name (the console's saves and imports)."""
        now = self.clock.time()
        values = {"filename": filename, "text": text, "text_hash": text_hash, "valid": int(valid),
                  "problems": json.dumps(problems, ensure_ascii=False), "title": title, "date": date,
                  "updated_at": now, "updated_by": by, "removed": 0, "shown": _shown_value(shown, text_hash),
                  "text_by": _text_author_value(TextAuthor(by, console), text_hash)}
        if valid or publish_at is not None:
            values["publish_at"] = publish_at
        with self.db.begin() as conn:
            if expected_version is None:
                if conn.execute(self.db.insert_ignore(issues), {"appid": self.appid, "number": number, "version": 1,
                                                               **values}).first() is None:
                    raise StaleVersion(number)
            else:
                if pictures_only:  # (read in the transaction: the author of the text it replaces, at that version)
                    values["text_by"] = self._text_author_kept(conn, number, expected_version, text_hash)
                if conn.execute(update(issues).where(
                        issues.c.appid == self.appid, issues.c.number == number, issues.c.version == expected_version)
                        .values(version=expected_version + 1, **values)).rowcount != 1:
                    raise StaleVersion(number)  # (raised inside: its pictures are not written either)
            if files is not None:
                self._put_files(conn, number, files, by, keep)
        return (expected_version or 0) + 1

    def _text_author_kept(self, conn, number: int, version: int, text_hash: str) -> str | None:
        """``text_by`` for a version saved for its pictures only: the text's author as kept (an unknown one: whoever
        saved the version it replaces, as the release before 0011 said)."""
        found = conn.execute(select(issues.c.text_by, issues.c.updated_by, issues.c.text_hash).where(
            issues.c.appid == self.appid, issues.c.number == number, issues.c.version == version)).first()
        if found is None:
            return None  # (not at that version: the update finds nothing, StaleVersion)
        author = _text_author(found.text_by, found.text_hash) or TextAuthor(found.updated_by, False)
        return _text_author_value(author, text_hash)

    def fill_shown(self, row: IssueRow, shown: Iterable[str]) -> None:
        """The paths of the pictures ``row``'s text shows, where they were not known (not a new version: its text is
        the same; a row saved meanwhile has its own)."""
        with self.db.begin() as conn:
            conn.execute(update(issues).where(issues.c.appid == self.appid, issues.c.number == row.number,
                                              issues.c.version == row.version)
                         .values(shown=_shown_value(shown, row.text_hash)))

    def remove(self, number: int, by: str, expected_version: int) -> None:
        """Mark the issue removed (its file was deleted); its record stays, for history."""
        with self.db.begin() as conn:
            changed = conn.execute(update(issues).where(
                issues.c.appid == self.appid, issues.c.number == number, issues.c.version == expected_version)
                .values(removed=1, version=expected_version + 1, updated_at=self.clock.time(), updated_by=by)).rowcount
        if changed != 1:
            raise StaleVersion(number)

    # ---- the images an issue shows ------------------------------------------------------------------------

    def files(self, number: int) -> dict[str, tuple[str, bytes]]:
        """relative path -> (sha256, bytes) of the files the issue's text refers to."""
        with self.db.connect() as conn:
            rows = conn.execute(select(issue_files.c.relpath, issue_files.c.sha256, issue_files.c.data).where(
                issue_files.c.appid == self.appid, issue_files.c.number == number)).all()
        return {row.relpath: (row.sha256, bytes(row.data)) for row in rows}

    def all_file_hashes(self) -> dict[int, dict[str, str]]:
        """Issue number -> relative path -> sha256, for every issue of the account (one query)."""
        found: dict[int, dict[str, str]] = {}
        with self.db.connect() as conn:
            for row in conn.execute(select(issue_files.c.number, issue_files.c.relpath, issue_files.c.sha256).where(
                    issue_files.c.appid == self.appid)):
                found.setdefault(row.number, {})[row.relpath] = row.sha256
        return found

    def newest_copies(self, number: int, relpaths: list[str]) -> dict[str, tuple[str, int]]:
        """relative path -> (sha256, the issue) of the copy of each of ``relpaths`` (a picture several issues show)
        that the issue saved last, not removed, other than ``number``, has."""
        found: dict[str, tuple[str, int]] = {}
        with self.db.connect() as conn:
            for row in conn.execute(
                    select(issue_files.c.relpath, issue_files.c.sha256, issue_files.c.number)
                    .join(issues, (issues.c.appid == issue_files.c.appid) & (issues.c.number == issue_files.c.number))
                    .where(issue_files.c.appid == self.appid, issue_files.c.number != number, issues.c.removed == 0,
                           issue_files.c.relpath.in_(relpaths))
                    .order_by(issues.c.updated_at.desc(), issues.c.number.desc())):
                found.setdefault(row.relpath, (row.sha256, row.number))
        return found

    def file_hashes(self, number: int) -> dict[str, str]:
        with self.db.connect() as conn:
            rows = conn.execute(select(issue_files.c.relpath, issue_files.c.sha256).where(
                issue_files.c.appid == self.appid, issue_files.c.number == number)).all()
        return {row.relpath: row.sha256 for row in rows}

    def _put_files(self, conn, number: int, files: dict[str, tuple[str, bytes]], by: str, keep: set[str]) -> None:
        """(in save's transaction) Make the issue's files exactly ``files`` (relative path -> (sha256, bytes)) and
        those of ``keep`` as they are (another host's newer pictures, see sync_rules.newer_elsewhere). An approval
        covers what the issue shows, its pictures too: when one it showed is replaced or added (its text unchanged,
        so its approval would hold), the approval is taken back in the same transaction, and the audit log says so,
        credited to ``by``, whichever way the picture came (the console, an import, the folder: a `git pull`)."""
        before = dict(conn.execute(select(issue_files.c.relpath, issue_files.c.sha256).where(
            issue_files.c.appid == self.appid, issue_files.c.number == number)).all())
        conn.execute(delete(issue_files).where(issue_files.c.appid == self.appid, issue_files.c.number == number,
                                               issue_files.c.relpath.notin_([*files, *keep])))
        for relpath, (sha256, data) in files.items():
            if before.get(relpath) != sha256:
                conn.execute(self.db.upsert(issue_files, {"appid": self.appid, "number": number,
                                                          "relpath": relpath, "sha256": sha256, "data": data}))
        changed = sorted(relpath for relpath, (sha256, _data) in files.items() if before.get(relpath) != sha256)
        if changed:  # (replaced, or new: one the text showed before it was there, too)
            self._withdraw_approval(conn, number, by, changed)

    def _withdraw_approval(self, conn, number: int, by: str, replaced: list[str]) -> bool:
        """(in save's transaction: the approvals' and the audit's tables written here, not through their
        classes, so that no moment has new pictures under an old approval)"""
        if not conn.execute(delete(approvals).where(approvals.c.appid == self.appid,
                                                    approvals.c.issue == number)).rowcount:
            return False
        conn.execute(insert(audit).values(at=self.clock.time(), user=by, appid=self.appid, action="unapprove",
                                          issue=number, detail=", ".join(replaced)[:2000]))
        return True


class SharedValues:
    """Small values every host must agree on (the query salt), made once by whichever host comes first."""

    def __init__(self, db: StateDatabase):
        self.db = db

    def get_or_create(self, key: str, make) -> str:
        with self.db.begin() as conn:
            conn.execute(self.db.insert_ignore(shared_values, {"key": key, "value": make()}))
        with self.db.connect() as conn:
            return conn.execute(select(shared_values.c.value).where(shared_values.c.key == key)).scalar_one()


def _row(data: dict) -> IssueRow:
    data.pop("appid")
    data["valid"] = bool(data["valid"])
    data["removed"] = bool(data["removed"])
    data["problems"] = tuple(json.loads(data["problems"])) if data["problems"] not in (None, "", "[]") else ()
    data["shown"] = _shown_paths(data.get("shown"), data["text_hash"])
    data["text_by"] = _text_author(data.get("text_by"), data["text_hash"])
    data.setdefault("text", None)
    return IssueRow(**data)


def _shown_value(paths: Iterable[str], text_hash: str) -> str:
    """What ``issues.shown`` keeps: the paths, and the text they were read from."""
    return json.dumps({"of": text_hash, "paths": sorted(paths)}, ensure_ascii=False)


def _shown_paths(value: str | None, text_hash: str) -> tuple[str, ...] | None:
    """The paths kept in ``issues.shown`` for the text of ``text_hash``; None when they are not known: none kept,
    kept of another text (a host of the release before 0011 changed it), or not readable (written by hand)."""
    try:
        kept = json.loads(value) if value else None
        if isinstance(kept, dict) and kept.get("of") == text_hash and isinstance(kept.get("paths"), list):
            return tuple(path for path in kept["paths"] if isinstance(path, str))
    except ValueError:
        pass
    return None


def _text_author_value(author: TextAuthor, text_hash: str) -> str:
    """What ``issues.text_by`` keeps: the author, and the text they wrote."""
    return json.dumps({"of": text_hash, "by": author.name, "console": author.console}, ensure_ascii=False)


def _text_author(value: str | None, text_hash: str) -> TextAuthor | None:
    """The author kept in ``issues.text_by`` of the text of ``text_hash``; None when not known: none kept, kept of
    another text (a host of the release before 0011 saved it since), or not readable."""
    try:
        kept = json.loads(value) if value else None
        if isinstance(kept, dict) and kept.get("of") == text_hash and isinstance(kept.get("by"), str):
            return TextAuthor(kept["by"], kept.get("console") is True)
    except ValueError:
        pass
    return None
