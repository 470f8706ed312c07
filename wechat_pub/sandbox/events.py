"""Messages the sandbox pushes to the account's webhook, as WeChat does: signed, and AES-encrypted
when an EncodingAESKey is configured (safe mode). Used for PUBLISHJOBFINISH."""

from __future__ import annotations

import logging
import secrets

import requests

from wechat_pub.bot.protocol import signed_message
from wechat_pub.sandbox.state import SandboxState

log = logging.getLogger(__name__)
MPHELPER_OPENID = "oV5CrjpxgaGXNHIQigzNlgLTnwic"  # the sender WeChat uses for publish events


def finish_publish(state: SandboxState, publish_id: int, base_url: str) -> None:
    """End a publish job as set for it (a failure) or with its articles' URLs, and tell the webhook."""
    job = state.publish(publish_id)
    if job is None or job["status"] != 1:
        return
    outcome = state.take_publish_outcome(job["appid"], job["draft_media_id"])
    if outcome is not None:
        status, fail_idx = outcome
        state.fail_publish(publish_id, status, fail_idx)
        if state.settings.failed_publish_keeps_draft:
            state.restore_draft(job["appid"], job["draft_media_id"], job["articles"], job["created_at"])
        result = failure_info(status, fail_idx)
    else:
        article_id = secrets.token_urlsafe(32)[:43]
        urls = [f"{base_url}/sandbox/articles/{article_id}/{i + 1}" for i in range(len(job["articles"]))]
        state.finish_publish(publish_id, article_id, urls)
        result = success_info(article_id, urls)
    account = state.settings.account(job["appid"])
    if account is None or not account.webhook_url:
        state.note_event(publish_id, "no webhook configured")
        return
    xml = publish_event_xml(account.account_id, publish_id, result, int(state.now()))
    state.note_event(publish_id, deliver(xml, account.webhook_url, account.webhook_token, account.webhook_aes_key,
                                         account.appid, account.account_id, MPHELPER_OPENID, state.settings.clock()))


def success_info(article_id: str, urls: list[str]) -> str:
    items = "".join(f"<item><idx>{i + 1}</idx><article_url><![CDATA[{url}]]></article_url></item>"
                    for i, url in enumerate(urls))
    return (f"<publish_status>0</publish_status><article_id><![CDATA[{article_id}]]></article_id>"
            f"<article_detail><count>{len(urls)}</count>{items}</article_detail>")


def failure_info(status: int, fail_idx: list[int]) -> str:
    """The failure form: no article_id or article_detail, one <fail_idx> element per failed article."""
    return f"<publish_status>{status}</publish_status>" + "".join(f"<fail_idx>{i}</fail_idx>" for i in fail_idx)


def publish_event_xml(account_id: str, publish_id: int, info: str, created: int) -> str:
    return (f"<xml><ToUserName><![CDATA[{account_id}]]></ToUserName>"
            f"<FromUserName><![CDATA[{MPHELPER_OPENID}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo>"
            f"<publish_id>{publish_id}</publish_id>{info}</PublishEventInfo></xml>")


def deliver(xml: str, url: str, token: str, aes_key: str, appid: str, account_id: str, openid: str,
            now: float) -> str:
    """POST as WeChat does: up to 3 deliveries, 5 seconds each, the same signature every time (its timestamp the
    sandbox's injected clock ``now``, as WeChat's is WeChat's; not moved by /sandbox/clock, which is for tokens and
    quotas)."""
    params, body = signed_message(xml, token, "safe" if aes_key else "plain", aes_key, appid, str(int(now)))
    outcome = ""
    for _ in range(3):
        try:
            response = requests.post(url, params=params, data=body, timeout=5,
                                     headers={"Content-Type": "text/xml"})
            if response.status_code == 200:
                return f"delivered ({response.text[:40]!r})"
            outcome = f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            outcome = type(exc).__name__
    log.warning("event to %s not delivered: %s", url, outcome)
    return f"failed: {outcome}"
