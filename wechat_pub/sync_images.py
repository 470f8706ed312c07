"""The images an issue shows, as the sync sees them (:mod:`wechat_pub.library` reads and writes them): which
files of the folder an issue may send, and the three-way rules that keep an image replaced on one host from being
written over by another host's older copy (:func:`replaced_here`)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def local_files(paths: tuple[str, ...], folder: Path) -> dict[str, tuple[str, bytes]]:
    """Of the files an issue shows (:attr:`IssueFacts.paths`), those that live in the articles folder and are
    images it may show (read through :func:`~wechat_pub.source.images.open_image`, symlinks resolved): relative
    path -> (sha, bytes)."""
    from wechat_pub.source.images import ImageFile, open_image

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


def replaced_here(images: dict[str, tuple[str, str | None]], synced: dict) -> bool:
    """Whether an image was replaced here since the last sync, while the database kept what was synced."""
    return any(synced.get(relpath) == sha and local is not None and local != sha
               for relpath, (sha, local) in images.items())

