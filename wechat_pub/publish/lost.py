"""A publish whose answer was lost: ``submitting`` was recorded before ``freepublish/submit``, and no publish_id
came back. The next push finds out what became of it before it does anything else: still in the draft box some
minutes on, WeChat did not take it; published, its article (found by the push's marker) is recorded; nothing an
hour on, the push stops and asks a person to look (a slow review must not become a second copy online); and a
publish given up on is still taken if its article comes later. Functions of the :class:`~.push.Pusher` at work."""

from __future__ import annotations

from wechat_pub import model as m
from wechat_pub.publish.markers import marker_for
from wechat_pub.publish.outcome import IssueBusy, PushError
from wechat_pub.state.pushes import GIVEN_UP, PushRecord, PushState
from wechat_pub.urls import safe_links

PUBLISHED_PAGES = 3  # freepublish/batchget pages (the newest 60 articles; 100 calls a day) searched for a lost submit
SUBMIT_SETTLES = 300  # seconds: a draft still in the draft box this long after its submit was not taken by WeChat
SUBMIT_GIVES_UP = 3600  # seconds: no published article this long after a lost submit: its publish job failed


def recover_lost_submit(pusher, issue: m.Issue, record: PushRecord | None) -> PushRecord | None:
    """A publish submitted whose answer was never recorded: still in the draft box, WeChat did not take it
    (it is a draft again); published, its article's addresses are recorded; else it is left publishing."""
    if record is not None and record.state is PushState.FAILED and record.publish_id == GIVEN_UP:
        return given_up_found(pusher, issue, record)
    if record is None or record.state is not PushState.PUBLISHING or record.publish_id:
        return record
    waited = pusher.clock.time() - pusher.ledger.submitted_at(issue.number)
    if pusher.existing_draft(record.draft_media_id) is not None:
        if waited < SUBMIT_SETTLES:  # (WeChat may not have got to it yet: the other process may be waiting)
            raise IssueBusy(f"issue {issue.number}: a publish of it was asked of WeChat {int(waited)} seconds "
                            "ago, and its answer has not come.", "Nothing was changed. Try again in a few "
                            "minutes: the issue's page says by then whether it was published.")
        pusher.ledger.submit_refused(issue.number, "WeChat did not take the publish (the draft is still there)")
    else:
        urls = find_published(pusher.api, marker_for(pusher.appid, issue.number, record.content_hash))
        if urls is not None:
            pusher.progress("found the article an interrupted publish made")
            pusher.ledger.published(issue.number, urls, how="freepublish/batchget")
        elif waited >= SUBMIT_GIVES_UP:
            why = (f"WeChat took draft {record.draft_media_id} to publish it, but no published article came of it "
                   f"in {int(waited // 60)} minutes: its publish job failed, or the draft was deleted")
            hint = ("Look in mp.weixin.qq.com → 发表记录 first: if it is still being published there, wait for it; "
                    "if it failed, publish again (a new draft is made).")
            pusher.ledger.publish_failed(issue.number, why + ".", hint, given_up=True)
            raise PushError(why + ": nothing was published by this push.", hint)  # (a person looks first)
    return pusher.ledger.get(issue.number)


def given_up_found(pusher, issue: m.Issue, record: PushRecord) -> PushRecord:
    """A publish given up on (its answer lost, no article within the hour): if its article came since, it is
    recorded, and nothing is published again; else the push goes on as after any failure."""
    urls = find_published(pusher.api, marker_for(pusher.appid, issue.number, record.content_hash))
    if urls is not None:
        pusher.progress("found the article of the publish given up on: it came late")
        pusher.ledger.published(issue.number, urls, how="freepublish/batchget, late")
    return pusher.ledger.get(issue.number)


def find_published(api, marker: str) -> list[str] | None:
    """The addresses of the published article that carries ``marker`` (None: not published, or not yet)."""
    needle = f'data-wechat-pub="{marker}"'
    offset = 0
    for _ in range(PUBLISHED_PAGES):
        page = api.freepublish.batchget(offset, 20)
        for item in page.get("item", []):
            news = item.get("content", {}).get("news_item", [])
            if any(needle in article.get("content", "") for article in news):
                return safe_links([article.get("url", "") for article in news])
        offset += 20
        if offset >= page.get("total_count", 0):
            return None
    return None
