"""Reading an article file and hashing what an issue is made of: the one way every part knows a file's text
and content by (the folder's reader, the parser, the sync with the database). No parsing here: the modules
above it (:mod:`.article`, :mod:`.folder`) import it, never the other way round."""

from __future__ import annotations

import hashlib
import os

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
    for path in paths:
        absolute = os.path.abspath(path)
        if not absolute.startswith(root + os.sep):
            continue  # outside the folder: not ours to copy (check reports it)
        opened = open_image(absolute, path, (root,))
        if isinstance(opened, ImageFile):  # else missing, or not an image it may show: check reports it
            found[os.path.relpath(absolute, root)] = (hashlib.sha256(opened.data).hexdigest(), opened.data)
    return found
