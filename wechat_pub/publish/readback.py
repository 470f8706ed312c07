"""What WeChat kept of what we sent: after every draft/add and draft/update the draft is read back (draft/get)
and compared with the articles sent, both normalised (attribute order, spacing in styles, our push marker), so
a push can say what WeChat's editor stripped or rewrote (reference/wechat-html.md) instead of followers finding
out. The same read-back, hashed, lets the next push notice edits made in WeChat's draft editor."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter

_SPACE = re.compile(r"\s+")
OUR_ATTRIBUTES = ("data-wechat-pub",)


def wechat_digest(news_item: list[dict]) -> str:
    """A fingerprint of a draft as WeChat holds it (titles and contents): it changes when anyone edits it."""
    parts = [(a.get("title", ""), a.get("author", ""), a.get("digest", ""), a.get("content", "")) for a in news_item]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def edited_in_wechat(pushed_digest: str, news_item: list[dict]) -> bool:
    """Whether the draft changed since our last push, which left it with ``pushed_digest`` ('' when unknown)."""
    return bool(pushed_digest) and wechat_digest(news_item) != pushed_digest


def differences(sent: list[dict], kept: list[dict]) -> list[str]:
    """What WeChat changed, article by article, in words a person can act on (empty: it kept everything)."""
    found = []
    if len(sent) != len(kept):
        return [f"WeChat holds {len(kept)} article(s); {len(sent)} were sent"]
    for index, (ours, theirs) in enumerate(zip(sent, kept), start=1):
        for field in ("title", "author", "digest", "content_source_url"):
            if ours.get(field, "") != theirs.get(field, "") and (field != "digest" or ours.get(field)):
                found.append(f"article {index}: {field} {ours.get(field, '')!r} became {theirs.get(field, '')!r}")
        found += [f"article {index}: {change}" for change in content_changes(ours.get("content", ""),
                                                                                theirs.get("content", ""))]
    return found


def content_changes(sent: str, kept: str) -> list[str]:
    ours, theirs = _shape(sent), _shape(kept)
    changes = []
    for label, before, after in (("element", ours.tags, theirs.tags), ("attribute", ours.attributes,
                                                                        theirs.attributes),
                                 ("style", ours.styles, theirs.styles)):
        for name, count in sorted((before - after).items()):
            changes.append(f"{count} {label}(s) {name} removed")
        for name, count in sorted((after - before).items()):
            changes.append(f"{count} {label}(s) {name} added")
    if ours.text != theirs.text:
        at = next((i for i, (a, b) in enumerate(zip(ours.text, theirs.text)) if a != b),
                  min(len(ours.text), len(theirs.text)))
        changes.append(f"text changed near {ours.text[max(0, at - 20):at + 20]!r} "
                       f"→ {theirs.text[max(0, at - 20):at + 20]!r}")
    return changes


class _Shape:
    def __init__(self, tags: Counter, attributes: Counter, styles: Counter, text: str):
        self.tags, self.attributes, self.styles, self.text = tags, attributes, styles, text


def _shape(html: str) -> _Shape:
    """Counts of tags, attributes and style declarations (name:value), and the visible text, normalised."""
    from bs4 import BeautifulSoup  # only when WeChat kept something other than what was sent

    soup = BeautifulSoup(html, "html.parser")
    tags, attributes, styles = Counter(), Counter(), Counter()
    for tag in soup.find_all(True):
        tags[f"<{tag.name}>"] += 1
        for name, value in tag.attrs.items():
            if name in OUR_ATTRIBUTES:
                continue
            if name == "style":
                for declaration in str(value).split(";"):
                    prop, _, setting = declaration.partition(":")
                    if prop.strip():
                        styles[f"{prop.strip().lower()}:{_SPACE.sub(' ', setting.strip().lower())}"] += 1
            else:
                attributes[f"{tag.name}[{name}]"] += 1
    text = _SPACE.sub(" ", soup.get_text(" ")).strip()
    return _Shape(tags, attributes, styles, text)
