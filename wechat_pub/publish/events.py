"""What WeChat tells the webhook about our publishing: PUBLISHJOBFINISH, which brings the published articles'
addresses. The push record learns them through the webhook's bounded engine; while the state database is away a
background thread keeps trying for an hour (WeChat sends the event once)."""

from __future__ import annotations

import logging
import threading
from typing import Callable

from wechat_pub.clock import Clock
from wechat_pub.state.outage import is_outage
from wechat_pub.state.pushes import PushLedger, PushRecord
from wechat_pub.urls import safe_links

log = logging.getLogger(__name__)

RETRY_SECONDS = 10
RETRIES = 360  # an hour


class PublishEvents:
    """PUBLISHJOBFINISH of one account. ``bounded``: the ledger through the webhook's bounded engine (first
    try); ``patient``: through the patient one (the retries, off the request); ``published(issue, urls)``: what
    else follows (forget the cached links, tell the team)."""

    def __init__(self, bounded: PushLedger, patient: PushLedger, published: Callable[[int, list[str]], None],
                 clock: Clock, owner_of: Callable[[str], PushRecord | None] | None = None):
        """``owner_of(article_id)``: the publish whose submit's answer was lost that a published article is of
        (WeChat asked for the article, its push marker read), or None."""
        self.bounded = bounded
        self.patient = patient
        self.published = published
        self.clock = clock
        self.owner_of = owner_of

    def on_published(self, publish_id: str, event_urls: list[str], article_id: str = "") -> None:
        article_urls = safe_links(event_urls)  # the event's URLs are shown as links: web addresses only
        if len(article_urls) < len(event_urls):
            log.warning("PUBLISHJOBFINISH for publish_id %s: %d article URL(s) that are not web addresses "
                        "were dropped", publish_id, len(event_urls) - len(article_urls))
        try:
            if not self.record(self.bounded, publish_id, article_urls) and article_id and self.owner_of:
                threading.Thread(target=self.adopt, args=(publish_id, article_urls, article_id), daemon=True).start()
        except Exception as exc:
            if not is_outage(exc):
                raise
            threading.Thread(target=self.keep_trying, args=(publish_id, article_urls, article_id), daemon=True).start()

    def record(self, ledger: PushLedger, publish_id: str, article_urls: list[str]) -> bool:
        """The publish ``publish_id`` is recorded published (False: no push record carries that id)."""
        found = ledger.by_publish_id(publish_id)
        if found is None:
            return False
        ledger.published(found.issue, article_urls, how="PUBLISHJOBFINISH")
        self.published(found.issue, article_urls)
        return True

    def adopt(self, publish_id: str, article_urls: list[str], article_id: str) -> None:
        """A publish no record carries: the one whose submit's answer was lost, if the article carries its marker
        (in a thread of its own: it asks WeChat for the article); else one wechat-pub did not make."""
        try:
            found = self.owner_of(article_id)
            if found is None:
                log.warning("PUBLISHJOBFINISH for publish_id %s, which wechat-pub did not submit", publish_id)
                return
            self.patient.publishing(found.issue, publish_id)
            self.record(self.patient, publish_id, article_urls)
        except Exception as exc:  # (WeChat or the database away: the next push finds the article by its marker)
            log.warning("PUBLISHJOBFINISH for publish_id %s not matched to a lost publish: %s: %s", publish_id,
                        type(exc).__name__, exc)

    def keep_trying(self, publish_id: str, article_urls: list[str], article_id: str = "") -> None:
        for _ in range(RETRIES):
            self.clock.sleep(RETRY_SECONDS)
            try:
                if not self.record(self.patient, publish_id, article_urls) and article_id and self.owner_of:
                    self.adopt(publish_id, article_urls, article_id)
                return
            except Exception as exc:
                if not is_outage(exc):
                    raise
        log.error("PUBLISHJOBFINISH for publish_id %s could not be recorded: run `wechat-pub status`", publish_id)
