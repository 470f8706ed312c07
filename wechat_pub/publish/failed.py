"""A publish job that WeChat failed (``publish_status`` 2-6): which article, why (as far as WeChat says), what
became of the draft, and what to do. One rule for every way the result arrives: polling ``freepublish/get`` in a
push, or the PUBLISHJOBFINISH event at the webhook.

What is known (reference/wechat-api.md §4, §11): the status names the reason's kind and ``fail_idx`` the failed
articles (1-based); WeChat gives no further reason. Whether the draft survives a failed job is not known, so
it is asked (``draft/get``) rather than assumed: a kept draft is published again as it is, a removed one is
made again by the next push."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from wechat_pub.errors import ExitStatus, WechatPubError

log = logging.getLogger(__name__)

# publish_status -> (WeChat's name, what it means, what to do)
REASONS: dict[int, tuple[str, str, str]] = {
    2: ("原创失败", "the originality (原创) declaration was refused",
        "Publish it without the 原创 declaration, or check the originality claim in mp.weixin.qq.com."),
    3: ("常规失败", "WeChat failed to publish it and gave no reason",
        "Open the draft in mp.weixin.qq.com → 草稿箱 and publish it by hand; it usually says why there."),
    4: ("平台审核不通过", "WeChat's content review rejected it",
        "Edit the named article (mp.weixin.qq.com → 发表记录 shows the review's note), then push and publish again."),
    5: ("成功后用户删除所有文章", "it was published, then every article was deleted in WeChat",
        "Push and publish it again if it should be online."),
    6: ("成功后系统封禁所有文章", "it was published, then WeChat blocked every article",
        "See the notice in mp.weixin.qq.com (通知中心); appeal there, or correct the article and publish again."),
}

GONE = (5, 6)  # published, then deleted or blocked: its article's addresses lead nowhere


class PublishFailed(WechatPubError):
    """WeChat's publish job failed: the draft was pushed, publishing it was refused."""

    exit_status = ExitStatus.ERROR


@dataclass(frozen=True)
class FailedPublish:
    issue: int
    status: int
    fail_idx: list[int]
    titles: list[str]  # the draft's article titles, when WeChat still has the draft ([] otherwise)
    draft_kept: bool | None  # None: not known (the draft could not be read)

    @property
    def message(self) -> str:
        name, meaning, _ = REASONS.get(self.status, (f"status {self.status}", "WeChat did not publish it", ""))
        return (f"WeChat did not publish issue {self.issue}: {meaning} (publish_status {self.status} {name}); "
                f"{self.which()}.")

    @property
    def hint(self) -> str:
        action = REASONS.get(self.status, ("", "", "Open mp.weixin.qq.com → 发表记录 to see why."))[2]
        if self.draft_kept is True:
            draft = "The draft is still in the draft box."
        elif self.draft_kept is False:
            draft = "WeChat removed the draft: the next push makes a new one."
        else:
            draft = "Whether WeChat kept the draft is not known: the next push updates it or makes a new one."
        return f"{action} {draft}"

    def which(self) -> str:
        if not self.fail_idx:
            return "WeChat named no article"
        named = [f"article {i}" + (f" {self.titles[i - 1]!r}" if 0 < i <= len(self.titles) else "")
                 for i in self.fail_idx]
        return "failed: " + ", ".join(named)


def read_fail_idx(value) -> list[int]:
    """``fail_idx`` as WeChat sends it: a JSON list, or the event's elements joined by spaces; junk is dropped."""
    items = value if isinstance(value, list) else str(value or "").split()
    return [int(item) for item in items if str(item) in ARTICLE_NUMBERS]


ARTICLE_NUMBERS = {str(n) for n in range(1, 9)}  # a draft holds at most 8 articles


def examine(api, issue: int, status: int, fail_idx: list[int], draft_media_id: str) -> FailedPublish:
    """The failure, with the draft's titles and whether WeChat kept it (one ``draft/get``)."""
    from wechat_pub.wechat.errors import NetworkError, WeChatAPIError

    try:
        items = api.draft.get(draft_media_id) if draft_media_id else None
    except WeChatAPIError as exc:
        items = [] if exc.errcode == 40007 else None
        if exc.errcode != 40007:
            log.warning("could not read draft %s after its publish failed: %s", draft_media_id, exc.message)
    except NetworkError as exc:
        log.warning("could not read draft %s after its publish failed: %s", draft_media_id, exc.message)
        items = None
    kept = None if items is None else bool(items)
    titles = [str(item.get("title", "")) for item in items or []]
    return FailedPublish(issue, status, fail_idx, titles, kept)


def record(ledger, failure: FailedPublish) -> None:
    ledger.publish_failed(failure.issue, failure.message, failure.hint, gone=failure.status in GONE)


def on_event(site):
    """What a PUBLISHJOBFINISH that reports a failure does, in the background (the webhook answers WeChat within
    5 seconds; reading the draft may take longer): :func:`record_event`."""
    import threading

    def handle(publish_id: str, status: int, fail_idx: str) -> None:
        threading.Thread(target=record_event, args=(site, publish_id, status, fail_idx), daemon=True).start()

    return handle


def record_event(site, publish_id: str, status: int, fail_idx: str) -> None:
    """The push record says the job failed (which article, why, where the draft is), and the team is told."""
    try:
        found = site.pushes.by_publish_id(publish_id)  # (a lost submit's failure: found by the next push)
        if found is None:
            log.warning("PUBLISHJOBFINISH (failed, status %s) for publish_id %s, which wechat-pub did not submit",
                        status, publish_id)
            return
        with site.connect() as account:
            failure = examine(account.api, found.issue, status, read_fail_idx(fail_idx), found.draft_media_id)
        record(site.pushes, failure)
    except Exception as exc:  # the webhook's thread: say what was lost, and where to look
        log.error("PUBLISHJOBFINISH (failed, status %s) for publish_id %s could not be recorded (%s): run "
                  "`wechat-pub status`", status, publish_id, type(exc).__name__)
        return
    site.notifier.notify_later(site.notice(found.issue, "publish-failed", f"{failure.message}\n{failure.hint}"))
