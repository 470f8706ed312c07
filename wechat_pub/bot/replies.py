"""What a follower gets back: the matches as text within WeChat's 2048 bytes (never cut inside a
character or an entry), a one-article news card, or a helpful answer when nothing matches."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from wechat_pub.bot.asking import IssueQuery, issue_query
from wechat_pub.bot.index import strip_part
from wechat_pub.bot.search import Archive, Hit, IssueInfo, SearchResult, query_language

TEXT_LIMIT = 2048  # bytes of UTF-8 (reference/webhook.md §2.4)
HELP_WORDS = {"帮助", "help", "?", "？", "h", "菜单", "menu", "usage"}
NEARBY = 3  # times max_results hits read, so that copies of a story across parts still leave enough stories


@dataclass
class Reply:
    kind: str  # "text", "news" or "success"
    text: str = ""
    title: str = ""
    description: str = ""
    pic_url: str = ""
    url: str = ""
    matches: int = 0
    shown: tuple = field(default=(), compare=False)  # what the reply lists, in order: item ids ("135.5") per entry,
    # or issue ids ("issue:135"); for the relevance bench and tests


def shorten(text: str, max_bytes: int) -> str:
    """Cut at a character boundary with '…' (only for an entry that alone would not fit)."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    out = ""
    for ch in text:
        if len((out + ch + "…").encode("utf-8")) > max_bytes:
            break
        out += ch
    return out + "…"


ANSWERS_KEPT = 4096  # recent answers per process (a few MB): followers ask the same few words again and again


class Replier:
    """``sources()``: the objects the answers are made of besides the index (the published URLs and covers, as
    the caller caches them); answers are reused while the index and those objects are the same."""

    def __init__(self, archive: Archive, urls_for=lambda issue: [], max_results: int = 5, welcome: str = "",
                 news_reply: bool = False, cover_for=lambda issue: "", forget_urls=lambda: None,
                 sources=lambda: ()):
        self.archive = archive
        self.sources = sources
        self._answers: OrderedDict[str, Reply] = OrderedDict()  # (the least recently asked first)
        self._made_of: tuple = ()
        self.forget_urls = forget_urls  # called when an issue was published: its URL is news
        self.urls_for = urls_for  # issue number -> published article URLs
        self.cover_for = cover_for  # issue number -> cover image URL
        self.max_results = max_results
        self.welcome = welcome
        self.news_reply = news_reply

    # ---- answering a query ---------------------------------------------------------------------------

    def answer(self, query: str) -> Reply:
        """The reply to ``query``: from the answers made lately while they still hold, else worked out."""
        made_of = (self.archive.version(), *self.sources())
        if len(made_of) != len(self._made_of) or made_of[0] != self._made_of[0] or any(
                a is not b for a, b in zip(made_of[1:], self._made_of[1:])):
            self._answers, self._made_of = OrderedDict(), made_of
        answers = self._answers
        reply = answers.get(query)
        if reply is not None:
            try:
                answers.move_to_end(query)
            except KeyError:  # (another thread's answer pushed it out meanwhile)
                pass
            return reply
        reply = self.work_out(query)
        # (an OrderedDict: a dict's first item is found by skipping the slots of the items gone before it, 4 µs
        # an answer at this size; here it is one step)
        while len(answers) >= ANSWERS_KEPT:
            try:
                answers.popitem(last=False)
            except KeyError:
                break
        answers[query] = reply
        return reply

    def work_out(self, query: str) -> Reply:
        query = query.strip()
        lowered = query.lower()
        if not query or lowered in HELP_WORDS:
            return Reply("text", self.help_text())
        asked = issue_query(query)
        reply = self.issues_asked(asked, query) if asked is not None else None
        if reply is not None:
            return reply
        result = self.archive.search(query, self.max_results * NEARBY)
        if not result.hits:
            return Reply("text", self.no_match(query), matches=0)
        every = collapse_parts(result.hits)
        stories = every[:self.max_results]
        total = result.total - (len(result.hits) - len(every))
        shown = tuple(tuple(f"{hit.issue}.{hit.position}" for hit in story) for story in stories)
        if self.news_reply:
            card = self.news_card(stories[0][0], total)
            if card:
                card.shown = shown[:1]
                return card
        return Reply("text", self.matches_text(query, result, stories, total), matches=total, shown=shown)

    def issues_asked(self, asked: IssueQuery, query: str) -> Reply | None:
        """The reply to a query for issues: one issue's contents, or the issues of a month. None: a bare number
        that is no issue's, to be searched for as a word (2019)."""
        if asked.kind in ("latest", "previous"):
            found = [self.archive.latest(skip=int(asked.kind == "previous"))]
        elif asked.kind == "number":
            found = [self.archive.issue(asked.number)]
        else:
            found = self.archive.issues_dated(asked.month)
        found = [info for info in found if info is not None]
        if not found:
            latest = self.archive.latest()
            if asked.kind == "number" and query.strip().isdigit():
                return None
            if asked.kind != "number" or latest is None:
                return Reply("text", self.no_match(query), matches=0)
            return Reply("text", f"没有找到第{asked.number}期；最新一期是第{latest.issue}期，发送“最新”查看。\n"
                                 f"Nothing found for issue {asked.number}; the latest is No. {latest.issue}: send "
                                 "“latest”.")
        if len(found) == 1:
            return self.issue_reply(found[0], query)
        lang = query_language(query) if not query[:4].isdigit() else "zh"
        head = [f"{asked.month.replace('-', '.')}：{len(found)} 期 · {len(found)} issue(s):"]
        entries = [f"{n}. 第{info.issue}期 No.{info.issue} · {info.date.replace('-', '.')}\n   "
                   + " | ".join(t for t in (info.title_zh, info.title_en) if t) for n, info in enumerate(found, 1)]
        return Reply("text", self.assemble(head, entries, len(found), lang), matches=len(found),
                     shown=tuple(f"issue:{info.issue}" for info in found))

    def matches_text(self, query: str, result: SearchResult, stories: list[list[Hit]], total: int) -> str:
        lang = query_language(query)
        shown = shorten(query, 60)
        count = f"{total}+" if result.capped else str(total)
        if result.corrected:
            instead = shorten(result.corrected, 60)
            head = (f"没有找到「{shown}」，以下是「{instead}」的结果 · Showing results for “{instead}”:" if lang == "zh"
                    else f"Showing results for “{instead}” (nothing for “{shown}”) · 以下是「{instead}」的结果:")
        else:
            head = (f"「{shown}」共 {count} 条结果 · {count} match(es):" if lang == "zh"
                    else f"“{shown}”: {count} match(es) · 共 {count} 条结果:")
        entries = [self.entry(n, story, lang) for n, story in enumerate(stories, start=1)]
        return self.assemble([head], entries, total, lang, result.capped)

    def assemble(self, head: list[str], entries: list[str], total: int, lang: str, capped: bool = False) -> str:
        """As many whole entries as fit in WeChat's limit, and how many more there are."""
        def footer(shown: int) -> list[str]:
            rest = total - shown
            if rest <= 0:
                return []
            rest = f"{rest}+" if capped else rest
            return [f"还有 {rest} 条，换个更具体的关键词试试。· {rest} more: try a more specific keyword."
                    if lang == "zh" else f"{rest} more: try a more specific keyword. · 还有 {rest} 条。"]

        if entries:  # one entry always fits, shortened if it alone is too long
            room = TEXT_LIMIT - len("\n".join(head + footer(1)).encode()) - 2
            entries = [shorten(entries[0], room)] + entries[1:]
        for count in range(len(entries), -1, -1):
            text = "\n".join(head + entries[:count] + footer(count))
            if len(text.encode("utf-8")) <= TEXT_LIMIT:
                return text
        return shorten("\n".join(head), TEXT_LIMIT)

    def entry(self, number: int, story: list[Hit], lang: str) -> str:
        """One story: its issue and date (and the parts it runs in, when a split issue has it in several)."""
        hit = story[0]
        zh, en = (strip_part(hit.headline_zh), strip_part(hit.headline_en)) if len(story) > 1 else (
            hit.headline_zh, hit.headline_en)
        first, second = (zh, en) if lang == "zh" else (en, zh)
        first, second = first or second, second if first else ""
        where = f"{number}. 第{hit.issue}期 No.{hit.issue} · {hit.date.replace('-', '.')}"
        if len(story) > 1:
            parts = [(h.section_zh if lang == "zh" else h.section_en) or h.section_zh or h.section_en for h in story]
            where += " · " + "/".join(dict.fromkeys(p for p in parts if p))
        lines = [where, f"   {first}"]
        if second:
            lines.append(f"   {second}")
        urls = self.urls_for(hit.issue)
        if urls:
            lines.append(f"   {urls[0]}")
        return "\n".join(lines)

    def issue_reply(self, info: IssueInfo, query: str) -> Reply:
        lang = query_language(query) if not query.strip()[:1].isdigit() else "zh"
        head = [f"第{info.issue}期 No.{info.issue} · {info.date.replace('-', '.')}",
                " | ".join(t for t in (info.title_zh, info.title_en) if t)]
        urls = self.urls_for(info.issue)
        if urls:
            head.append(urls[0])
        items = self.archive.issue_items(info.issue)
        entries = []
        for n, hit in enumerate(items, start=1):
            first, second = (hit.headline_zh, hit.headline_en) if lang == "zh" else (hit.headline_en, hit.headline_zh)
            first, second = first or second, second if first else ""
            entries.append(f"{n}. {first}" + (f"\n   {second}" if second else ""))
        return Reply("text", self.assemble(head, entries, len(items), lang), matches=len(items),
                     shown=(f"issue:{info.issue}",))

    def news_card(self, hit: Hit, total: int) -> Reply | None:
        """One article (the limit for replies to a follower): the best match's issue, its cover."""
        urls = self.urls_for(hit.issue)
        info = self.archive.issue(hit.issue)
        if not urls or info is None:
            return None  # a card needs a published article to open
        description = f"{hit.headline_zh}\n{hit.headline_en}".strip()
        return Reply("news", title=f"第{info.issue}期 {info.title_zh or info.title_en}"[:64],
                     description=shorten(description, 300), pic_url=self.cover_for(hit.issue), url=urls[0],
                     matches=total)

    # ---- help ----------------------------------------------------------------------------------------

    def help_text(self) -> str:
        """How to ask, with examples from the archive itself (its most frequent headline words, its latest issue)."""
        made = self.archive.index_path.exists()  # (a host's first index may still be being made: no examples then)
        words = self.archive.suggestions() if made else []
        zh = "、".join([w for w in words if not w.isascii()][:4] or words[:4])
        en = ", ".join([w for w in words if w.isascii()][:3])
        latest = self.archive.latest() if made else None
        number, month = (latest.issue, latest.date[:7].replace("-", ".")) if latest else (1, "2020.04")
        return ("发送关键词查找往期内容，中英文均可" + (f"，例如：{zh}" if zh else "") + "。\n"
                f"发送期号（如 {number}）或月份（如 {month}）查看往期，发送“最新”查看最新一期。\n"
                "Send a keyword in Chinese or English" + (f" (e.g. {en})" if en else "")
                + f", an issue number ({number}), a month ({month}) or “latest issue”.")

    def unavailable_text(self) -> str:
        return ("抱歉，检索暂时不可用，请稍后再试。发送“最新”查看最新一期。\n"
                "Sorry, search is unavailable right now; please try again shortly, or send “latest”.")

    def welcome_text(self) -> str:
        return self.welcome or ("感谢关注！" + self.help_text())

    def no_match(self, query: str) -> str:
        """Nothing found: words of the archive close to what was asked, else its most frequent ones."""
        words = self.archive.close_words(query) or self.archive.suggestions()[:6]
        suggestions = "、".join(words)
        shown = shorten(query, 60)
        try_zh = f"试试：{suggestions}；" if words else ""
        try_en = f", or one of: {suggestions}" if words else ""
        return (f"没有找到与「{shown}」相关的内容。{try_zh}发送“帮助”查看用法。\n"
                f"Nothing found for “{shown}”. Try a shorter keyword{try_en}. Send “help” for how to ask.")


def collapse_parts(hits: list[Hit]) -> list[list[Hit]]:
    """Hits grouped by story: the copies of one story across the parts of a split issue (the same headline but for
    its part mark) are one entry, in the place of the best of them."""
    stories: dict[tuple, list[Hit]] = {}
    for hit in hits:
        key = (hit.issue, strip_part(hit.headline_zh), strip_part(hit.headline_en))
        stories.setdefault(key, []).append(hit)
    return list(stories.values())
