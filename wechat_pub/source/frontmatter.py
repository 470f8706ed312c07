"""The front-matter block of an article: split it off, read it as YAML, check every field."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

import yaml

from wechat_pub.limits import MAX_ISSUE_NUMBER
from wechat_pub.model import Bilingual, Pos, Problem

FIELDS = {
    "issue": "issue number (integer), e.g. issue: 135",
    "date": "issue date, YYYY-MM-DD or YYYY-MM, e.g. date: 2020-04-20",
    "title": "bilingual title: a 'zh:' and an 'en:' line indented under 'title:'",
    "wechat_title": "title shown in WeChat (at most 32 characters); default: Chinese title + issue number",
    "author": "author shown in WeChat (at most 16 characters)",
    "digest": "summary shown in the feed (at most 128 characters)",
    "cover": "cover image file (relative to the article) or URL",
    "publish_at": "when to publish, e.g. 2026-12-02 09:00 (config time zone) or 2026-12-02 09:00 +08:00",
    "source_url": "'read the original' link (at most 1 KB)",
    "comments": "off (default), all, or fans",
    "deliver": "what happens at publish_at: draft (the draft box), publish (no follower is told) or send (to the "
               "followers); default: the account's schedule.deliver",
    "send_to_tag": "with deliver: send, the tag id of the followers it goes to; default: everyone",
    "import_notes": "lines the importer could not place; review them and delete this field",
}

DELIVERIES = ("draft", "publish", "send")
_DATE = re.compile(r"\d{4}-\d{2}(-\d{2})?")


@dataclass
class FrontMatter:
    data: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    body_line: int = 0  # 0-based line in the file where the body starts


def split_front_matter(text: str, path: str, problems: list[Problem]) -> FrontMatter:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(Pos(path, 1), "error", "the article does not start with a front-matter block.",
                                "Start the file with a line '---', the issue fields (issue:, date:, title:), "
                                "and another '---'. See docs/article-format.md."))
        return FrontMatter(body=text)
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return _load_yaml("".join(lines[1:index]), "".join(lines[index + 1:]), index + 1, path, problems)
    problems.append(Problem(Pos(path, 1), "error", "the front-matter block is not closed.",
                            "Add a line '---' after the last issue field."))
    return FrontMatter(body="")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when PyYAML has it: 10x faster
    """Safe YAML that keeps dates and times as text: the fields are checked by our own rules,
    and an impossible date ('2026-13-40') is a message, not a crash."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in _Loader.yaml_implicit_resolvers.items()
}

FrontMatterLoader = _Loader  # the same reading for the console's form (wechat_pub/console/article_form.py)


def _load_yaml(block: str, body: str, body_line: int, path: str, problems: list[Problem]) -> FrontMatter:
    try:
        _refuse_aliases(block)
        data = yaml.load(block, Loader=_Loader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        what = getattr(exc, "problem", None) or "invalid YAML"
        problems.append(Problem(Pos(path, line), "error", f"front matter: {what}.",
                                "Write one 'field: value' per line; quote values that contain ': ' or start "
                                "with a special character."))
        return FrontMatter(body=body, body_line=body_line)
    if not isinstance(data, dict):
        problems.append(Problem(Pos(path, 2), "error", "front matter must be 'field: value' lines.",
                                "See docs/article-format.md for the fields."))
        return FrontMatter(body=body, body_line=body_line)
    return FrontMatter(data, body, body_line)


def _refuse_aliases(block: str) -> None:
    """No YAML aliases (``*name``) in front matter: nothing in the format needs one, and nested ones multiply a few
    lines into gigabytes when the value is read (a "billion laughs")."""
    if "*" not in block:
        return  # no alias without its asterisk (the events are read only when one may be there)
    for event in yaml.parse(block, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.MarkedYAMLError(problem="an alias (*name) is not allowed here",
                                       problem_mark=event.start_mark)


def field_line(block_text: str, key: str) -> int | None:
    match = re.search(rf"^{re.escape(key)}\s*:", block_text, re.M)
    return block_text.count("\n", 0, match.start()) + 1 if match else None


class FieldReader:
    """Reads and checks front-matter fields, reporting each problem at the field's line."""

    def __init__(self, fm: FrontMatter, text: str, path: str, timezone: str, problems: list[Problem]):
        self.data = fm.data
        self.text = text
        self.path = path
        self.timezone = timezone
        self.problems = problems

    def pos(self, key: str) -> Pos:
        return Pos(self.path, field_line(self.text, key) or 1)

    def error(self, key: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.pos(key), "error", message, hint or FIELDS.get(key, "")))

    def check_unknown(self) -> None:
        for key in self.data:
            if key not in FIELDS:
                close = difflib.get_close_matches(str(key), FIELDS, n=1)
                hint = f"Did you mean {close[0]!r}?" if close else f"Known fields: {', '.join(FIELDS)}."
                self.problems.append(Problem(self.pos(str(key)), "error", f"unknown front-matter field {key!r}.",
                                             hint))

    def number(self) -> int:
        value = self.data.get("issue")
        if value is None:
            self.problems.append(Problem(Pos(self.path, 1), "error", "front matter has no 'issue' number.",
                                         "Add a line such as 'issue: 135'."))
            return 0
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ISSUE_NUMBER:
            self.error("issue", f"issue must be a positive whole number up to {MAX_ISSUE_NUMBER}, got {value!r}.")
            return 0
        return value

    def date(self) -> str:
        value = self.data.get("date")
        if value is None:
            self.problems.append(Problem(Pos(self.path, 1), "error", "front matter has no 'date'.",
                                         "Add a line such as 'date: 2020-04-20' (or 'date: 2020-04')."))
            return ""
        if isinstance(value, dt.date):
            return value.isoformat()
        text = str(value).strip().replace(".", "-").replace("/", "-")
        if _DATE.fullmatch(text) and _valid_date(text):
            return text
        self.error("date", f"date {value!r} is not YYYY-MM-DD or YYYY-MM.")
        return ""

    def title(self) -> Bilingual:
        value = self.data.get("title")
        if value is None:
            self.problems.append(Problem(Pos(self.path, 1), "error", "front matter has no 'title'.",
                                         FIELDS["title"]))
            return Bilingual()
        if isinstance(value, str):
            self.error("title", "title must give both languages.",
                       "Write\n      title:\n        zh: 中文标题\n        en: English title")
            return Bilingual(zh=value)
        if not isinstance(value, dict) or set(value) - {"zh", "en"}:
            self.error("title", f"title must have only 'zh' and 'en' entries, got {value!r}.")
            return Bilingual()
        return Bilingual(str(value.get("zh") or "").strip(), str(value.get("en") or "").strip())

    def text_field(self, key: str) -> str:
        value = self.data.get(key)
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            self.error(key, f"{key} must be a single line of text.")
            return ""
        return str(value).strip()

    def comments(self) -> tuple[bool, bool]:
        value = self.data.get("comments", "off")
        value = {False: "off", True: "all"}.get(value, value)
        if value not in ("off", "all", "fans"):
            self.error("comments", f"comments must be off, all or fans, got {value!r}.")
            return False, False
        return value != "off", value == "fans"

    def publish_at(self) -> str | None:
        value = self.data.get("publish_at")
        if value is None or value == "":
            return None
        try:
            return parse_publish_time(value, self.timezone).isoformat()
        except ValueError as exc:
            self.error("publish_at", f"publish_at {value!r}: {exc}.")
            return None

    def deliver(self) -> str:
        value = self.text_field("deliver").lower()
        if value and value not in DELIVERIES:
            self.error("deliver", f"deliver must be draft, publish or send, got {value[:40]!r}.",
                       "draft: into the draft box; publish: published without telling followers; send: to the "
                       "followers' chats (群发).")
            return ""
        return value

    def send_to_tag(self) -> str:
        value = self.text_field("send_to_tag")
        if value and not (value.isascii() and value.isdigit() and len(value) <= 10):
            self.error("send_to_tag", f"send_to_tag must be a tag id (a number), got {value[:40]!r}.",
                       "Copy the tag's id from mp.weixin.qq.com → 用户管理 → 标签, or remove the line (everyone).")
            return ""
        return value

    def import_notes(self) -> tuple[str, ...]:
        value = self.data.get("import_notes") or []
        if not isinstance(value, list):
            self.error("import_notes", "import_notes must be a list of lines.")
            return ()
        return tuple(str(v) for v in value)


def parse_publish_time(value: Any, timezone: str) -> dt.datetime:
    """A publish time from front matter or the command line, always time-zone aware.

    Accepts datetimes and strings like '2026-12-02 09:00', '2026-12-02T09:00+08:00' and
    '2026-12-02 09:00 Asia/Shanghai'; a time without a zone takes ``timezone``.
    """
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        raise ValueError("give a time of day too, e.g. 2026-12-02 09:00")
    else:
        text = str(value).strip()
        zone_name = None
        parts = text.rsplit(" ", 1)
        if len(parts) == 2 and "/" in parts[1]:
            text, zone_name = parts
        text = re.sub(r"\s+([+-]\d{2}:?\d{2}|Z)$", r"\1", text)
        try:
            moment = dt.datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            raise ValueError("use the form 2026-12-02 09:00, optionally followed by +08:00 or a zone name") from None
        if zone_name:
            if moment.tzinfo:
                raise ValueError("give either an offset or a zone name, not both")
            try:
                moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(zone_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {zone_name!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(timezone))
    return moment


def _valid_date(text: str) -> bool:
    parts = [int(p) for p in text.split("-")]
    try:
        dt.date(parts[0], parts[1], parts[2] if len(parts) == 3 else 1)
    except ValueError:
        return False
    return True
