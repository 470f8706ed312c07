"""`wechat-pub import`: a newsletter's text (as taken out of its PDF) read, imported and saved as the issue's
article file in the account's articles folder."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from wechat_pub.errors import NewsletterImportError
from wechat_pub.source.plaintext import ImportResult, import_plaintext
from wechat_pub.source.writer import write_article


@dataclass
class Imported:
    target: Path
    result: ImportResult


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
    target = folder / f"issue-{result.issue.number:03d}.md"
    if target.exists() and not force:
        raise NewsletterImportError(f"{target} already exists.", "Use --force to overwrite it, or -o to write elsewhere.")
    target.write_text(write_article(result.issue, str(folder)), encoding="utf-8")
    return Imported(target, result)
