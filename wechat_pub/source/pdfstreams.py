"""What a PDF would cost to read, found before it is read: its page count from the page tree (pdfplumber builds every
page to count them) and the size its packed streams unpack to (pdfminer inflates a stream whole, with no limit: a
few hundred KB of PDF can unpack to gigabytes). Pictures have their own budget (:mod:`wechat_pub.source.pdfimages`).
"""

from __future__ import annotations

import zlib

STREAM_LIMIT = 64 * 1024 * 1024  # bytes one stream may unpack to: a page's text is KBs, a whole CJK font ~20 MB
TOTAL_LIMIT = 256 * 1024 * 1024  # all streams but pictures together
_FLATE = ("FlateDecode", "Fl")


def declared_pages(doc) -> int | None:
    """The page count the document's page tree declares (None: it declares none that can be read)."""
    from pdfminer.pdftypes import resolve1

    try:
        count = resolve1(resolve1(doc.catalog.get("Pages")).get("Count"))
    except Exception:  # (a damaged tree: pdfplumber's own reading says what is wrong)
        return None
    return count if isinstance(count, int) else None


def unpacked_sizes(doc) -> tuple[int, int]:
    """(the largest one stream unpacks to, all of them together), pictures aside; each counted only up to the
    limits, in pieces of a MB, so that no more than that is ever held."""
    from pdfminer.pdftypes import PDFStream

    largest = total = 0
    for objid in _object_ids(doc):
        try:
            stream = doc.getobj(objid)
        except Exception:  # (a broken object: pdfplumber's own reading says what is wrong)
            continue
        if not isinstance(stream, PDFStream) or _is_picture(stream) or stream.rawdata is None:
            continue
        filters = [name for name, _params in _filters(stream)]
        if not filters or any(name not in _FLATE for name in filters):
            continue
        size = _inflated(stream.rawdata, min(STREAM_LIMIT, TOTAL_LIMIT - total))
        largest, total = max(largest, size), total + size
        if largest > STREAM_LIMIT or total > TOTAL_LIMIT:
            break
    return largest, total


def _object_ids(doc):
    seen = set()
    for xref in doc.xrefs:
        for objid in xref.get_objids():
            if objid not in seen:
                seen.add(objid)
                yield objid


def _filters(stream) -> list:
    try:
        return [(getattr(name, "name", str(name)), params) for name, params in stream.get_filters()]
    except Exception:
        return []


def _is_picture(stream) -> bool:
    subtype = stream.attrs.get("Subtype")
    return getattr(subtype, "name", subtype) == "Image"


def _inflated(raw: bytes, limit: int) -> int:
    """What ``raw`` unpacks to (its first layer of Flate), counted up to just past ``limit`` bytes a MB at a time
    (0: it does not unpack)."""
    unpacker, size, data = zlib.decompressobj(), 0, raw
    try:
        while data and size <= limit:
            size += len(unpacker.decompress(data, 1024 * 1024))
            data = unpacker.unconsumed_tail
    except zlib.error:
        return 0
    return size
