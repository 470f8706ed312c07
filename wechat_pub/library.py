"""One account's issues, one truth for every host: the shared database's copy, kept in step with this host's
articles folder (the folder people edit and keep in git).

:meth:`Library.sync` compares each article file with the database's row for its issue number and with what
this host last synced (a small record in the state folder), and does what a careful person would (the rule
for the texts is :func:`wechat_pub.sync_rules.decide`'s; reading the issues is :mod:`wechat_pub.issue_reader`'s):

- a file changed here since the last sync goes to the database (a new version);
- a file unchanged here follows the database (edited on another host, or in the console): it is rewritten,
  with its images;
- changed here *and* in the database: the database's version stays, this host's file is kept aside under
  ``articles/.conflicts/`` and the sync says so: nothing is lost, nothing is silently replaced;
- the images an issue shows go the same way: one replaced here (its text unchanged) sends the issue to the
  database as a new version; one replaced here *and* in the database is kept aside like a file; one missing here
  is written from the database;
- a file deleted here (and unchanged elsewhere) removes the issue; a row removed elsewhere removes the file;
- a new issue from another host appears in the folder; two files with one issue number are reported and
  neither is synced until one is renamed or removed.

Schedule, status and search read :meth:`Library.catalogue` (the database's copy, through the issue reader); with
several hosts they therefore agree, whichever host's folder an issue came from.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import socket
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

from wechat_pub import model as m
from wechat_pub import sync_rules
from wechat_pub.bulk import paused_gc
from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.errors import ArticleError
from wechat_pub.issue_reader import IssueReader
from wechat_pub.publish.timing import Slot
from wechat_pub.source import files as source_files
from wechat_pub.source.files import hash_file, hash_text
from wechat_pub.source.folder import Arrivals, ArticleFile, ArticleFolder, Catalogue, read_article_file
from wechat_pub.state.issues import IssueRow, IssueStore, StaleVersion
from wechat_pub.sync_rules import Action, Stored, SyncReport, base_of, decide, forget, newer_elsewhere, replaced_here

log = logging.getLogger(__name__)
CONFLICTS = ".conflicts"
ARTICLE_NAME = re.compile(r"\w[\w .-]*\.md")  # what an article saved from the console may be called


class Library:
    def __init__(self, folder: ArticleFolder, store: IssueStore, record: Path, clock: Clock = SYSTEM_CLOCK,
                 author: str = ""):
        """``record``: this host's last-synced hash of each file."""
        self.folder, self.store = folder, store
        self.record = Path(record)
        self.clock = clock
        self.author = author or socket.gethostname()
        # (articles signature, pictures stamp, database revision) of the last sync, and what it could not sync
        self._seen: tuple[tuple[str, str, str], list[str]] | None = None
        self.reader = IssueReader(store, folder)
        self._file_hashes: dict[int, dict[str, str]] | None = None  # during a sync: every issue's files
        self._base: dict[str, str] = {}  # during a sync: this host's record as it was when the sync began
        self._copies: sync_rules.SharedCopies | None = None  # during a sync: the newest copy of each picture path
        self._pictures: tuple[list[str], str] = ([], "")  # every issue's pictures as the last sync began; their stamp
        self._lock = threading.Lock()

    # ---- folder <-> database ---------------------------------------------------------------------------

    def sync(self, force: bool = False, author: str | None = None, also=None, each=None) -> SyncReport:
        """Bring the folder and the database into step (see the module's description). ``author``: who made
        the changes found in the folder (default: this host). ``also``: see :func:`read_each`. ``each(article)``:
        called with each article read for this sync once it is synced, while the rest are still being read."""
        seen = (self.folder.signature(), self.folder.stamp(self._pictures[0]), self.store.revision())
        last = self._seen
        if not force and last is not None and seen == last[0]:  # nothing changed: what could not be, still cannot
            return SyncReport(skipped=list(last[1]))
        report = SyncReport(author=author or self.author)
        self.record.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.record.with_suffix(".lock"), "w") as lock, paused_gc():
            fcntl.flock(lock, fcntl.LOCK_EX)  # one sync of this folder at a time on this host
            synced = source_files.read_record(self.record)
            try:
                local, revision = self._sync_all(synced, report, also, each)
            finally:  # (also when it failed midway: each entry is recorded once its file or row is done)
                source_files.write_record(self.record, synced)
                self._file_hashes, self._base, self._copies = None, {}, None
            # Remember what was read, not what is there now: a file saved or a row changed while this sync ran
            # (the team saving in the console while the scheduler syncs) is then the next sync's. After a sync
            # that changed something, the next one therefore reads again and finds its writes in step.
            self._seen = ((local.signature, self._pictures[1], revision), list(report.skipped))
        for line in report.conflicts:
            log.warning("%s", line)
        return report

    def _sync_all(self, synced: dict, report: SyncReport, also, each) -> tuple[Catalogue, str]:
        """The sync itself, into ``synced`` (this host's record) and ``report``; (the folder as read, the database's
        revision before it)."""
        before = dict(synced)  # (as it was: a file renumbered here is recorded under its new issue below)
        revision = self.store.revision()  # (before the rows: a change made meanwhile shows next time)
        local = self.folder.read()
        rows = {row.number: row for row in self.store.all(include_removed=True, texts=False)}
        self._file_hashes, self._base = self.store.all_file_hashes(), before
        live = {number: row.updated_at for number, row in rows.items() if not row.removed}
        self._copies = sync_rules.SharedCopies(self._file_hashes, live)
        pictures = sorted({relpath for files in self._file_hashes.values() for relpath in files}  # (and those awaited)
                          | {relpath for row in rows.values() if not row.removed for relpath in row.shown or ()})
        self._pictures = (pictures, self.folder.stamp(pictures))  # (a picture replaced alone is a change too)
        numbers = self._sync_files(local, rows, synced, report, also, each)
        for number, paths in local.duplicates.items():
            names = " and ".join(os.path.basename(p) for p in paths)
            report.skipped.append(f"issue {number} is in {names}: rename or remove one (neither is synced)")
        holders = {article.sha256: article.number for article in local.files}  # (what each text is now)
        unnumbered = {article.filename for article in local.files if not article.number}  # (reported above)
        for number, row in rows.items():  # (a file whose issue line broke is still its issue's: kept)
            if number not in numbers and row.filename not in unnumbered:
                base = before.get(row.filename)
                self._sync_row(row, synced, report, base_of(row.number, base, holders.get(base)))
        return local, revision

    def _sync_files(self, local: Catalogue, rows: dict[int, IssueRow], synced: dict, report: SyncReport,
                    also, each) -> set[int]:
        """Each file of the folder synced with its row; the numbers of the folder's issues. What will be imported
        is read on every core, and each file synced as soon as it has been read."""
        to_read = [article for article in local.files if article.number not in rows  # (no paths: see _shown)
                   or rows[article.number].text_hash != article.sha256 or rows[article.number].shown is None]
        read = Arrivals(to_read, also)
        read_here = {id(article) for article in to_read}
        numbers = set()
        try:
            for article in local.files:
                if not article.number:
                    report.skipped.append(f"{article.filename} has no issue number: run `wechat-pub check` on it")
                    continue
                numbers.add(article.number)
                if article.number not in local.duplicates:
                    read.wait_for(article)
                    self._sync_file(article, rows.get(article.number), synced, report)
                    if each is not None and id(article) in read_here:
                        each(article)
            read.finish()
        finally:
            read.close()
        return numbers

    def _sync_file(self, article: ArticleFile, row: IssueRow | None, synced: dict, report: SyncReport) -> None:
        name, current = article.filename, article.sha256
        action = decide(synced.get(name), current, _stored(row))
        try:
            if action is Action.IMPORT:
                self._import(article, row, report, synced)
            elif action is Action.REMOVE_FILE:
                os.remove(article.path)
                synced.pop(name, None)
                report.removed.append(name)
                return
            elif action is Action.IN_STEP:
                images = self._images(row)
                refused = source_files.refused_here(images, self.folder.path)
                if (replaced_here({rel: v for rel, v in images.items() if rel not in refused}, self._base)
                        or source_files.arrived(self._shown(article, row), images, self.folder.path)):
                    self._import(article, row, report, synced, pictures_only=True)  # a new version of its issue
                else:  # (one a push refuses is kept aside, the database's written)
                    self._write_files(row, synced, report, images, refused)
            elif action is Action.WRITE:
                current = self._write(row, article.path, report, synced)
            else:  # Action.CONFLICT
                aside = self._set_aside(article.path)
                current = self._write(row, article.path, report, synced)
                report.conflicts.append(
                    f"{name}: issue {row.number} was changed here and by {row.updated_by or 'another host'} (saved "
                    f"{sync_rules.said_when(row.updated_at)}); the database's version is in the folder now, this "
                    f"host's was kept as {os.path.relpath(aside, self.folder.path)}")
        except StaleVersion:
            log.info("issue %s changed in the database while syncing; the next sync takes it up", article.number)
            return
        synced[name] = current

    def _shown(self, article: ArticleFile, row: IssueRow) -> tuple[str, ...]:
        """The pictures the issue's text shows; where the database does not know them (saved before it kept them,
        or by a host of the release before), read here once, and watched from the next sync on."""
        if row.shown is not None:
            return row.shown
        shown = tuple(sorted(source_files.shown(article.facts.paths, self.folder.path))) if article.facts else ()
        self.store.fill_shown(row, shown)
        self._pictures = (sorted({*self._pictures[0], *shown}), self._pictures[1])
        return shown

    def _sync_row(self, row: IssueRow, synced: dict, report: SyncReport, base: str | None) -> None:
        """A database row with no file of its number here; ``base``: what this host last synced of it."""
        action = decide(base, None, _stored(row))
        if action is Action.FORGET:
            forget(synced, row.filename, base)
            return
        if action in (Action.WRITE, Action.RESTORE):  # new from elsewhere, or deleted here but changed there
            if (self.folder.path / row.filename).exists():  # another issue's file here has its name: never over it
                report.skipped.append(f"{row.filename} here is not issue {row.number}, which another host keeps under "
                                      "that name: rename one (it is not written here until then)")
                return
            synced[row.filename] = self._write(row, str(self.folder.path / row.filename), report, synced)
            if action is Action.RESTORE:
                who = row.updated_by or "another host"
                report.conflicts.append(f"{row.filename}: deleted here, but changed by {who} "
                                        f"({sync_rules.said_when(row.updated_at)}); it is back in the folder")
            return
        try:  # Action.REMOVE_ROW: deleted here, and nobody changed it since: the issue goes
            self.store.remove(row.number, self.author, row.version)
        except StaleVersion:
            return
        forget(synced, row.filename, base)
        report.removed.append(row.filename)

    def _import(self, article: ArticleFile, row: IssueRow | None, report: SyncReport, synced: dict,
                pictures_only: bool = False) -> None:
        synced.update(self._store(article, report.author or self.author, row.version if row else None, synced,
                                  pictures_only))
        self.reader.keep(article)  # read already: the index takes it from here
        report.imported.append(article.filename)

    def _store(self, article: ArticleFile, author: str, expected_version: int | None, synced: dict,
               pictures_only: bool = False, console: bool = False) -> dict[str, str]:
        """The article's text, what was found in it, and the images it shows, into the database (one transaction);
        the images sent (relative path -> sha256), which this host now has as the database does."""
        facts = article.facts
        paths = facts.paths if facts else ()
        shown = source_files.shown(paths, self.folder.path)
        files, keep, adopted = self._pictures_to_send(article.number, paths, shown, synced)
        problems = [f"{p.pos.line if p.pos and p.pos.line else '-'}: {p.message}" for p in article.errors]
        self.store.save(article.number, article.filename, article.text, article.sha256, article.valid, problems,
                        facts.publish_at if article.valid else None, facts.title if facts else "",
                        facts.date if facts else "", author, expected_version, shown, files, keep, pictures_only,
                        console)
        return {relpath: sha for relpath, (sha, _data) in (files or {}).items() if relpath not in adopted}

    def _pictures_to_send(self, number: int, paths: tuple[str, ...], shown: set[str], synced: dict):
        """(files, keep, adopted) for :meth:`IssueStore.save`: the images the issue shows (``paths``; of them in the
        articles folder, ``shown``), but those another host
        replaced since this one synced them, and those missing here (kept); a picture the issue never had in the
        database that other issues share in a newer version takes theirs (adopted); (None, ∅, ∅) for an issue that
        has none and had none (not even a statement)."""
        files, stored = source_files.local_images(paths, self.folder.path), self._file_hashes
        if not (files or stored is None or stored.get(number)):
            return None, set(), set()
        database = stored.get(number, {}) if stored is not None else self.store.file_hashes(number)
        base = self._base if stored is not None else synced  # (a sync's: as it began, not as it went on)
        here = {relpath: sha for relpath, (sha, _data) in files.items()}
        keep = newer_elsewhere(here, database, base)
        keep |= {relpath for relpath in shown - set(files) if relpath in database}  # (a text edit takes none back)
        unknown = [relpath for relpath in here if relpath not in database]
        copies = (self._copies.newest if self._copies else self.store.newest_copies)(number, unknown) if unknown else {}
        adopted = sync_rules.newer_copies(here, base, copies)
        taken = {relpath: self.store.files(holder)[relpath] for relpath, (_sha, holder) in adopted.items()}
        return {relpath: found for relpath, found in files.items() if relpath not in keep} | taken, keep, set(adopted)

    def _write(self, row: IssueRow, path: str, report: SyncReport, synced: dict) -> str:
        """The database's text of the issue into ``path``, with its images; the hash of the text written (the row
        was read without its text, and may have changed since: what is recorded is what was written)."""
        text = row.text if row.text is not None else self.store.get(row.number).text
        source_files.write_text_file(Path(path), text)
        self._write_files(row, synced, report)
        report.written.append(Path(path).name)
        return hash_text(text)

    def _images(self, row: IssueRow) -> dict[str, tuple[str, str | None]]:
        """The issue's images: relative path -> (the database's sha256, this folder's, None when missing)."""
        known = self._file_hashes
        wanted = known.get(row.number, {}) if known is not None else self.store.file_hashes(row.number)
        return {relpath: (sha, hash_file(self.folder.path / relpath)) for relpath, sha in wanted.items()}

    def _write_files(self, row: IssueRow, synced: dict, report: SyncReport,
                     images: dict[str, tuple[str, str | None]] | None = None, refused: set[str] = frozenset()) -> None:
        """The issue's images, where its text expects them (only those missing or different here). One changed
        here too since the last sync (or never synced here) is kept aside first, and the sync says so."""
        images = self._images(row) if images is None else images
        stale = [relpath for relpath, (sha, local) in images.items() if local != sha]
        stored = self.store.files(row.number) if stale else {}
        failed = {relpath for relpath in stale
                  if not self._write_picture(row, relpath, stored[relpath][1], images[relpath][1], relpath in refused,
                                             report)}
        synced.update({relpath: sha for relpath, (sha, _local) in images.items() if relpath not in failed})

    def _write_picture(self, row: IssueRow, relpath: str, data: bytes, here: str | None, refused: bool,
                       report: SyncReport) -> bool:
        """One picture of the database into the folder, this host's copy kept aside first when it changed since the
        sync began (and said); False when it cannot be written (said; nothing kept aside, nothing recorded)."""
        target = self.folder.path / relpath
        try:
            if not source_files.inside(self.folder.path, target.parent):
                raise OSError("it leads out of the articles folder: not written")
            if here is not None and here != self._base.get(relpath):
                kept = os.path.relpath(self._set_aside(str(target)), self.folder.path)
                report.conflicts.append(sync_rules.said_kept_aside(relpath, row, kept, refused))
            source_files.write_inside(self.folder.path, relpath, data)
            return True
        except OSError as exc:
            report.skipped.append(f"{relpath} (issue {row.number}): {exc}")
            return False

    def _set_aside(self, path: str) -> Path:
        when = time.strftime('%Y%m%d-%H%M%S', time.localtime(self.clock.time()))
        return source_files.keep_aside(self.folder.path, path, self.folder.path / CONFLICTS, when)

    # ---- saving from the console -------------------------------------------------------------------------

    def save(self, filename: str, text: str, expected_version: int | None, author: str,
             before_storing: Callable[[], Callable[[], object] | None] | None = None) -> IssueRow:
        """Save an article's text (the console's editor and import): the database first, refused with
        StaleVersion when it changed since ``expected_version`` (None: a new issue), then this host's file.
        Its issue number must be the one it had; the text may have errors (they are listed, as in `check`).
        ``before_storing()``: writes the import's pictures under the sync's lock (no sync takes them as this host's
        change, which a schedule publishes without an approver), and returns what puts them back if the save fails.
        Pictures changed here otherwise are not synced first: they would be credited to this host."""
        from wechat_pub.source.article import parse_article

        if not ARTICLE_NAME.fullmatch(filename):  # a name from a form: never a path, a hidden file or markup
            raise ArticleError(f"{filename!r} is not an article file name.", "Articles are saved as issue-<number>.md.")
        path, sha256 = self.folder.path / filename, hash_text(text)
        parsed = parse_article(text, str(path), self.folder.timezone, sha256)
        article = ArticleFile(str(path), text, sha256, self.folder.timezone, parsed.issue, tuple(parsed.problems))
        if not article.number:
            raise ArticleError(f"{filename}: the text has no issue number.", "Keep the 'issue:' line of the front "
                                                                             "matter.")
        here = read_article_file(str(path), self.folder.timezone) if path.exists() else None
        if here is not None and here.number not in (0, article.number):
            raise ArticleError(f"{filename} in this host's folder is another issue.", "Save this issue under its own "
                               "name, or rename that file first (nothing was saved).")
        if here is not None and here.sha256 != source_files.read_record(self.record).get(filename):
            self.sync()  # the file was edited here since the last sync: that edit becomes a version (this save stale)
        current = self.store.get(article.number)
        if current is not None and not current.removed and current.filename != filename:
            raise ArticleError(f"issue {article.number} is already {current.filename}.",
                               "Keep the issue number this article had, or open that issue instead.")
        self.record.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.record.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            synced = source_files.read_record(self.record)
            now = read_article_file(str(path), self.folder.timezone) if path.exists() else None
            if now is not None and now.sha256 != synced.get(filename):  # edited in the folder, not synced: kept
                raise StaleVersion(article.number) if now.number else ArticleError(
                    f"{filename} was edited in this host's folder and its 'issue:' line is broken: nothing was saved "
                    "over it.", "Fix that line in the file (or ask your admin to), then save again.")
            undo = before_storing() if before_storing is not None else None  # (see the docstring)
            try:
                self._store(article, author, expected_version if current is None or not current.removed
                            else current.version, synced, console=True)
            except BaseException:
                if undo is not None:
                    undo()
                raise
            source_files.write_text_file(path, text)
            # Its pictures are not recorded as synced here: one that other issues show too (a logo a `git pull`
            # replaced) is then still this host's change for them at the next sync, not written back over.
            synced[filename] = article.sha256
            source_files.write_record(self.record, synced)
        return self.store.get(article.number)

    def path_of(self, row: IssueRow) -> str:
        """The file of ``row``'s issue in this host's folder, which the console's actions act on."""
        return str(self.folder.path / row.filename)

    # ---- reading (the issue reader's: wechat_pub/issue_reader.py) -----------------------------------------

    def catalogue(self) -> Catalogue:
        return self.reader.catalogue()

    def read_each_issue(self, numbers: list[int], also=None) -> Iterator[int]:
        return self.reader.read_each_issue(numbers, also)

    def issue(self, number: int) -> m.Issue | None:
        return self.reader.issue(number)

    def derived(self, number: int, also, filename: str | None = None, text_hash: str | None = None):
        return self.reader.derived(number, also, filename, text_hash)

    def derived_from(self, also, filename: str, text: str, text_hash: str):
        return self.reader.derived_from(also, filename, text, text_hash)

    def text_of(self, issue: m.Issue) -> str | None:
        """The text ``issue`` was read from, as the database holds it (None: the text has changed since)."""
        row = self.store.get(issue.number)
        return row.text if row is not None and row.text_hash == issue.text_sha256 else None

    def row(self, number: int) -> IssueRow | None:
        return self.store.get(number)

    def slots(self) -> list[Slot]:
        return self.reader.slots()


def _stored(row: IssueRow | None) -> Stored | None:
    return Stored(row.text_hash, row.removed) if row is not None else None

