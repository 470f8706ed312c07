"""The one gate between an article's image links and the disk: which files an article may show, and their bytes.

An article is written by whoever holds an editor's password (or imports a file), so its image links are hostile
until shown otherwise: ``![x](/etc/shadow)`` or ``![x](../state/state.sqlite3)`` must not put a file of the server
into a preview, a check's message or an upload. :func:`open_image` decides, and preview, check, push and the
library's sync all read images through it:

- the path, symlinks resolved, must lie in one of the allowed folders (:func:`image_folders`: the account's articles
  and assets folders, and the article's own folder); anything else is refused with one message that does not say
  whether the file exists, and the file is neither opened nor looked at;
- the file must be a regular file of at most WeChat's 10 MB, and its first bytes those of a JPEG, PNG or GIF (the
  types WeChat takes), checked before the bytes go anywhere.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from wechat_pub import model as m
from wechat_pub.limits import MATERIAL_IMAGE_MAX_BYTES

# The image types WeChat takes (media/uploadimg, material/add_material), by the bytes they start with.
ACCEPTED_TYPES = ((b"\xff\xd8\xff", "JPEG"), (b"\x89PNG\r\n\x1a\n", "PNG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"))
MIME_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}


@dataclass(frozen=True)
class ImageFile:
    """An image an article may show: its bytes, and its type as its content says (JPEG, PNG or GIF)."""

    data: bytes
    kind: str

    @property
    def mime(self) -> str:
        return MIME_TYPES[self.kind]


def image_folders(article_path: str | None, folders: Iterable[str | os.PathLike] = ()) -> tuple[str, ...]:
    """Where the article at ``article_path`` may take images from: ``folders`` (the account's articles and assets
    folders, from its render options) and the article's own folder (for an article of the account, the articles
    folder; for `wechat-pub check FILE` on a file elsewhere, the folder its owner chose)."""
    own = [os.path.dirname(os.path.abspath(article_path))] if article_path and article_path != "<article>" else []
    return tuple(dict.fromkeys([*own, *(os.fspath(folder) for folder in folders if folder)]))


def open_image(path: str, src: str, folders: Iterable[str], pos: m.Pos | None = None,
               what: str = "image") -> ImageFile | m.Problem:
    """The bytes of the local image ``path`` (written ``src`` in the article), or the problem that refuses it.

    :param folders: the folders the image may lie in (:func:`image_folders`)."""
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError):  # a symlink loop, or a folder removed while resolving
        return _outside(src, pos, what)
    if not _inside(resolved, folders):
        return _outside(src, pos, what)
    try:  # the resolved path, and no symlink swapped in as its last part since
        descriptor = os.open(resolved, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return m.Problem(pos, "error", f"{what} file {src!r} does not exist.",
                         "Check the file name; paths are relative to the article file.")
    if not _inside(_opened_path(descriptor, resolved), folders):  # a folder on the way swapped for a symlink
        os.close(descriptor)
        return _outside(src, pos, what)
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # a folder, a pipe, a device: nothing to read
        os.close(descriptor)
        return m.Problem(pos, "error", f"{what} {src!r} is not a file.", "Link an image file (JPEG, PNG or GIF).")
    with os.fdopen(descriptor, "rb") as handle:
        return _read(handle, src, pos, what)


def _inside(path: Path, folders: Iterable[str]) -> bool:
    return any(path.is_relative_to(Path(folder).resolve()) for folder in folders)


def _opened_path(descriptor: int, fallback: Path) -> Path:
    """Where the open file really is (Linux's /proc names it), whatever was swapped in on the way to it."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{descriptor}"))
    except OSError:  # no /proc (not Linux): the check before opening stands alone
        return fallback


def _outside(src: str, pos: m.Pos | None, what: str) -> m.Problem:
    """One answer for every file outside the allowed folders, whether or not it exists."""
    return m.Problem(pos, "error", f"{what} {src!r} is not in the articles folder or the assets folder, so it cannot "
                     "be shown.", "Save the image in the articles folder (next to the article) or in the assets "
                     "folder, and link it by its name there.")


def _read(handle, src: str, pos: m.Pos | None, what: str) -> ImageFile | m.Problem:
    size = os.fstat(handle.fileno()).st_size
    if size == 0 or size > MATERIAL_IMAGE_MAX_BYTES:
        return check_image_data(b"x" * 8 if size else b"", src, pos, what, size)
    head = handle.read(8)
    if image_kind(head) is None:
        return not_an_image(src, pos, what)
    return check_image_data(head + handle.read(MATERIAL_IMAGE_MAX_BYTES), src, pos, what)


def check_image_data(data: bytes, src: str, pos: m.Pos | None = None, what: str = "image",
                     size: int | None = None) -> ImageFile | m.Problem:
    """``data`` as an image an article may show (not empty, at most WeChat's 10 MB, a JPEG, PNG or GIF by its first
    bytes), or the problem that refuses it: for a file read from disk and for an image an import is about to write.

    :param size: the file's size, when ``data`` is only its beginning."""
    size = len(data) if size is None else size
    if size == 0:
        return m.Problem(pos, "error", f"{what} {src!r} is an empty file.", "Save the image again.")
    if size > MATERIAL_IMAGE_MAX_BYTES:
        return m.Problem(pos, "error", f"{what} {src!r} is {size / 1048576:.1f} MB; WeChat takes at most "
                         f"{MATERIAL_IMAGE_MAX_BYTES // 1048576} MB.", "Export it smaller (e.g. 1600 px wide JPEG).")
    kind = image_kind(data[:8])
    if kind is None:
        return not_an_image(src, pos, what)
    return ImageFile(data, kind)


def image_kind(data: bytes) -> str | None:
    """JPEG, PNG or GIF, as the first bytes of ``data`` say; None for anything else."""
    return next((name for magic, name in ACCEPTED_TYPES if data.startswith(magic)), None)


def not_an_image(src: str, pos: m.Pos | None = None, what: str = "image") -> m.Problem:
    return m.Problem(pos, "error", f"{what} {src!r} cannot be read as an image: it is not a JPEG, PNG or GIF file.",
                     "Save it again as JPEG or PNG.")
