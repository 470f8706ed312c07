"""What a PDF would cost to read, found before it is opened: the size its packed streams unpack to (pdfminer
undoes a stream's filters whole, with no limit: a few hundred KB of PDF can unpack to gigabytes, and it reads the
cross-reference stream as it opens the file), and, once open, its page count from the page tree (pdfplumber
builds every page to count them). Pictures have their own budget (:mod:`wechat_pub.source.pdfimages`).

The streams are found in the file's bytes (``stream`` … ``endstream``, their dictionary before them), not through
a PDF parser: that is what would unpack them.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Iterator

STREAM_LIMIT = 64 * 1024 * 1024  # bytes one stream may unpack to: a page's text is KBs, a whole CJK font ~20 MB
TOTAL_LIMIT = 256 * 1024 * 1024  # all streams but pictures together
PIECE = 1024 * 1024  # bytes unpacked at a time: never more is held
_STREAM = re.compile(rb"\bstream\r?\n")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)")
_NAME = re.compile(rb"/([A-Za-z0-9]+)")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b")
_FLATE = {b"FlateDecode", b"Fl"}
_ASCII = {b"ASCIIHexDecode": base64.b16decode, b"AHx": base64.b16decode, b"ASCII85Decode": base64.a85decode,
          b"A85": base64.a85decode}


def declared_pages(doc) -> int | None:
    """The page count the document's page tree declares (None: it has no page tree, or one without a count; then
    pdfminer would take every page object in the file for a page, building them all to count them)."""
    from pdfminer.pdftypes import resolve1

    try:
        count = resolve1(resolve1(doc.catalog.get("Pages")).get("Count"))
    except Exception:  # (no tree, or a damaged one)
        return None
    return count if isinstance(count, int) else None


def unpacked_sizes(data: bytes) -> tuple[int, int]:
    """(the largest one stream of the PDF ``data`` unpacks to, all of them together), pictures aside; each counted
    only up to the limits, a piece at a time."""
    largest = total = 0
    for dictionary, raw in _streams(data):
        named = _FILTER.search(dictionary)
        filters = _NAME.findall(named.group(1)) if named else []
        if _IMAGE.search(dictionary) or not any(name in _FLATE for name in filters):
            continue
        size = _unpacked(raw, filters, min(STREAM_LIMIT, TOTAL_LIMIT - total))
        largest, total = max(largest, size), total + size
        if largest > STREAM_LIMIT or total > TOTAL_LIMIT:
            break
    return largest, total


def _streams(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(its dictionary, its raw bytes) of each stream in the file."""
    at = 0
    while (found := _STREAM.search(data, at)) is not None:
        start = found.end()
        end = data.find(b"endstream", start)
        end = len(data) if end < 0 else end
        head = data[max(0, found.start() - 4096):found.start()]
        yield head[head.rfind(b"obj") + 3:] if b"obj" in head else head, data[start:end]
        at = end


def _unpacked(raw: bytes, filters: list[bytes], limit: int) -> int:
    """What ``raw`` unpacks to through ``filters`` (ASCII ones undone whole: they shrink; Flate a piece at a time),
    counted up to just past ``limit``; filters other than those end the count where they stand."""
    pieces: Iterator[bytes] = iter([raw])
    for name in filters:
        if name in _ASCII:
            pieces = _ascii(pieces, _ASCII[name])
        elif name in _FLATE:
            pieces = _inflated(pieces)
        else:
            break
    size = 0
    try:
        for piece in pieces:
            size += len(piece)
            if size > limit:
                break
    except (zlib.error, binascii.Error, ValueError):
        pass  # (damaged: pdfplumber's own reading says so)
    return size


def _ascii(pieces: Iterator[bytes], decode) -> Iterator[bytes]:
    text = re.sub(rb"\s+", b"", b"".join(pieces))
    yield decode(text.removesuffix(b">").removesuffix(b"~"), **({"adobe": False} if decode is base64.a85decode
                                                                  else {"casefold": True}))


def _inflated(pieces: Iterator[bytes]) -> Iterator[bytes]:
    unpacker = zlib.decompressobj()
    for piece in pieces:
        data = piece
        while data and not unpacker.eof:  # (what follows the end, a line break before endstream, is not fed again)
            out = unpacker.decompress(data, PIECE)
            if out:
                yield out
            data = unpacker.unconsumed_tail
