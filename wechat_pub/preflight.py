"""Preflight: everything WeChat would reject or mangle, found before anything is sent.

``check_file`` parses an article, renders it (splitting it when it is too large), and reports
problems with ``file:line`` where there is one: field limits, missing translations and sources,
images, the split, and an audit of the HTML for anything WeChat strips.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from wechat_pub import model as m
from wechat_pub.limits import DOCUMENTED, REPORTED, SOURCE_URL_MAX_BYTES, UPLOADIMG_MAX_BYTES, FieldLimit, length_of
from wechat_pub.render.audit import audit_tree
from wechat_pub.render.darkmode import PER_HTML, Reading, describe, examine_tree
from wechat_pub.render.htmltree import parse_fragment
from wechat_pub.render.options import RenderOptions
from wechat_pub.render.split import RenderResult, render_issue
from wechat_pub.source.article import read_article
from wechat_pub.source.frontmatter import field_line
from wechat_pub.source.images import image_folders, open_image
from wechat_pub.source.tidy import chinese_lines
from wechat_pub.typography import chinese_problems

UPLOAD_FORMATS = {"JPEG", "PNG"}


@dataclass
class Report:
    """What ``check`` found for one article file."""

    path: str
    issue: m.Issue | None = None
    rendered: RenderResult | None = None
    problems: list[m.Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[m.Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[m.Problem]:
        return [p for p in self.problems if p.severity == "warning"]


def check_file(path: str, options: RenderOptions, timezone: str = "Asia/Shanghai",
               now: dt.datetime | None = None, measured: dict[str, FieldLimit] | None = None) -> Report:
    """``measured``: the account's own field limits (``doctor --limits``); without them the documented limits
    are errors and the reported ones warnings."""
    parsed = read_article(path, timezone)
    report = Report(path, parsed.issue, problems=list(parsed.problems))
    if parsed.issue is None or parsed.errors:
        return report  # rendering a broken issue would only repeat the same problems
    report.rendered = render_issue(parsed.issue, options)
    report.problems.extend(check_issue(parsed.issue, report.rendered, now, options.image_folders, measured))
    report.problems.extend(check_typography(path))
    report.problems.extend(check_contrast(report.rendered, options))
    report.problems.extend(check_publisher(options))
    report.problems.sort(key=lambda p: (p.pos.line or 0) if p.pos else 0)
    return report


def check_issue(issue: m.Issue, rendered: RenderResult, now: dt.datetime | None = None,
                folders: tuple[str, ...] = (), measured: dict[str, FieldLimit] | None = None) -> list[m.Problem]:
    problems = list(rendered.problems)
    problems += check_fields(issue, rendered, measured or {})
    problems += check_items(issue)
    problems += check_images(issue, folders)
    for article in rendered.articles:
        for finding in html_findings(article.content).audit:
            problems.append(m.Problem(m.Pos(issue.path), "error", f"article {article.part.index}: {finding}",
                                      "This is a wechat-pub bug; please report it with the article file."))
    if issue.import_notes:
        problems.append(_at(issue, "import_notes", "warning",
                            f"{len(issue.import_notes)} import note(s) are still in the front matter.",
                            "Review each line (add what belongs to the issue), then delete 'import_notes'."))
    if issue.publish_at and now and dt.datetime.fromisoformat(issue.publish_at) < now:
        problems.append(_at(issue, "publish_at", "warning", f"publish_at {issue.publish_at} is in the past.",
                            "It will not be scheduled; set a future time or push it by hand."))
    return problems


def check_typography(path: str) -> list[m.Problem]:
    """ASCII punctuation in Chinese lines (其中,4起 · "暗网" · (试行)): a warning per line, fixable with --fix."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().split("\n")
    except OSError:
        return []
    problems = []
    for number, line in chinese_lines(lines):
        found = _punctuation_in(line)
        if found:
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            problems.append(m.Problem(m.Pos(path, number), "warning",
                                      f"ASCII punctuation in Chinese text: {found[0]}{more}.",
                                      "Run `wechat-pub check --fix` to make it full-width (or edit it by hand)."))
    return problems


# The editor's live preview checks every line after each pause in typing, though the author changed one: what a
# line has is kept by the line (it depends on nothing else, so a kept one is never stale).
@lru_cache(maxsize=1024)
def _punctuation_in(line: str) -> tuple[str, ...]:
    return tuple(chinese_problems(line))


def check_contrast(rendered: RenderResult, options: RenderOptions) -> list[m.Problem]:
    """Colours that WeChat's reader would show under 4.5:1, light or after its dark mode, and light boxes left
    on its dark page: one error per colour pair, with an example."""
    found: dict[tuple, list] = {}
    for article in rendered.articles:
        findings = html_findings(article.content)
        for mode, reading in findings.low_contrast:
            found.setdefault((mode, reading.colour, reading.background), []).append(reading)
        for box in findings.light_boxes:
            found.setdefault(("box", box), []).append(box)
    theme = options.theme
    hint = (f"The colours come from theme {theme.name!r} with accent {theme.accent}: pick a mid-dark accent "
            "(theme.accent in config.toml), or leave it empty for the theme's own.")
    problems = []
    for key, readings in found.items():
        if key[0] == "box":
            message = f"in WeChat's dark mode a light box stays on the dark page: {key[1]}"
        else:
            times = f" ({len(readings)} places)" if len(readings) > 1 else ""
            message = f"unreadable in WeChat's {describe(key[0], readings[0])}{times}"
        problems.append(m.Problem(None, "error", message, hint))
    return problems


@dataclass(frozen=True)
class HtmlFindings:
    """What ``check`` reads in one article's HTML: the audit's findings, the texts under 4.5:1 in WeChat's
    light or dark mode (mode, reading), and the light boxes left on its dark page."""

    audit: tuple[str, ...]
    low_contrast: tuple[tuple[str, Reading], ...]
    light_boxes: tuple[str, ...]


# The editor's live preview checks every article of the issue after each pause in typing, though the author
# changed one: the findings are kept by the article's HTML (they depend on nothing else, so a kept one is never
# stale), and the audit and the contrast check read one parse of it (parsing is most of the cost of either).
@lru_cache(maxsize=PER_HTML)
def html_findings(html: str) -> HtmlFindings:
    tree = parse_fragment(html)
    return HtmlFindings(tuple(audit_tree(tree)), *examine_tree(tree))


def check_publisher(options: RenderOptions) -> list[m.Problem]:
    qr_code = options.publisher.qr_code
    if not qr_code:
        return []
    # the setting names the file (whoever edits config.toml chooses it); it is read through the same gate
    return [replace(problem, message=f"publisher.qr_code: {problem.message}",
                    hint="Set publisher.qr_code in config.toml to the account's QR code image (PNG or JPEG).")
            for problem in check_image(qr_code, qr_code, None, image_folders(qr_code))]


FIELD_HINTS = {"title": "Set a shorter 'wechat_title:' in the front matter.",
               "author": "Shorten 'author:' (or publisher.author).", "digest": "Shorten 'digest:'."}


def field_limit_problem(name: str, text: str, measured: dict[str, FieldLimit]) -> tuple[str, str] | None:
    """(severity, message) when ``text`` is too long for field ``name``: the account's measured limit decides
    when there is one (an error); else the documented limit is an error and the reported one a warning."""
    shown = f"the WeChat {name} {text!r} has {length_of(text)}"
    if name in measured:
        if not measured[name].fits(text):
            return "error", f"{shown}; this account takes {measured[name].describe()} (measured by doctor --limits)."
        return None
    if not DOCUMENTED[name].fits(text):
        return "error", f"{shown}; WeChat's documentation allows {DOCUMENTED[name].describe()}."
    if not REPORTED[name].fits(text):
        return "warning", (f"{shown}; accounts have reported WeChat refusing more than {REPORTED[name].describe()} "
                           "(run `wechat-pub doctor --limits` to measure this account's).")
    return None


def check_fields(issue: m.Issue, rendered: RenderResult, measured: dict[str, FieldLimit] | None = None
                 ) -> list[m.Problem]:
    measured = measured or {}
    problems = []
    title_key = "wechat_title" if issue.wechat_title else "title"
    author = rendered.articles[0].author if rendered.articles else issue.author
    fields = [("title", title_key, article.title) for article in rendered.articles]
    fields += [("author", "author", author), ("digest", "digest", issue.digest)]
    for name, key, text in fields:
        found = field_limit_problem(name, text, measured)
        if found:
            problems.append(_at(issue, key, found[0], found[1], FIELD_HINTS[name]))
    if issue.digest and len(rendered.articles) > 1:
        problems.append(_at(issue, "digest", "warning", "WeChat shows no digest for a multi-article draft.",
                            "The digest is kept in the file but not sent."))
    if issue.source_url:
        if len(issue.source_url.encode()) > SOURCE_URL_MAX_BYTES:
            problems.append(_at(issue, "source_url", "error",
                                f"source_url is {len(issue.source_url.encode())} bytes; WeChat allows "
                                f"{SOURCE_URL_MAX_BYTES}.", "Use a shorter link."))
        if not re.match(r"^https?://\S+$", issue.source_url):
            problems.append(_at(issue, "source_url", "error", f"source_url {issue.source_url!r} is not a web link.",
                                "Write a full link starting with https://."))
    return problems


def check_items(issue: m.Issue) -> list[m.Problem]:
    problems = []
    for item in issue.items:
        name = item.headline.zh or item.headline.en
        if not item.sources:
            problems.append(m.Problem(item.pos, "warning", f"item {name!r} has no source link.",
                                      "Add a line 'Source: [name](https://…)' at the end of the item."))
        for source in item.sources:
            if not re.match(r"^https?://\S+$", source.url):
                problems.append(m.Problem(item.pos, "error", f"source {source.url!r} of {name!r} is not a web link.",
                                          "Write a full link starting with https://."))
    return problems


def check_images(issue: m.Issue, folders: tuple[str, ...] = ()) -> list[m.Problem]:
    """Every image and the cover, read through :func:`~wechat_pub.source.images.open_image`; ``folders``: the
    account's articles and assets folders (the render options' ``image_folders``)."""
    problems = []
    allowed = image_folders(issue.path, folders)
    images = [node for item in issue.items for body in (item.body_zh, item.body_en)
              for node in m.walk_inlines(body) if isinstance(node, m.Image)]
    for image in images:
        problems += check_image(image.path, image.src, image.pos, allowed)
    if issue.cover:
        remote = re.match(r"^https?://", issue.cover)
        shown = issue.cover if remote else os.path.relpath(issue.cover, os.path.dirname(os.path.abspath(issue.path)))
        problems += check_image(None if remote else issue.cover, shown, _at_pos(issue, "cover"), allowed, cover=True)
    return problems


def image_errors(issue: m.Issue, options: RenderOptions) -> tuple[str, ...]:
    """The errors of the images ``issue`` shows (missing, unreadable, not allowed), as a row's problems are
    written ("line: message"): its text may be fine while a push of it cannot be."""
    return tuple(f"{p.pos.line if p.pos and p.pos.line else '-'}: {p.message}"
                 for p in check_images(issue, options.image_folders) if p.severity == "error")


def check_image(path: str | None, src: str, pos: m.Pos | None, folders: tuple[str, ...],
                cover: bool = False) -> list[m.Problem]:
    what = "cover" if cover else "image"
    if path is None:
        if src.startswith("https://mmbiz.qpic.cn/") or src.startswith("http://mmbiz.qpic.cn/"):
            return []
        return [m.Problem(pos, "warning", f"{what} {src!r} is on another site; it is downloaded when pushed.",
                          "Save it next to the article to check it now and to keep the issue self-contained.")]
    opened = open_image(path, src, folders, pos, what)
    if isinstance(opened, m.Problem):
        return [opened]
    from PIL import Image as PILImage  # (only for an issue with images of its own)
    from PIL import UnidentifiedImageError

    try:
        with PILImage.open(io.BytesIO(opened.data)) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        return [m.Problem(pos, "error", f"{what} {src!r} cannot be read as an image ({exc}).",
                          "Save it again as JPEG or PNG.")]
    size = len(opened.data)
    if not cover and (opened.kind not in UPLOAD_FORMATS or size >= UPLOADIMG_MAX_BYTES):
        why = f"{opened.kind}" if opened.kind not in UPLOAD_FORMATS else f"{size / 1048576:.1f} MB"
        return [m.Problem(pos, "warning", f"image {src!r} ({why}) is re-encoded as JPEG/PNG under 1 MB when "
                          "pushed (WeChat's limit for article images).", "Nothing to do, unless quality matters.")]
    return []


def _at_pos(issue: m.Issue, key: str) -> m.Pos:
    try:
        with open(issue.path, encoding="utf-8") as handle:
            lines = handle.read().splitlines(keepends=True)
    except OSError:
        return m.Pos(issue.path)
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), len(lines))
    return m.Pos(issue.path, field_line("".join(lines[:end]), key))


def _at(issue: m.Issue, key: str, severity, message: str, hint: str = "") -> m.Problem:
    return m.Problem(_at_pos(issue, key), severity, message, hint)
