"""A line of the query log's spools (:mod:`wechat_pub.state.querylog`): how a query is written, and how a line
is read back. The spools are files on disk, so every line is checked as hostile input: one that is not a query
the database takes (a disk that filled up mid-line, a hand edit, a value too long for its column) is set aside
in a ``*.rejected`` file beside its spool for the operator, never moved and never lost.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from wechat_pub.state.schema import queries

log = logging.getLogger(__name__)

QUERY_CHARS = 500  # of a query, logged (the summaries' keys hold it whole: PostgreSQL indexes at most ~2.7 KB)
EARLIEST = 946_684_800  # 2000-01-01: no follower asked before (and a tiny time underflows PostgreSQL's day sums)
UNAVAILABLE = -1  # the matches of a query answered "search is unavailable" (bot/webhook.py): asked, not unanswered
_LINE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_FIELDS = ("entry_id", "appid", "at", "query", "matches", "follower")


def line_of(entry_id: str, row: tuple) -> bytes:
    """``row`` (appid, at, query, matches, follower) as a spool line: a JSON array, the entry's id first (arrays,
    not objects: half the work to write and to read back, a thousand times a second)."""
    return (_LINE.encode([entry_id, *row]) + "\n").encode("utf-8")


def rows_of(data: bytes) -> tuple[list[tuple], list[bytes]]:
    """(rows, lines that are not a query) of a spool's bytes. A line repeated is one row (the log would hold it
    once and its summaries count it twice); a line with the id of another is not a query."""
    rows, rejected, seen = [], [], {}
    for line in data.splitlines():
        if line.strip():
            row = _row(line)
            if row is None or (row[0] and seen.get(row[0], row) != row):  # (an id again, with another query)
                rejected.append(line)
            elif not row[0] or row[0] not in seen:
                seen[row[0]] = row
                rows.append(row)
    return rows, rejected


# The longest entry id, app id, query and follower the database takes (its columns, and the summaries' keys)
_MOST_CHARS = (queries.c.entry_id.type.length, queries.c.appid.type.length, QUERY_CHARS,
               queries.c.follower.type.length)


def _row(line: bytes) -> tuple | None:
    """A spool line's row, or None when it is not one (the one place that decides). A line is a JSON array, or
    an object as versions before 2026-11-30 wrote (a spool left by one of those is still moved after an
    upgrade): entry id, app id, time, query, matches, follower, each of its type and within what the database
    takes (a time after 2000: the summaries count days from 1970), so no line the database would refuse stops the
    batch it is in."""
    try:
        entry = json.loads(line)
        row = tuple(entry[name] for name in _FIELDS) if isinstance(entry, dict) else tuple(entry)
    except (ValueError, TypeError, KeyError, RecursionError):  # (UnicodeDecodeError is a ValueError)
        return None
    if len(row) != len(_FIELDS):
        return None
    entry_id, appid, at, query, matches, follower = row
    texts = (entry_id, appid, query, follower)
    fits = (all(isinstance(text, str) for text in texts)
            and all(len(text) <= most for text, most in zip(texts, _MOST_CHARS)) and _storable("".join(texts))
            and isinstance(at, (int, float)) and not isinstance(at, bool) and EARLIEST <= at < 1e11
            and isinstance(matches, int) and not isinstance(matches, bool) and UNAVAILABLE <= matches < 1 << 31)
    return row if fits else None


def _storable(text: str) -> bool:
    """Text both databases store: UTF-8 (no lone surrogate) without NUL (PostgreSQL refuses it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def folder_report(folder: Path) -> dict:
    """For the operator (``/healthz``): bytes of queries in the folder's spools, not yet in the database, and
    bytes of lines set aside there as not queries (``*.rejected``: to look at, then delete). Sizes only: the
    health check is asked every few seconds, and never reads a file."""
    return {"waiting_bytes": bytes_in(folder, "*.jsonl", "*.moving"), "set_aside_bytes": bytes_in(folder, "*.rejected")}


def bytes_in(folder: Path, *patterns: str, but: Path | None = None) -> int:
    """Bytes of the folder's files that match ``patterns`` (``but`` left out), from their sizes alone."""
    total = 0
    for pattern in patterns:
        for path in Path(folder).glob(pattern):
            if path != but:
                try:
                    total += path.stat().st_size
                except OSError:  # (moved meanwhile)
                    pass
    return total


def set_aside(path: Path, lines: list[bytes]) -> None:
    """Keep the lines that are not queries beside the spool, for the operator (nothing is thrown away)."""
    rejected = path.with_suffix(".rejected")
    with open(rejected, "ab") as out:
        out.write(b"".join(line + b"\n" for line in lines))
    log.warning("query log: %d line(s) of %s are not queries; set aside in %s", len(lines), path.name,
                rejected.name)
