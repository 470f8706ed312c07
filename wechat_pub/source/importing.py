"""`wechat-pub import`: a newsletter (its PDF, or text taken out of a PDF or written elsewhere) read, imported and
saved as the issue's article file in the account's articles folder, a PDF's pictures in the issue's images folder
(``images/issue-NNN/``).

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
from typing import Callable

from wechat_pub import model as m
from wechat_pub.errors import NewsletterImportError
from wechat_pub.source import marks
from wechat_pub.source.article import read_article
from wechat_pub.source.files import inside
from wechat_pub.source.images import check_image_data, image_kind
from wechat_pub.source.pdf import PdfText, PdfUnreadable
from wechat_pub.source.pdfapart import read_pdf_apart
from wechat_pub.source.plaintext import ImportResult, PlainTextImporter
from wechat_pub.source.writer import write_article
from wechat_pub.text import fold

BACKUPS = ".backups"
HAND_FIELDS = ("publish_at", "deliver", "send_to_tag", "wechat_title", "digest", "cover", "author", "source_url")


@dataclass
class Imported:
    target: Path
    result: ImportResult
    backup: Path | None = None  # the file this import replaced, kept
    carried: list[str] = field(default_factory=list)  # what was carried over from it
    pdf: PdfText | None = None  # what the PDF had besides its text (pictures, what was left out)
    images: list[Path] = field(default_factory=list)  # the pictures written


def is_pdf(data: bytes) -> bool:
    return data.lstrip()[:5] == b"%PDF-"


SUFFIXES = {"PNG": ".png", "JPEG": ".jpg", "GIF": ".gif"}
MAX_PICTURES = 60  # pictures one import writes


def picture_src(number: int, index: int, data: bytes) -> str:
    """Where the article shows an imported picture (``index`` from 1): the issue's images folder, named by its
    order and its type (as its bytes say), never by a name from the PDF or a form."""
    return f"images/issue-{int(number):03d}/figure-{int(index)}{SUFFIXES.get(image_kind(data[:8]) or '', '.png')}"


def read_newsletter_data(name: str, data: bytes, brand: list[str], footer: list[str]) -> tuple[ImportResult,
                                                                                              PdfText | None]:
    """Import a newsletter's bytes: a PDF (by its content, whatever its name) or UTF-8 text."""
    if is_pdf(data) or name.lower().endswith(".pdf"):
        try:
            pdf = read_pdf_apart(data, os.path.basename(name))  # (a process of its own: see source/pdfapart.py)
        except PdfUnreadable as exc:
            raise NewsletterImportError(exc.message, exc.hint) from None
        importer = PlainTextImporter(name, brand, footer,
                                     lambda number, index: picture_src(number, index, pdf.images[index - 1].data))
        return importer.run(pdf.text), pdf
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NewsletterImportError(f"{name} is neither a PDF nor UTF-8 text.",
                                    "Import the newsletter's PDF, or its text saved as UTF-8.") from None
    return PlainTextImporter(name, brand, footer).run(marks.strip_marks(text)), None


def pdf_review(pdf: PdfText | None) -> list[str]:
    """What a PDF import left out or could not read, for the review (command line and console)."""
    if pdf is None:
        return []
    lines = [f"{pdf.running_lines} running header, footer or page number line(s) left out"] if pdf.running_lines else []
    lines += [f"{len(pdf.images)} picture(s) imported into the issue's images folder"] if pdf.images else []
    return lines + [f"left out: {note}" for note in pdf.skipped_images] + pdf.warnings


def write_pictures(pictures: list[bytes], number: int, folder: Path, article: str | None = None,
                   before_writing: Callable[[list[Path]], object] | None = None,
                   previous: list | None = None) -> list[Path]:
    """Write an import's pictures where the article shows them, each through the image gate first; with
    ``article`` (the text a console form sent), only those it shows. The pictures written: those that were not
    there with these bytes already (what the issue shows changes: an approval of it no longer holds, and
    ``before_writing(paths)`` is called first, so that no moment has new pictures under an old approval).
    ``previous``: gets (path, the bytes it held or None) of each picture written, for :func:`put_back`; a write
    that fails midway puts back those written before it."""
    if len(pictures) > MAX_PICTURES:
        raise NewsletterImportError(f"{len(pictures)} pictures: an import takes at most {MAX_PICTURES}.",
                                    "Leave the other pictures out of the PDF and add them to the article by hand.")
    checked_all = []
    for index, data in enumerate(pictures, start=1):
        src = picture_src(number, index, data)
        checked = check_image_data(data, src)
        if isinstance(checked, m.Problem):
            raise NewsletterImportError(f"picture {index} cannot be imported: {checked.message}", checked.hint)
        if article is None or f"<{src}>" in article or f"({src})" in article:
            checked_all.append((src, checked))
    changing = [(folder / src, checked) for src, checked in checked_all if not _holds(folder / src, checked.data)]
    if changing and before_writing is not None:
        before_writing([target for target, _checked in changing])
    written, held = [], [] if previous is None else previous
    try:
        for target, checked in changing:  # nothing written unless every picture passed
            if not inside(folder, target.parent):  # a symlink planted in the folder (looked at before any is made)
                raise NewsletterImportError(f"{target.parent} leads out of the articles folder: no picture is "
                                            "written through it.", "Replace it with a plain folder, then import again.")
            target.parent.mkdir(parents=True, exist_ok=True)
            before = _held_bytes(target)
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            held.append((target, before))  # (once opened: a link there, never opened, is never put back)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(checked.data)
            written.append(target)
    except BaseException:
        put_back(held)  # (a picture half-imported would be taken, by the next sync, as this host's change)
        raise
    return written


def put_back(previous: list) -> None:
    """The pictures :func:`write_pictures` wrote, as they were before it (those that were not there, removed)."""
    for target, data in reversed(previous):
        try:
            if data is None:
                os.unlink(target)
            else:
                with os.fdopen(os.open(target, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW), "wb") as handle:
                    handle.write(data)
        except OSError:  # (gone, or never written)
            continue
    previous.clear()


def _held_bytes(target: Path) -> bytes | None:
    """What the file ``target`` (not a link) holds, None when there is none."""
    try:
        with os.fdopen(os.open(target, os.O_RDONLY | os.O_NOFOLLOW), "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _holds(target: Path, data: bytes) -> bool:
    """Whether the file ``target`` (not a link) holds ``data`` already."""
    try:
        descriptor = os.open(target, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(len(data) + 1) == data


def issue_filename(number: int) -> str:
    """The file an issue is saved as, made from its number alone (never from a name someone sent)."""
    return f"issue-{int(number):03d}.md"


MAX_NEWSLETTER_BYTES = 50 * 1024 * 1024  # a newsletter's PDF is a few MB


def read_newsletter(path: str | os.PathLike) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_NEWSLETTER_BYTES + 1)
    except OSError as exc:
        raise NewsletterImportError(f"Cannot read {path}: {exc.strerror or exc}.",
                                    "Give the newsletter's PDF, or its text as a UTF-8 file.") from None
    if len(data) > MAX_NEWSLETTER_BYTES:
        raise NewsletterImportError(f"{path} is over {MAX_NEWSLETTER_BYTES // 1048576} MB: not a newsletter.",
                                    "Give the newsletter's own PDF (or its text).")
    return data


def import_newsletter(path: str | os.PathLike, folder: Path, brand: list[str], footer: list[str],
                      force: bool = False, before_writing: Callable[[int, list[Path]], object] | None = None
                      ) -> Imported:
    """Import the newsletter (PDF or text) at ``path`` into ``folder`` as ``issue-NNN.md``, a PDF's pictures under
    ``images/issue-NNN/``; refuse to replace an existing file unless ``force``. Nothing is written on an error.
    ``before_writing(number, paths)``: called before pictures that change are written (see write_pictures)."""
    result, pdf = read_newsletter_data(str(path), read_newsletter(path), brand, footer)
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
    images = write_pictures([picture.data for picture in pdf.images] if pdf else [], issue.number, folder,
                            before_writing=before_writing and (lambda paths: before_writing(issue.number, paths)))
    target.write_text(write_article(issue, str(folder)), encoding="utf-8")
    return Imported(target, result, backup, carried, pdf, images)


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
