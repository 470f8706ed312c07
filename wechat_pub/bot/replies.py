"""What a follower gets back: the matches as text within WeChat's 2048 bytes (never cut inside a
character or an entry), a one-article news card, or a helpful answer when nothing matches."""

from __future__ import annotations

import re
from dataclasses import dataclass

from wechat_pub.bot.search import Archive, Hit, IssueInfo, SearchResult, query_language

TEXT_LIMIT = 2048  # bytes of UTF-8 (reference/webhook.md §2.4)
HELP_WORDS = {"帮助", "help", "?", "？", "h", "菜单", "menu", "usage"}
LATEST_WORDS = {"最新", "latest", "new", "最新一期", "newest", "本期"}
ISSUE_NUMBER = re.compile(r"^\s*(?:no\.?\s*|第\s*|#)?(\d{1,5})\s*(?:期|issue)?\s*$", re.I)


@dataclass
class Reply:
    kind: str  # "text", "news" or "success"
    text: str = ""
    title: str = ""
    description: str = ""
    pic_url: str = ""
    url: str = ""
    matches: int = 0


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


ANSWERS_KEPT = 1024  # recent answers per process: followers ask the same few words again and again


class Replier:
    """``sources()``: the objects the answers are made of besides the index (the published URLs and covers, as
    the caller caches them); answers are reused while the index and those objects are the same."""

    def __init__(self, archive: Archive, urls_for=lambda issue: [], max_results: int = 5, welcome: str = "",
                 news_reply: bool = False, cover_for=lambda issue: "", forget_urls=lambda: None,
                 sources=lambda: ()):
        self.archive = archive
        self.sources = sources
        self._answers: dict[str, Reply] = {}
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
            self._answers, self._made_of = {}, made_of
        reply = self._answers.get(query)
        if reply is None:
            reply = self._answers[query] = self.work_out(query)
            if len(self._answers) > ANSWERS_KEPT:
                self._answers.pop(next(iter(self._answers)))
        return reply

    def work_out(self, query: str) -> Reply:
        query = query.strip()
        lowered = query.lower()
        if not query or lowered in HELP_WORDS:
            return Reply("text", self.help_text())
        if lowered in LATEST_WORDS:
            latest = self.archive.latest()
            return self.issue_reply(latest, query) if latest else Reply("text", self.help_text())
        number = ISSUE_NUMBER.match(query)
        if number:
            found = self.archive.issue(int(number.group(1)))
            if found:
                return self.issue_reply(found, query)
        result = self.archive.search(query, self.max_results)
        if not result.hits:
            return Reply("text", self.no_match(query), matches=0)
        if self.news_reply:
            card = self.news_card(result.hits[0], result.total)
            if card:
                return card
        return Reply("text", self.matches_text(query, result), matches=result.total)

    def matches_text(self, query: str, result: SearchResult) -> str:
        lang = query_language(query)
        shown = shorten(query, 60)
        count = f"{result.total}+" if result.capped else str(result.total)
        head = (f"「{shown}」共 {count} 条结果 · {count} match(es):" if lang == "zh"
                else f"“{shown}”: {count} match(es) · 共 {count} 条结果:")
        entries = [self.entry(n, hit, lang) for n, hit in enumerate(result.hits, start=1)]
        return self.assemble([head], entries, result.total, lang, result.capped)

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

    def entry(self, number: int, hit: Hit, lang: str) -> str:
        first, second = (hit.headline_zh, hit.headline_en) if lang == "zh" else (hit.headline_en, hit.headline_zh)
        first, second = first or second, second if first else ""
        lines = [f"{number}. 第{hit.issue}期 No.{hit.issue} · {hit.date.replace('-', '.')}", f"   {first}"]
        if second:
            lines.append(f"   {second}")
        urls = self.urls_for(hit.issue)
        if urls:
            lines.append(f"   {urls[0]}")
        return "\n".join(lines)

    def issue_reply(self, info: IssueInfo, query: str) -> Reply:
        lang = query_language(query) if not query.isdigit() else "zh"
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
        return Reply("text", self.assemble(head, entries, len(items), lang), matches=len(items))

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
        suggestions = "、".join(self.archive.suggestions()[:5]) or "个人信息、GDPR"
        return (f"发送关键词查找往期内容，中英文均可，例如：{suggestions}。\n"
                "发送期号（如 135）查看某一期，发送“最新”查看最新一期。\n"
                "Send a keyword in Chinese or English (e.g. GDPR, contact tracing), an issue number (135), "
                "or “latest”.")

    def unavailable_text(self) -> str:
        return ("抱歉，检索暂时不可用，请稍后再试。发送“最新”查看最新一期。\n"
                "Sorry, search is unavailable right now; please try again shortly, or send “latest”.")

    def welcome_text(self) -> str:
        return self.welcome or ("感谢关注！" + self.help_text())

    def no_match(self, query: str) -> str:
        suggestions = "、".join(self.archive.suggestions()[:6]) or "个人信息、GDPR"
        shown = shorten(query, 60)
        return (f"没有找到与「{shown}」相关的内容。试试：{suggestions}；发送“帮助”查看用法。\n"
                f"Nothing found for “{shown}”. Try a shorter keyword, or one of: {suggestions}. Send “help” for "
                "how to ask.")
