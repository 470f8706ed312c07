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


def render_issue(issue: m.Issue, options: RenderOptions) -> RenderResult:
    """Render ``issue`` as the articles of one draft, splitting it when it is too large."""
    sections = numbered_sections(issue)
    whole = render_article(issue, Part(sections), options)
    if content_fits(whole.content):
        return RenderResult([whole])
    slack = _SLACK_CHARS
    while True:
        packer = _Packer(issue, options, slack)
        groups = packer.pack(sections)
        total = len(groups)
        parts = titled(issue, [Part(group, index, total) for index, group in enumerate(groups, start=1)])
        articles = [render_article(issue, part, options) for part in parts]
        over = max(len(a.content) - CONTENT_MAX_CHARS + 1 for a in articles)
        if over <= 0 or packer.problems or slack > CONTENT_MAX_CHARS // 4:
            break
        slack += over  # the series box came out longer than the room kept for it: pack again
    problems = packer.problems
    if total > MAX_ARTICLES:
        problems.append(m.Problem(m.Pos(issue.path), "error",
                                  f"the issue needs {total} articles; a WeChat draft holds at most {MAX_ARTICLES}.",
                                  "Move some items to another issue, or shorten long items."))
    return RenderResult(articles, problems)


def titled(issue: m.Issue, parts: list[Part]) -> list[Part]:
    """Each part's own title (its sections) and the series: what every part holds."""
    names = []
    for index, part in enumerate(parts):
        previous = parts[index - 1].sections[-1][0] if index else None
        names.append(part_names(part.sections, continued=part.sections[0][0] is previous))
    titles = part_titles(issue, names)
    return [replace(part, title=title, series=tuple(names)) for part, title in zip(parts, titles)]


class _Packer:
    """Greedy packing: whole sections while they fit, a section's items when it does not."""

    def __init__(self, issue: m.Issue, options: RenderOptions, slack: int):
        self.issue = issue
        self.slack = slack
        self.options = options
        self.groups: list[Sections] = []
        self.current: Sections = ()
        self.problems: list[m.Problem] = []

    def fits(self, group: Sections) -> bool:
        trial = render_article(self.issue, Part(group), self.options)
        return content_fits(trial.content, self.slack)

    def pack(self, sections: Sections) -> list[Sections]:
        for section, entries in sections:
            if self.try_add(self.current + ((section, entries),)):
                continue
            self.close()
            if self.try_add(((section, entries),)):
                continue
            for entry in entries:
                self.add_item(section, entry)
        self.close()
        return self.groups

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
