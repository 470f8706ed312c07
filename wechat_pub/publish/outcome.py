"""What a push did, as the commands report it (apart from the pipeline: the commands print it without it), and
what stopped it."""

from __future__ import annotations

from dataclasses import dataclass, field

from wechat_pub.errors import ExitStatus, WechatPubError


@dataclass
class PushOutcome:
    issue: int
    action: str  # created, updated, unchanged, replaced, recreated, published-already, publishing-already
    media_id: str
    articles: int
    uploaded: int = 0
    cached: int = 0
    cover: str = ""
    publish_id: str = ""
    article_urls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wechat_changes: list[str] = field(default_factory=list)  # what WeChat changed of what was sent


class PushError(WechatPubError):
    exit_status = ExitStatus.ERROR


class DraftEditedInWeChat(PushError):
    """The draft was changed in WeChat's editor since the last push: pushing would overwrite that work."""


class IssueBusy(PushError):
    """Another process is pushing or sending this issue (and stayed longer than we waited), or took it over."""

    retry_later = True  # (the scheduler tries again, as after WeChat's "busy")
