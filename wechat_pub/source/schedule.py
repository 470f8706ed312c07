"""The schedule lives in the articles: ``publish_at`` in each front matter. `schedule add/move/cancel`
edit that one line (the rest of the file is left exactly as it was); the scheduler reads it back."""

from __future__ import annotations

import re

from wechat_pub.errors import ArticleError, WechatPubError
from wechat_pub.source.frontmatter import parse_publish_time


def publish_at_text(moment) -> str:
    """A publish time as the front matter writes it: ``2027-03-02 09:00 +08:00`` (seconds only when it has some)."""
    shown = moment.strftime("%Y-%m-%d %H:%M:%S %z" if moment.second else "%Y-%m-%d %H:%M %z")
    return f"{shown[:-2]}:{shown[-2:]}"


def set_publish_at(path: str, when: str | None, timezone: str) -> str | None:
    """Write (or, with None, remove) the article's publish_at line; return the normalised time."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise ArticleError(f"Cannot read {path}: {exc.strerror}.", "Check the file name.") from None
    text, normalised = with_publish_at(text, when, timezone, path)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return normalised


def with_publish_at(text: str, when: str | None, timezone: str, path: str = "the article") -> tuple[str, str | None]:
    """(``text`` with its publish_at line set, or removed with None; the normalised time)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ArticleError(f"{path} has no front matter.", "Run `wechat-pub check` on it first.")
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if end is None:
        raise ArticleError(f"{path}: the front matter is not closed.", "Run `wechat-pub check` on it first.")
    normalised = None
    if when is not None:
        try:
            moment = parse_publish_time(when, timezone)
        except ValueError as exc:
            raise WechatPubError(f"--at {when!r}: {exc}.", 'Give a date and a time of day: --at "YYYY-MM-DD HH:MM", e.g. "2027-03-02 09:00"') from None
        normalised, shown = moment.isoformat(), publish_at_text(moment)
    head = [line for line in lines[1:end] if not re.match(r"^publish_at\s*:", line)]
    if normalised:
        head.append(f"publish_at: {shown}\n")
    return "".join([lines[0], *head, *lines[end:]]), normalised
