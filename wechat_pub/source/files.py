"""Reading an article file and hashing what an issue is made of: the one way every part knows a file's text
and content by (the folder's reader, the parser, the sync with the database). No parsing here: the modules
above it (:mod:`.article`, :mod:`.folder`) import it, never the other way round."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from wechat_pub import model as m


def read_text(path: str | os.PathLike) -> tuple[str | None, m.Problem | None]:
    """The article file's text, or the problem that stops it being read."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(), None
    except UnicodeDecodeError as exc:
        return None, m.Problem(m.Pos(path), "error", f"the file is not UTF-8 text ({exc.reason}).",
                               "Save it as UTF-8 in your editor (\"Save with encoding\").")
    except OSError as exc:
        return None, m.Problem(m.Pos(path), "error", f"cannot read the file: {exc.strerror}.",
                               "Check the file name and that you may read it.")


def hash_file(path: str | os.PathLike) -> str | None:
    """The sha256 of a file's bytes (an image an issue shows); None when it is missing."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return None


def hash_text(text: str) -> str:
    """The hash an article file is known by: of its text as read (UTF-8, newlines as Python reads them)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shown(paths: tuple[str, ...], folder: str | os.PathLike) -> set[str]:
    """Of the files an issue shows, those inside the articles ``folder``, as paths relative to it."""
    root = os.path.abspath(folder)
    return {os.path.relpath(os.path.abspath(path), root) for path in paths
            if os.path.abspath(path).startswith(root + os.sep)}


def local_images(paths: tuple[str, ...], folder: str | os.PathLike) -> dict[str, tuple[str, bytes]]:
    """Of the files an issue shows (:attr:`IssueFacts.paths`), those that live in the articles ``folder`` and are
    images it may show (read through :func:`~wechat_pub.source.images.open_image`, symlinks resolved): relative
    path -> (sha256, bytes)."""
    from wechat_pub.source.images import ImageFile, open_image  # (it reads files through this module)

    found = {}
    root = os.path.abspath(folder)
    for relpath in shown(paths, folder):  # (outside the folder: not ours to copy; check reports it)
        opened = open_image(os.path.join(root, relpath), relpath, (root,))
        if isinstance(opened, ImageFile):  # else missing, or not an image it may show: check reports it
            found[relpath] = (hashlib.sha256(opened.data).hexdigest(), opened.data)
    return found


def arrived(shown_paths: tuple[str, ...], known: Iterable[str], folder: str | os.PathLike) -> bool:
    """Whether a picture an issue's text shows (``shown_paths``: relative paths, as the database keeps them) and the
    database has not (``known``) is in the articles ``folder`` now, as a picture a push takes: put there after its
    text was synced (a `git pull`, a copy)."""
    known = set(known)
    awaited = tuple(os.path.join(folder, relpath) for relpath in shown_paths if relpath not in known)
    return bool(awaited) and bool(local_images(awaited, folder))


def refused_here(images: dict[str, tuple[str, str | None]], folder: str | os.PathLike) -> set[str]:
    """Of an issue's pictures (relative path -> (the database's sha256, this folder's, None when missing)), those that
    differ here and are not pictures a push takes (a WebP, an empty file, a git-lfs pointer, one over 10 MB)."""
    changed = {relpath for relpath, (sha, local) in images.items() if local is not None and local != sha}
    usable = local_images(tuple(os.path.join(os.path.abspath(folder), relpath) for relpath in changed), folder)
    return changed - set(usable)


def inside(folder: str | os.PathLike, path: str | os.PathLike) -> bool:
    """Whether ``path`` (existing or not) resolves inside the articles ``folder``: no link on the way leads out."""
    root, resolved = os.path.realpath(folder), os.path.realpath(path)
    return resolved == root or resolved.startswith(root + os.sep)


def write_inside(folder: str | os.PathLike, relpath: str, data: bytes) -> None:
    """Write ``data`` at ``relpath`` in the articles ``folder``, never through a link: the folder it goes into must
    resolve inside ``folder`` (OSError when a link leads out, before anything is made), and a link in the file's
    own place is replaced by the file, not followed (a checkout may carry links; what is written is a picture)."""
    target = os.path.join(folder, relpath)
    if not inside(folder, os.path.dirname(target)):
        raise OSError(f"{relpath} leads out of the articles folder: nothing is written through it")
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.{os.getpid()}.tmp")
    try:
        with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644), "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def keep_aside(folder: str | os.PathLike, path: str, aside_dir: Path, when: str) -> Path:
    """A copy of ``path`` in ``aside_dir`` (both inside the articles ``folder``: OSError when a link leads out),
    named by its stem and ``when``, never over another. A link, or a file reached through one from outside the
    folder, is kept as a note of where it led, never followed: what it leads to is not ours to copy."""
    if not inside(folder, aside_dir / "x"):
        raise OSError(f"{os.path.relpath(aside_dir, folder)} leads out of the articles folder: nothing is kept there")
    aside_dir.mkdir(parents=True, exist_ok=True)
    aside = aside_dir / f"{Path(path).stem}.{when}{Path(path).suffix}"
    for number in range(2, 1000):  # (two of one name in one second)
        if not os.path.lexists(aside):
            break
        aside = aside_dir / f"{Path(path).stem}.{when}-{number}{Path(path).suffix}"
    if os.path.islink(path) or not inside(folder, path):
        aside = aside.with_name(aside.name + ".link.txt")
        aside.write_text(f"{os.path.basename(path)} led to {os.path.realpath(path)}\n", encoding="utf-8")
    else:
        shutil.copy2(path, aside)
    return aside


def write_text_file(path: Path, text: str) -> None:
    """An article's text into ``path``, whole or not at all (a temporary file, then renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def read_record(path: Path) -> dict[str, str]:
    """This host's record of what it last synced (article file name or picture path -> sha256); {} when none."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def write_record(path: Path, synced: dict[str, str]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(synced, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)
