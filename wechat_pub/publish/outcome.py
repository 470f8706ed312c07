"""What a push did, as the commands report it (apart from the pipeline: the commands print it without it)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PushOutcome:
    issue: int
    action: str  # created, updated, unchanged, replaced, recreated, published-already
    media_id: str
    articles: int
    uploaded: int = 0
    cached: int = 0
    cover: str = ""
    publish_id: str = ""
    article_urls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wechat_changes: list[str] = field(default_factory=list)  # what WeChat changed of what was sent
