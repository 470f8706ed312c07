"""`wechat-pub import`: a newsletter's text (as taken out of its PDF) read, imported and saved as the issue's
article file in the account's articles folder.

Importing again over an existing file (``--force``) loses nothing: the old file is kept under
``articles/.backups/``, and what the team added by hand, which a PDF's text cannot carry (an item's ``Source:``
links, the publish time, the WeChat title, digest, cover, author, comments setting), is carried over.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from wechat_pub import model as m
from wechat_pub.errors import NewsletterImportError
from wechat_pub.source.article import read_article
from wechat_pub.source.plaintext import ImportResult, import_plaintext
from wechat_pub.source.writer import write_article
from wechat_pub.text import fold

BACKUPS = ".backups"
HAND_FIELDS = ("publish_at", "wechat_title", "digest", "cover", "author", "source_url")


@dataclass
class Imported:
    target: Path
    result: ImportResult
    backup: Path | None = None  # the file this import replaced, kept
    carried: list[str] = field(default_factory=list)  # what was carried over from it


def issue_filename(number: int) -> str:
    """The file an issue is saved as, made from its number alone (never from a name someone sent)."""
    return f"issue-{int(number):03d}.md"


def read_newsletter(path: str | os.PathLike) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise NewsletterImportError(f"Cannot read {path}: {getattr(exc, 'strerror', None) or exc}.",
                                    "Give a UTF-8 text file (e.g. from 'pdftotext -layout issue.pdf').") from None


def import_newsletter(path: str | os.PathLike, folder: Path, brand: list[str], footer: list[str],
                      force: bool = False) -> Imported:
    """Import the newsletter text at ``path`` into ``folder`` as ``issue-NNN.md``; refuse to replace an
    existing file unless ``force``."""
    result = import_plaintext(str(path), read_newsletter(path), brand, footer)
    if result.issue is None:
        raise NewsletterImportError(f"{path} could not be imported:", "\n".join(str(p) for p in result.problems))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / issue_filename(result.issue.number)
    issue, backup, carried = result.issue, None, []
    if target.exists():
        if not force:
            raise NewsletterImportError(f"{target} already exists.",
                                        "Use --force to replace it (the old file is kept under .backups/), or -o to "
                                        "write elsewhere.")
        old = read_article(target).issue
        if old is not None and old.number and old.number != issue.number:  # not even --force writes over it
            raise NewsletterImportError(f"{target} holds issue {old.number}, not issue {issue.number}.",
                                        "Rename or remove that file first, or check the issue number.")
        issue, carried = carry_over(issue, old)
        backup = keep_backup(target, folder)
    target.write_text(write_article(issue, str(folder)), encoding="utf-8")
    return Imported(target, result, backup, carried)


def carry_over(new: m.Issue, old: m.Issue | None) -> tuple[m.Issue, list[str]]:
    """``new`` with what the team added by hand to ``old`` and the text does not have; and what that was."""
    if old is None:
        return new, []
    carried, changes = [], {}
    for name in HAND_FIELDS:
        if not getattr(new, name) and getattr(old, name):
            changes[name] = getattr(old, name)
            carried.append(name)
    if old.open_comment and not new.open_comment:
        changes.update(open_comment=old.open_comment, fans_only_comment=old.fans_only_comment)
        carried.append("comments")
    old_sources = {key: item.sources for item in old.items if item.sources for key in _keys(item)}
    sections = []
    for section in new.sections:
        items = []
        for item in section.items:
            found = next((old_sources[key] for key in _keys(item) if key in old_sources), ())
            if not item.sources and found:
                item = replace(item, sources=found)
                carried.append(f"Source of {item.headline.zh or item.headline.en!r}")
            items.append(item)
        sections.append(replace(section, items=tuple(items)))
    return replace(new, sections=tuple(sections), **changes), carried


def _keys(item: m.Item) -> list[str]:
    return [fold(text) for text in (item.headline.zh, item.headline.en) if text]


def keep_backup(target: Path, folder: Path) -> Path:
    backups = folder / BACKUPS
    backups.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime('%Y%m%d-%H%M%S')
    for attempt in range(1, 1000):  # two replacements within one second keep two backups
        backup = backups / (f"{target.stem}.{stamp}.md" if attempt == 1 else f"{target.stem}.{stamp}-{attempt}.md")
        try:
            with open(backup, "xb") as handle, open(target, "rb") as original:
                shutil.copyfileobj(original, handle)
        except FileExistsError:
            continue
        shutil.copystat(target, backup)
        return backup
    raise FileExistsError(f"{backups}: too many backups of {target.name} within one second")
