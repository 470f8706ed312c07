"""The editor's form, as the article file holds it: an issue's fields (number, date, titles, WeChat title, author,
digest, cover, publish time, deliver mode) and its import notes, read from the front matter, and written back into
it. The file keeps its format (docs/article-format.md): only the fields the team changed are rewritten, and every
other line, the body included, stays byte for byte. Checking the result is the product's own
(:func:`wechat_pub.preflight.check_file`); this module only says which field or body line a problem is on.
No Flask here: the views are :mod:`.editor`'s."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

import yaml

from wechat_pub.source.frontmatter import DELIVERIES, FrontMatterLoader, parse_publish_time  # noqa: F401 (DELIVERIES: the form's)
from wechat_pub.source.schedule import publish_at_text

# The form's fields, in the form's order: name -> the front-matter key it is written to
FIELDS = ("issue", "date", "title_zh", "title_en", "wechat_title", "author", "digest", "cover", "publish_at",
          "deliver")
# the front-matter keys the form writes; the others are shown as text ("more fields")
FORM_KEYS = {"issue", "date", "title", "wechat_title", "author", "digest", "cover", "publish_at", "deliver",
             "import_notes"}
KEY_LINE = re.compile(r"([A-Za-z_]\w*)\s*:")  # a front-matter key at the start of a line


@dataclass
class Article:
    """An article file cut where the form and the body editor meet."""

    head: list[str]  # the front matter's lines, between the two '---' lines (each with its line end)
    body: str  # everything after the closing '---' line, as it is
    opened: bool  # whether the text had a front-matter block (else the whole text is the body)

    @property
    def body_line(self) -> int:
        """The file's line number (1-based) of the body's first line."""
        return len(self.head) + 3 if self.opened else 1


def cut(text: str) -> Article:
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() in ("---", "..."):
                return Article(lines[1:index], "".join(lines[index + 1:]), True)
    return Article([], text, False)


def blocks(head: list[str]) -> dict[str, tuple[int, int]]:
    """Each key of the front matter -> the lines it spans in ``head`` (start, end): its line and the indented or
    list lines under it."""
    found: dict[str, tuple[int, int]] = {}
    key = None
    for index, line in enumerate(head):
        match = KEY_LINE.match(line)
        if match:
            key = match.group(1)
            found.setdefault(key, (index, index + 1))
        elif key is not None and found[key][1] == index:
            found[key] = (found[key][0], index + 1)
    return found


def read_data(head: list[str]) -> dict:
    """The front matter's values, or {} when it is not readable (the check says why, at its line)."""
    try:
        data = yaml.load("".join(head), Loader=FrontMatterLoader)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def form_values(text: str, timezone: str) -> dict[str, str]:
    """What the form shows for ``text``: each field as text (empty when the file has none)."""
    data = read_data(cut(text).head)
    title = data.get("title") if isinstance(data.get("title"), dict) else {}
    values = {name: _text(data.get(name)) for name in FIELDS}
    values.update(title_zh=_text(title.get("zh")), title_en=_text(title.get("en")),
                  publish_at=_local_time(data.get("publish_at"), timezone))
    return values


def more_fields(text: str) -> str:
    """The front matter's lines of the keys the form has no field for (source_url, comments, ...), as they are."""
    head = cut(text).head
    return "".join("".join(head[start:end]) for key, (start, end) in blocks(head).items() if key not in FORM_KEYS)


def import_notes(text: str) -> list[str]:
    notes = read_data(cut(text).head).get("import_notes")
    return [str(note) for note in notes] if isinstance(notes, list) else []


def compose(base: str, form, body: str, done_notes: set[int], timezone: str) -> str:
    """The article file for the form: ``base`` (the text the form was filled from) with the fields the form
    changed rewritten, the import notes ticked off removed, and ``body`` after the front matter."""
    head = list(cut(base).head)
    more = form.get("more")
    if more is not None and _lines(more) != _lines(more_fields(base)):
        head = _without_more(head) + _lines(more).splitlines(keepends=True)
    before = form_values(base, timezone)
    posted = {name: one_line(form.get(name, "")) for name in FIELDS}
    changed = {name: value for name, value in posted.items() if value != before[name]}
    if "title_zh" in changed or "title_en" in changed:
        title = {"zh": posted["title_zh"], "en": posted["title_en"]}
        head = _replace(head, "title", {k: v for k, v in title.items() if v} or None)
    for name in changed.keys() - {"title_zh", "title_en"}:
        head = _replace(head, name, _value(name, changed[name], timezone))
    notes = import_notes(base)
    if done_notes & set(range(len(notes))):
        head = _replace(head, "import_notes", [n for i, n in enumerate(notes) if i not in done_notes] or None)
    return "---\n" + "".join(head) + "---\n" + body.replace("\r\n", "\n")


def one_line(value) -> str:
    """A field's value: one line (the format's fields are; a line break posted in one, or a '---' on a line of its
    own, would end the front matter early)."""
    return " ".join(part.strip() for part in str(value).splitlines() if part.strip())  # every break splitlines knows


def _lines(text: str) -> str:
    """The "more fields" text as front-matter lines: a '---' or '...' line (the block's end) is left out."""
    text = "\n".join(line for line in str(text).splitlines()
                     if line.strip() not in ("---", "...")).strip("\n")
    return text + "\n" if text else ""


def _without_more(head: list[str]) -> list[str]:
    spans = sorted((span for key, span in blocks(head).items() if key not in FORM_KEYS), reverse=True)
    for start, end in spans:
        head = head[:start] + head[end:]
    return head


def _replace(head: list[str], key: str, value) -> list[str]:
    """``head`` with ``key``'s lines replaced by ``value`` written as YAML (removed for None); a new key goes last."""
    lines = [] if value is None else _dump(key, value)
    span = blocks(head).get(key)
    if span is None:
        if head and not head[-1].endswith("\n"):
            head = [*head[:-1], head[-1] + "\n"]
        return head + lines
    return head[:span[0]] + lines + head[span[1]:]


def _dump(key: str, value) -> list[str]:
    if key == "publish_at" and isinstance(value, dt.datetime):
        return [f"publish_at: {publish_at_text(value)}\n"]
    return yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=1000).splitlines(keepends=True)


def _value(name: str, text: str, timezone: str):
    """A form field's text as the front matter keeps it (None: remove the key). What cannot be read is written as
    it is, for the check to name at its line."""
    if not text:
        return None
    if name == "issue" and text.isascii() and text.isdigit():
        return int(text)
    if name == "publish_at":
        try:
            return parse_publish_time(text, timezone)
        except (ValueError, OverflowError):  # e.g. year 1 at +14:00: no instant Python can hold
            return text
    return text


def _text(value) -> str:
    return "" if value is None or isinstance(value, (dict, list)) else str(value).strip()


def _local_time(value, timezone: str) -> str:
    """A publish time as a datetime-local field takes it, in the publisher's zone."""
    if value in (None, ""):
        return ""
    try:
        moment = parse_publish_time(value, timezone).astimezone(zoneinfo.ZoneInfo(timezone))
    except (ValueError, OverflowError):
        return str(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" if moment.second else "%Y-%m-%dT%H:%M")


def locate(problems, text: str) -> list[dict]:
    """``check``'s problems for the page: each with the form field it is about (``field``) or the body line
    (``line``, counted in the body editor), its message, and its hint without references to files the team cannot
    open."""
    article = cut(text)
    spans = blocks(article.head)
    out = []
    for problem in problems:
        line = problem.pos.line if problem.pos and problem.pos.line else None
        field, body_line = _field_of(line, problem.message, spans), None
        if field is None and line and line >= article.body_line:
            body_line = line - article.body_line + 1
        out.append({"field": field, "line": body_line, "severity": problem.severity, "message": problem.message,
                    "hint": re.sub(r"\s*See docs/[\w./-]+[^.]*\.", "", problem.hint or "").strip()})
    return out


def _field_of(line: int | None, message: str, spans: dict[str, tuple[int, int]]) -> str | None:
    """The form field a problem is about: by the front-matter line it is on, else by the key its message names."""
    for key, (start, end) in spans.items():
        if line is not None and start + 2 <= line < end + 2:  # the head starts on the file's line 2
            return _field_name(key, message)
    wechat = re.match(r"the WeChat (title|author|digest) ", message)  # (check's words for the fields WeChat limits)
    if wechat:
        return "wechat_title" if wechat.group(1) == "title" else wechat.group(1)
    named = re.search(r"'(issue|date|title)'", message)
    return _field_name(named.group(1), message) if named else None


def _field_name(key: str, message: str) -> str:
    if key == "title":
        return "title_en" if "'en'" in message and "'zh'" not in message else "title_zh"
    if key == "import_notes":
        return "notes"
    return key if key in FIELDS else "more"
