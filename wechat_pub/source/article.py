"""Read an article file (front matter + Markdown) into an :class:`~wechat_pub.model.Issue`.

The format (docs/article-format.md): ``# 中文 | English`` starts a section, ``##`` lines are an
item's headlines (Chinese first, then English), the Chinese body follows, a ``---`` line, then the
English body, and a ``Source:`` line with the item's links. Parsing runs in two passes, as in
markdown-it: tokens first, then a walk that builds the issue and collects every problem with its
``file:line`` instead of stopping at the first.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from wechat_pub import model as m
from wechat_pub.errors import ArticleError
from wechat_pub.source.files import hash_text, read_text
from wechat_pub.source.frontmatter import FieldReader, split_front_matter
from wechat_pub.source.markdown import BlockBuilder, Node, parse_tree
from wechat_pub.text import guess_lang

SOURCE_PREFIX = re.compile(r"^\s*(sources?|来源|原文|出处)\s*[:：]\s*", re.I)
BARE_URL = re.compile(r"https?://[^\s<>\"'）)]+")
HEADING_SPLIT = re.compile(r"\s*[|｜]\s*")
HTTP_URL = re.compile(r"^https?://")
# The longest body read: more than a WeChat draft holds (8 articles of 20,000 characters), with room for the
# Markdown around it. Past it the body is not parsed (a text pasted by mistake, an import of a whole book): its
# split into parts, each naming the others, cost time and memory with the square of the text (3 MB: 190 s).
MAX_BODY_CHARS = 300_000


def read_article(path: str | os.PathLike, timezone: str = "Asia/Shanghai") -> m.ParseResult:
    """Parse the article at ``path``. Problems carry ``path:line``; nothing raises for bad input."""
    text, problem = read_text(path)
    if text is None:
        return m.ParseResult(None, (problem,))
    return parse_article(text, os.fspath(path), timezone)


def load_issue(path: str | os.PathLike, timezone: str = "Asia/Shanghai") -> m.Issue:
    """The issue in the article at ``path``; ArticleError listing every error when it has any."""
    result = read_article(path, timezone)
    if result.issue is None or result.errors:
        raise ArticleError(f"{os.fspath(path)} has {len(result.errors)} error(s):", "Fix them and run the command again.",
                           result.errors)
    return result.issue


def _readable(fm, path: str, problems: list[m.Problem]) -> bool:
    """Whether the body is short enough to read (else a problem that says so)."""
    if len(fm.body) <= MAX_BODY_CHARS:
        return True
    problems.append(m.Problem(m.Pos(path, fm.body_line + 1), "error",
                              f"the text is {len(fm.body):,} characters long; an issue holds at most "
                              f"{MAX_BODY_CHARS:,}.", "Split it into several issues, or remove what does not belong "
                                                      "to it (was a whole document pasted or imported?)."))
    return False


def parse_article(text: str, path: str = "<article>", timezone: str = "Asia/Shanghai",
                  text_sha256: str | None = None) -> m.ParseResult:
    """``text_sha256``: the text's hash when the caller knows it already (else it is worked out here)."""
    problems: list[m.Problem] = []
    sha = text_sha256 if text_sha256 is not None else hash_text(text)
    text = text.lstrip("\ufeff")
    fm = split_front_matter(text, path, problems)
    header_text = text[: len(text) - len(fm.body)] if fm.body_line else ""  # the lines before the body
    fields = FieldReader(fm, header_text, path, timezone, problems)
    fields.check_unknown()
    base_dir = os.path.dirname(os.path.abspath(path)) if path != "<article>" else os.getcwd()
    builder = BlockBuilder(path, fm.body_line, base_dir, problems)
    sections = _StructureWalker(builder).walk(parse_tree(fm.body)) if _readable(fm, path, problems) else []
    cover = fields.text_field("cover") or None
    if cover and not HTTP_URL.match(cover):
        cover = os.path.normpath(os.path.join(base_dir, cover))
    open_comment, fans_only = fields.comments()
    issue = m.Issue(
        number=fields.number(),
        date=fields.date(),
        title=fields.title(),
        sections=sections,
        author=fields.text_field("author"),
        digest=fields.text_field("digest"),
        cover=cover,
        publish_at=fields.publish_at(),
        deliver=fields.deliver(),
        send_to_tag=fields.send_to_tag(),
        source_url=fields.text_field("source_url"),
        wechat_title=fields.text_field("wechat_title"),
        open_comment=open_comment,
        fans_only_comment=fans_only,
        import_notes=fields.import_notes(),
        path=path,
        text_sha256=sha,
    )
    if not sections and not any(p.severity == "error" for p in problems):
        problems.append(m.Problem(m.Pos(path, fm.body_line + 1), "error", "the issue has no sections.",
                                  "Add a section heading such as '# 国内要闻 | Domestic News' and items under it."))
    problems.sort(key=lambda p: (p.pos.line or 0) if p.pos else 0)
    return m.ParseResult(issue, tuple(problems))


@dataclass
class _ItemDraft:
    """An item while it is being read."""

    headlines: list[tuple[str, m.Pos]] = field(default_factory=list)
    zh: list[m.Block] = field(default_factory=list)
    en: list[m.Block] = field(default_factory=list)
    unsplit: list[m.Block] = field(default_factory=list)  # body before any '---'
    sources: list[m.Source] = field(default_factory=list)
    rule_seen: bool = False
    pos: m.Pos | None = None


class _StructureWalker:
    """Walks top-level Markdown nodes and assembles sections and items."""

    def __init__(self, builder: BlockBuilder):
        self.b = builder
        self.sections: list[m.Section] = []
        self.section_heading: m.Bilingual | None = None
        self.section_pos: m.Pos | None = None
        self.items: list[m.Item] = []
        self.item: _ItemDraft | None = None

    def walk(self, nodes: list[Node]) -> tuple[m.Section, ...]:
        for node in nodes:
            kind = node.type
            if kind == "heading":
                markup = node.markup
                if markup == "#":
                    self.start_section(node)
                elif markup == "##":
                    self.headline(node)
                else:
                    self.b.stray_heading(node)
            elif kind == "hr" and self.item is not None:
                self.language_rule(node)
            elif self.item is None:
                self.outside_item(node)
            else:
                self.body_block(node)
        self.finish_section()
        return tuple(self.sections)

    # ---- sections --------------------------------------------------------------------------

    def start_section(self, node: Node) -> None:
        self.finish_section()
        text = _inline_text(node)
        self.section_heading = split_bilingual(text)
        self.section_pos = self.b.pos(node)
        if not (self.section_heading.zh and self.section_heading.en):
            self.b.problem(node, "warning", f"section heading {text!r} has only one language.",
                           "Write both, separated by '|': '# 国内要闻 | Domestic News'.")

    def finish_section(self) -> None:
        self.finish_item()
        if self.section_heading is None:
            return
        if not self.items:
            self.b.problems.append(m.Problem(self.section_pos, "warning",
                                             f"section {self.section_heading.joined()!r} has no items.",
                                             "Add items ('## headline') or remove the heading."))
        self.sections.append(m.Section(self.section_heading, tuple(self.items), self.section_pos))
        self.items = []
        self.section_heading = None

    # ---- items -----------------------------------------------------------------------------

    def headline(self, node: Node) -> None:
        text = _inline_text(node)
        if self.section_heading is None:
            self.b.problem(node, "error", f"item {text!r} is not inside a section.",
                           "Add a section heading such as '# 国内要闻 | Domestic News' above it.")
            self.section_heading = m.Bilingual("?", "?")
            self.section_pos = self.b.pos(node)
        item = self.item
        pos = self.b.pos(node)
        second_headline = (item is not None and len(item.headlines) == 1 and not item.unsplit
                           and not item.zh and not item.en and not item.rule_seen and not item.sources)
        if second_headline:
            item.headlines.append((text, pos))
            return
        self.finish_item()
        self.item = _ItemDraft(headlines=[(text, pos)], pos=pos)

    def language_rule(self, node: Node) -> None:
        if self.item.rule_seen:
            self.b.stray_rule(node)
            return
        self.item.rule_seen = True
        self.item.zh.extend(self.item.unsplit)
        self.item.unsplit = []

    def body_block(self, node: Node) -> None:
        if node.type == "paragraph" and SOURCE_PREFIX.match(_inline_text(node)):
            self.item.sources.extend(self.sources(node))
            return
        block_list = self.b.blocks([node])
        target = self.item.en if self.item.rule_seen else self.item.unsplit
        target.extend(block_list)

    def sources(self, node: Node) -> list[m.Source]:
        para = self.b.paragraph(node)
        found = [m.Source(link.href, m.plain_text(link.children).strip())
                 for link in para.children if isinstance(link, m.Link)]
        linked = {s.url for s in found}
        for text in (n.text for n in para.children if isinstance(n, m.Text)):
            found.extend(m.Source(url) for url in BARE_URL.findall(text) if url not in linked)
        if not found:
            self.b.problem(node, "error", "a 'Source:' line without a link.",
                           "Write 'Source: [name](https://…)' or paste the URL after 'Source:'.")
        return found

    def outside_item(self, node: Node) -> None:
        where = "before the first section" if self.section_heading is None else "before the first item"
        self.b.problem(node, "error", f"text {where} belongs to no item.",
                       "Put issue details in the front matter, and text under an item headline ('## …').")

    def finish_item(self) -> None:
        draft, self.item = self.item, None
        if draft is None:
            return
        headline, zh, en = self.resolve_languages(draft)
        item = m.Item(headline, tuple(zh), tuple(en), tuple(draft.sources), draft.pos)
        self.items.append(item)

    def resolve_languages(self, draft: _ItemDraft) -> tuple[m.Bilingual, list[m.Block], list[m.Block]]:
        """Which headline and which body is Chinese, which English; report what is missing."""
        texts = [t for t, _ in draft.headlines]
        pos = draft.headlines[0][1]
        if len(texts) == 2:
            zh, en = texts
            if guess_lang(zh) == "en" and guess_lang(en) == "zh":
                self.b.problems.append(m.Problem(pos, "warning", "the English headline comes before the Chinese one.",
                                                 "Write the Chinese headline first; they were swapped."))
                zh, en = en, zh
            headline = m.Bilingual(zh, en)
        elif guess_lang(texts[0]) == "en":
            headline = m.Bilingual("", texts[0])
        else:
            headline = m.Bilingual(texts[0], "")
        body_zh, body_en = draft.zh, draft.en
        if draft.unsplit:
            if headline.zh and headline.en:
                self.b.problems.append(m.Problem(pos, "error",
                                                 "this item has two headlines but no '---' line between its "
                                                 "Chinese and English text.",
                                                 "Add a line '---' (with blank lines around it) where the "
                                                 "English text starts."))
                body_zh = list(draft.unsplit)
            elif headline.en:
                body_en = list(draft.unsplit)
            else:
                body_zh = list(draft.unsplit)
        self.check_languages(pos, headline, body_zh, body_en)
        return headline, body_zh, body_en

    def check_languages(self, pos, headline: m.Bilingual, body_zh, body_en) -> None:
        problems = self.b.problems
        name = headline.zh or headline.en
        if not (headline.en or body_en):
            problems.append(m.Problem(pos, "warning", f"item {name!r} has no English translation.",
                                      "Add an English headline ('## …' right under the Chinese one), '---', "
                                      "and the English text."))
        elif not (headline.zh or body_zh):
            problems.append(m.Problem(pos, "warning", f"item {name!r} has no Chinese text.",
                                      "Add the Chinese headline above the English one and the Chinese text "
                                      "above '---'."))
        else:
            if not headline.en:
                problems.append(m.Problem(pos, "warning", f"item {name!r} has no English headline.",
                                          "Add '## English headline' right under the Chinese headline."))
            if not headline.zh:
                problems.append(m.Problem(pos, "warning", f"item {name!r} has no Chinese headline.",
                                          "Add '## 中文标题' right above the English headline."))
            if headline.zh and headline.en and not body_en and body_zh:
                problems.append(m.Problem(pos, "warning", f"item {name!r} has no English body.",
                                          "Add the English text after the '---' line."))
        if body_zh and guess_lang(m.plain_text(body_zh, alt=False)) == "en":
            problems.append(m.Problem(pos, "warning", f"the Chinese part of {name!r} looks like English.",
                                      "Check that '---' sits between the Chinese and the English text."))
        if body_en and guess_lang(m.plain_text(body_en, alt=False)) == "zh":
            problems.append(m.Problem(pos, "warning", f"the English part of {name!r} looks like Chinese.",
                                      "Check that '---' sits between the Chinese and the English text."))


def split_bilingual(text: str) -> m.Bilingual:
    """'国内要闻 | Domestic News' -> Bilingual; a one-language heading goes to its language."""
    parts = [p for p in HEADING_SPLIT.split(text.strip(), maxsplit=1) if p]
    if len(parts) == 2:
        return m.Bilingual(parts[0], parts[1])
    only = parts[0] if parts else ""
    return m.Bilingual("", only) if guess_lang(only) == "en" else m.Bilingual(only, "")


_TYPED = frozenset(("text", "code_inline", "html_inline"))  # headlines are plain text: keep what was typed
_BREAKS = frozenset(("softbreak", "hardbreak"))


def _inline_text(node: Node) -> str:
    """The text of a heading or a paragraph: of its inline token's children, which markdown-it keeps flat (a link
    is link_open, its text, link_close), so no tree is walked."""
    return "".join(_token_text(child.token.children or ()) for child in node.children).strip()


def _token_text(tokens) -> str:
    parts = []
    for token in tokens:
        kind = token.type
        if kind in _TYPED:
            parts.append(token.content)
        elif kind in _BREAKS:
            parts.append(" ")
        elif token.children:  # an image: its description
            parts.append(_token_text(token.children))
    return "".join(parts)
