"""What followers may find of one account's issues, and the search index over it: the scope (published issues;
also those whose publish time has passed, 'scheduled'; or every one, 'all'), a version that changes whenever
what is findable may have, the index file per scope, and the separate process that updates it for the webhook.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from functools import partial
from pathlib import Path

from wechat_pub.clock import Clock
from wechat_pub.subcommand import own_command


class FollowerSearch:
    """Follower search of one account: ``library`` (its issues), ``pushes`` (which were published)."""

    def __init__(self, library, pushes, clock: Clock, default_scope: str, index_folder: Path, account: str,
                 config_path: Path | None, aliases=None, runs=None, sends=None):
        """``aliases``: the account's other names for search terms (``webhook.aliases``, see bot/aliases.py);
        ``runs`` and ``sends``: the schedule's runs and the mass sends (what became of an issue's publish time, for
        'scheduled')."""
        self.library = library
        self.pushes = pushes
        self.runs = runs
        self.sends = sends
        self.clock = clock
        self.default_scope = default_scope
        self.index_folder = index_folder
        self.account = account
        self.config_path = config_path
        self.aliases = aliases
        self._archives: dict[str, object] = {}

    def version(self, scope: str | None = None) -> str:
        """Changes whenever what followers may find may have changed: the articles folder, the shared issues,
        which were published, and (for 'scheduled') whose publish time has passed. Cheap: no text is read."""
        scope = scope or self.default_scope
        parts = [scope, self.library.folder.signature(), self.library.store.revision()]
        if scope != "all":
            parts.append(",".join(map(str, sorted(self.pushes.published_urls()))))
            parts.append(",".join(f"{n}:{h}" for n, h in sorted(self.pushes.live_texts().items())))
        if scope == "scheduled":
            now = self.clock.time()
            parts.append(",".join(str(row.number) for row in self.library.store.summary()
                                  if row.publish_at and _timestamp(row.publish_at) <= now))
            parts.append(",".join(sorted(map(str, self.not_out()))))
        return hashlib.sha256("|".join(parts).encode()).hexdigest()

    def searchable(self, scope: str | None = None, offer=None):
        """(version, entries) of the issues followers may find in ``scope``. An entry's issue is read only if
        the index has to take it up. ``offer(number, fingerprint, text)``: given each such issue that the sync
        reads meanwhile (see :meth:`IndexUpdate.offer`)."""
        from wechat_pub.bot.index import extract

        scope = scope or self.default_scope
        findable = self.findable(scope)

        def offer_read(article) -> None:  # (what the entries below do not want, the index drops again)
            if offer is not None and article.valid and findable(article.number, article.facts.publish_at):
                offer(article.number, article.sha256, article.derived)

        # what the index keeps is worked out while the issues are read, and indexed as each arrives
        self.library.sync(also=extract, each=offer_read)
        version = self.version(scope)
        findable = self.findable(scope)  # as of now
        went_out = self.pushes.live_texts() if scope != "all" else {}
        rows = [row for row in self.library.store.summary()  # (an edit with errors leaves what went out found)
                if (row.valid or row.number in went_out) and findable(row.number, row.publish_at)]
        return version, [self._entry(row, went_out.get(row.number, row.text_hash)) for row in rows]

    def _entry(self, row, text_hash: str):
        """An issue's entry: its text, or (edited since it was published or sent) the text that went out."""
        from wechat_pub.bot.index import IndexEntry, extract

        if text_hash == row.text_hash:
            return IndexEntry(row.number, row.text_hash,
                              partial(self.library.derived, row.number, extract, row.filename, row.text_hash))

        def went_out():
            text = self.pushes.live_text(row.number)
            return self.library.derived_from(extract, row.filename, text.text, text.text_hash) if text else None
        return IndexEntry(row.number, text_hash, went_out)

    def findable(self, scope: str):
        """Whether followers may find an issue (by its number and publish time) in ``scope``, as of now."""
        if scope == "all":
            return lambda number, publish_at: True
        published = set(self.pushes.published_urls())
        now = self.clock.time()
        not_out = self.not_out() if scope == "scheduled" else set()
        return lambda number, publish_at: number in published or (
            scope == "scheduled" and bool(publish_at) and _timestamp(publish_at) <= now
            and (number, publish_at) not in not_out and number not in not_out)

    def not_out(self) -> set:
        """What the 'scheduled' scope must not take for gone out although its time has passed: issues whose push
        or publish failed, or whose last mass send failed, was refused or was deleted (their numbers; one published since has
        addresses and is found by them), and the (issue, time) of schedule runs that ended missed, failed, canceled
        or blocked."""
        failed = {record.issue for record in self.pushes.all() if record.state == "failed"}
        last_send = {send.issue: send.state for send in (self.sends.all() if self.sends else [])}  # (oldest first)
        failed |= {issue for issue, state in last_send.items() if state in ("failed", "refused", "deleted")}
        ended = {(run.issue, run.publish_at) for run in (self.runs.all() if self.runs else [])
                 if run.final and run.state != "done"}
        return failed | ended

    def archive(self, scope: str | None = None, live: bool = False):
        """The search index of the issues followers may find: a local file (so answers need nothing but this
        host), updated when those issues change; ``live`` (the webhook): updated by a separate process
        (``wechat-pub index``) while this one goes on answering from the current index."""
        from wechat_pub.bot.aliases import table_for
        from wechat_pub.bot.search import Archive

        scope = scope or self.default_scope
        if scope not in self._archives:
            index = self.index_folder / f"search-{self.account}-{scope}.sqlite3"
            self._archives[scope] = Archive(lambda offer: self.searchable(scope, offer), index, clock=self.clock,
                                            version=lambda: self.version(scope), reading=self._read_for_index,
                                            aliases=table_for(self.aliases))
        archive = self._archives[scope]
        if live and not archive.background:
            archive.background = True
            archive.updater = lambda: self.index_elsewhere(scope)
        return archive

    def _read_for_index(self, numbers: list[int]):
        from wechat_pub.bot.index import extract

        return self.library.read_each_issue(numbers, also=extract)

    def index_elsewhere(self, scope: str) -> None:
        """Update the search index in a short-lived process of its own: the parser and the segmenter it needs
        (and their memory) never enter the webhook's workers, and their work takes no worker's time."""
        command = own_command("index", "--scope", scope, "--account", self.account, config_path=self.config_path)
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise RuntimeError(f"`wechat-pub index` failed: {done.stderr.strip()[-300:]}")


def _timestamp(iso: str) -> float:
    return dt.datetime.fromisoformat(iso).timestamp()
