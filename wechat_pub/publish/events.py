"""What WeChat tells the webhook about our publishing: PUBLISHJOBFINISH, which brings the published articles'
addresses. The push record learns them through the webhook's bounded engine; while the state database is away a
background thread keeps trying for an hour (WeChat sends the event once)."""

from __future__ import annotations

import logging
import threading
from typing import Callable

from wechat_pub.clock import Clock
from wechat_pub.state.outage import is_outage
from wechat_pub.state.pushes import PushLedger
from wechat_pub.urls import safe_links

log = logging.getLogger(__name__)

RETRY_SECONDS = 10
RETRIES = 360  # an hour


class PublishEvents:
    """PUBLISHJOBFINISH of one account. ``bounded``: the ledger through the webhook's bounded engine (first
    try); ``patient``: through the patient one (the retries, off the request); ``published(issue, urls)``: what
    else follows (forget the cached links, tell the team)."""

    def __init__(self, bounded: PushLedger, patient: PushLedger, published: Callable[[int, list[str]], None],
                 clock: Clock):
        self.bounded = bounded
        self.patient = patient
        self.published = published
        self.clock = clock

    def on_published(self, publish_id: str, event_urls: list[str]) -> None:
        article_urls = safe_links(event_urls)  # the event's URLs are shown as links: web addresses only
        if len(article_urls) < len(event_urls):
            log.warning("PUBLISHJOBFINISH for publish_id %s: %d article URL(s) that are not web addresses "
                        "were dropped", publish_id, len(event_urls) - len(article_urls))
        try:
            self.record(self.bounded, publish_id, article_urls)
        except Exception as exc:
            if not is_outage(exc):
                raise
            threading.Thread(target=self.keep_trying, args=(publish_id, article_urls), daemon=True).start()

    def record(self, ledger: PushLedger, publish_id: str, article_urls: list[str]) -> None:
        found = ledger.publish_of(publish_id)  # (or the publish whose submit's answer was lost)
        if found is None:
            log.warning("PUBLISHJOBFINISH for publish_id %s, which wechat-pub did not submit", publish_id)
            return
        ledger.published(found.issue, article_urls, how="PUBLISHJOBFINISH")
        self.published(found.issue, article_urls)

    def keep_trying(self, publish_id: str, article_urls: list[str]) -> None:
        for _ in range(RETRIES):
            self.clock.sleep(RETRY_SECONDS)
            try:
                self.record(self.patient, publish_id, article_urls)
                return
            except Exception as exc:
                if not is_outage(exc):
                    raise
        log.error("PUBLISHJOBFINISH for publish_id %s could not be recorded: run `wechat-pub status`", publish_id)
