"""Fit an issue into WeChat's article limits: one article when it fits, else a multi-article
draft split at section boundaries, then at item boundaries, at most 8 articles."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from wechat_pub import model as m
from wechat_pub.limits import CONTENT_MAX_CHARS, MAX_ARTICLES, content_fits
from wechat_pub.render.article import (
    NumberedItem,
    Part,
    RenderedArticle,
    RenderOptions,
    numbered_sections,
    render_article,
)
from wechat_pub.render.titles import part_names, part_titles

# Room kept while packing for what is known only once the parts are: the series box naming every part.
_SLACK_CHARS = 600

Sections = tuple[tuple[m.Section, tuple[NumberedItem, ...]], ...]


@dataclass
class RenderResult:
    articles: list[RenderedArticle]
    problems: list[m.Problem] = field(default_factory=list)

    @property
    def split_summary(self) -> str:
        if len(self.articles) == 1:
            return "fits in one article"
        parts = []
        for article in self.articles:
            numbers = [e.number for _, entries in article.part.sections for e in entries]
            names = " + ".join(s.heading.joined(" ") for s, _ in article.part.sections)
            parts.append(f"  article {article.part.index}: items {numbers[0]:02d}-{numbers[-1]:02d} "
                         f"({names}), {len(article.content):,} characters")
        return f"split into {len(self.articles)} articles (one is limited to {CONTENT_MAX_CHARS:,} " \
               f"characters):\n" + "\n".join(parts)


MOST_PARTS = 2 * MAX_ARTICLES  # parts packed and rendered at most: enough to show how far over 8 an issue is


def render_issue(issue: m.Issue, options: RenderOptions) -> RenderResult:
    """Render ``issue`` as the articles of one draft, splitting it when it is too large."""
    sections = numbered_sections(issue)
    if visible_chars(issue) < CONTENT_MAX_CHARS:  # more text than that cannot fit, whatever the markup
        whole = render_article(issue, Part(sections), options)
        if content_fits(whole.content):
            return RenderResult([whole])
    sizes = _Sizes(issue, options)
    slack = _SLACK_CHARS
    while True:
        packer = _Packer(sizes, slack)
        groups = packer.pack(sections)
        total = len(groups)
        parts = titled(issue, [Part(group, index, total) for index, group in enumerate(groups, start=1)])
        articles = [render_article(issue, part, options) for part in parts]
        over = max(len(a.content) - CONTENT_MAX_CHARS + 1 for a in articles)
        if over <= 0 or packer.problems or packer.cut or slack > CONTENT_MAX_CHARS // 4:
            break
        slack += over  # a part came out longer than its estimate: pack again with more room
    problems = packer.problems
    if total > MAX_ARTICLES:
        needs = f"more than {MOST_PARTS}" if packer.cut else str(total)
        problems.append(m.Problem(m.Pos(issue.path), "error",
                                  f"the issue needs {needs} articles; a WeChat draft holds at most {MAX_ARTICLES}.",
                                  "Move some items to another issue, or shorten long items."))
    return RenderResult(articles, problems)


def visible_chars(issue: m.Issue) -> int:
    return sum(len(m.plain_text(item.body_zh)) + len(m.plain_text(item.body_en)) for item in issue.items)


def titled(issue: m.Issue, parts: list[Part]) -> list[Part]:
    """Each part's own title (its sections) and the series: what every part holds."""
    names = []
    for index, part in enumerate(parts):
        previous = parts[index - 1].sections[-1][0] if index else None
        names.append(part_names(part.sections, continued=part.sections[0][0] is previous))
    titles = part_titles(issue, names)
    return [replace(part, title=title, series=tuple(names)) for part, title in zip(parts, titles)]


class _Sizes:
    """How many characters a group of sections takes once rendered, from each section (or item) rendered alone:
    packing adds these up instead of rendering every trial group. An item's size includes its section's
    heading, so a group of items of one section is over-estimated a little, never under."""

    def __init__(self, issue: m.Issue, options: RenderOptions):
        self.issue = issue
        self.options = options
        self.base = self.rendered(())  # masthead, contents title, footer
        self._cache: dict[tuple, int] = {}

    def rendered(self, group: Sections) -> int:
        return len(render_article(self.issue, Part(group), self.options).content)

    def cost(self, section: m.Section, entries: tuple[NumberedItem, ...]) -> int:
        key = (id(section), tuple(e.number for e in entries))
        if key not in self._cache:
            if len(entries) in (1, len(section.items)):  # one item, or the whole section: rendered alone
                self._cache[key] = self.rendered(((section, entries),)) - self.base
            else:
                self._cache[key] = sum(self.cost(section, (entry,)) for entry in entries)
        return self._cache[key]

    def of(self, group: Sections) -> int:
        return self.base + sum(self.cost(section, entries) for section, entries in group)


class _Packer:
    """Greedy packing: whole sections while they fit, a section's items when it does not."""

    def __init__(self, sizes: _Sizes, slack: int):
        self.sizes = sizes
        self.slack = slack
        self.groups: list[Sections] = []
        self.current: Sections = ()
        self.problems: list[m.Problem] = []

    def fits(self, group: Sections) -> bool:
        return self.sizes.of(group) + self.slack < CONTENT_MAX_CHARS

    def pack(self, sections: Sections) -> list[Sections]:
        """The groups, one an article; packing stops past :data:`MOST_PARTS` (the issue is an error already, and
        every part's series box names all the others: thousands of tiny items were thousands of parts, each naming
        the rest, minutes of rendering and hundreds of MB for a preview)."""
        for section, entries in sections:
            if self.cut:
                return self.groups
            if self.try_add(self.current + ((section, entries),)):
                continue
            self.close()
            if self.try_add(((section, entries),)):
                continue
            for entry in entries:
                if self.cut:
                    return self.groups
                self.add_item(section, entry)
        self.close()
        return self.groups

    @property
    def cut(self) -> bool:
        return len(self.groups) > MOST_PARTS

    def add_item(self, section: m.Section, entry: NumberedItem) -> None:
        if self.try_add(_append_item(self.current, section, entry)):
            return
        self.close()
        alone = ((section, (entry,)),)
        if not self.try_add(alone):
            head = entry.item.headline.zh or entry.item.headline.en
            self.problems.append(m.Problem(entry.item.pos, "error",
                                           f"item {entry.number:02d} {head!r} alone is over WeChat's limit of "
                                           f"{CONTENT_MAX_CHARS:,} characters for one article.",
                                           "Shorten it, or split it into two items."))
            self.current = alone  # still rendered, so the user can see it

    def try_add(self, group: Sections) -> bool:
        if self.fits(group):
            self.current = group
            return True
        return False

    def close(self) -> None:
        if self.current:
            self.groups.append(self.current)
        self.current = ()


def _append_item(group: Sections, section: m.Section, entry: NumberedItem) -> Sections:
    if group and group[-1][0] is section:
        last_section, entries = group[-1]
        return group[:-1] + ((last_section, entries + (entry,)),)
    return group + ((section, (entry,)),)
