"""The webhook: WeChat's GET check and POSTed follower messages (plain, compatible and safe mode).

Every request's ``signature`` is checked in constant time; safe mode also checks ``msg_signature``
and the app id. A delivery is answered once: WeChat's retries (the same FromUserName+MsgId, or
FromUserName+CreateTime for events) get the stored answer, from any worker, and do no work twice.
Nothing a client sends can produce a traceback: bad input gets 400/403/413, unknown kinds ``success``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, request

from wechat_pub.bot.protocol import (
    Envelope,
    ProtocolError,
    cdata,
    check_fresh,
    check_signature,
    news_reply,
    parse_xml,
    text_reply,
)
from wechat_pub.bot.replies import Replier, Reply
from wechat_pub.crash import crash_point

log = logging.getLogger(__name__)
RETRY_WAIT = 4.0  # a retry waits at most this long for the first delivery's answer (WeChat gives 5 s)


@dataclass
class WebhookSettings:
    token: str
    appid: str
    aes_key: str = ""
    mode: str = "plain"  # plain, compat, safe
    max_clock_skew: float = 300
    menu: dict | None = None
    query_salt: str = ""
    path: str = "/wechat"


class Bot:
    """Turns one message into one answer (XML or "success"), and remembers what it must."""

    def __init__(self, settings: WebhookSettings, replier: Replier, replies, query_log=None, on_published=None):
        self.settings = settings
        self.replier = replier
        self.replies = replies  # TieredReplies: answers by delivery key, shared by workers and hosts
        self.query_log = query_log
        self.on_published = on_published or (lambda publish_id, urls: None)
        self.envelope = Envelope(settings.token, settings.aes_key, settings.appid) if settings.aes_key else None

    # ---- the HTTP exchange -----------------------------------------------------------------------------

    def handle(self, method: str, args, body: bytes) -> tuple[str, int, str]:
        """(body, status, content type) for one request."""
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        check_signature(self.settings.token, args.get("signature", ""), timestamp, nonce)
        check_fresh(timestamp, self.settings.max_clock_skew)
        if method == "GET":
            return args.get("echostr", ""), 200, "text/plain; charset=utf-8"
        encrypted = args.get("encrypt_type", "raw") == "aes"
        if encrypted:
            if self.envelope is None:
                raise ProtocolError(403, "encrypted message but no EncodingAESKey configured")
            body = self.envelope.open(body, args.get("msg_signature", ""), timestamp, nonce)
        elif self.settings.mode == "safe":
            raise ProtocolError(403, "plain message refused in safe mode")
        message = parse_xml(body)
        answer = self.answer_once(message)
        if answer == "success":
            return "success", 200, "text/plain; charset=utf-8"
        if encrypted:
            answer = self.envelope.seal(answer, nonce, timestamp)
        return answer, 200, "application/xml; charset=utf-8"

    def answer_once(self, message: dict[str, str]) -> str:
        """The answer to one delivery: the stored one for WeChat's retries (no second search or log entry),
        else a new one. A retry whose first delivery's claim ran out without an answer answers itself."""
        key = delivery_key(self.settings.appid, message)
        if key is None:
            return self.answer(message)
        # Stored without the follower's OpenID (hashed key, addressee blanked): nothing in the database
        # says who asked what.
        addressee = f"<ToUserName>{cdata(message.get('FromUserName', ''))}</ToUserName>"
        claim = self.replies.claim(key)
        crash_point("after-claim")
        if not claim.first:
            stored = claim.answer or self.replies.settle(key, claim, RETRY_WAIT)
            if stored is not None:
                return stored.replace(_BLANK_ADDRESSEE, addressee, 1)
        try:
            answer = self.answer(message)
        except Exception:
            self.replies.release(key, claim)  # a retry does the work again, at once
            raise
        self.replies.save(key, answer.replace(addressee, _BLANK_ADDRESSEE, 1), claim)
        return answer

    # ---- what to answer --------------------------------------------------------------------------------

    def answer(self, message: dict[str, str]) -> str:
        kind = message.get("MsgType", "")
        if kind == "text":
            return self.reply_to_query(message, message.get("Content", ""))
        if kind == "voice" and message.get("Recognition"):
            return self.reply_to_query(message, message["Recognition"])
        if kind == "event":
            return self.answer_event(message)
        return "success"  # images, links, locations…: nothing to search for

    def answer_event(self, message: dict[str, str]) -> str:
        event = message.get("Event", "")
        if event == "subscribe":
            return self.render(message, Reply("text", self.replier.welcome_text()))
        if event == "CLICK":
            mapped = (self.settings.menu or {}).get(message.get("EventKey", ""))
            return self.reply_to_query(message, mapped, log=False) if mapped else "success"
        if event == "PUBLISHJOBFINISH":
            if message.get("publish_status") == "0":
                urls = [u for u in message.get("article_urls", "").split("\n") if u]
                self.on_published(message.get("publish_id", ""), urls)
            return "success"
        return "success"

    def reply_to_query(self, message: dict[str, str], query: str, log: bool = True) -> str:
        try:
            reply = self.replier.answer(query)
        except Exception:  # never silence: the follower hears that search failed, and what else to try
            logging.getLogger(__name__).exception("search failed for a follower's query")
            reply = Reply("text", self.replier.unavailable_text(), matches=-1)
        if log and self.query_log is not None:
            self.query_log.add(query.strip(), reply.matches, self.follower_hash(message.get("FromUserName", "")))
        return self.render(message, reply)

    def render(self, message: dict[str, str], reply: Reply) -> str:
        to_user, from_user = message.get("FromUserName", ""), message.get("ToUserName", "")
        if reply.kind == "news":
            return news_reply(to_user, from_user, reply.title, reply.description, reply.pic_url, reply.url)
        return text_reply(to_user, from_user, reply.text)

    def follower_hash(self, openid: str) -> str:
        """The query log keeps followers apart without keeping who they are."""
        return hmac.new(self.settings.query_salt.encode(), openid.encode(), hashlib.sha256).hexdigest()[:32]


_BLANK_ADDRESSEE = "<ToUserName><![CDATA[]]></ToUserName>"


def delivery_key(appid: str, message: dict[str, str]) -> str | None:
    """(account, FromUserName, MsgId) for messages, (account, FromUserName, CreateTime, Event) for events,
    hashed: one key per delivery, whatever worker or host it reaches."""
    sender = message.get("FromUserName", "")
    if message.get("MsgId"):
        raw = f"msg:{appid}:{sender}:{message['MsgId']}"
    elif message.get("MsgType") == "event":
        raw = (f"event:{appid}:{sender}:{message.get('CreateTime', '')}:{message.get('Event', '')}:"
               f"{message.get('EventKey', '')}")
    else:
        return None
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def webhook_blueprint(name: str, bot: Bot, max_body: int) -> Blueprint:
    """The webhook of one account, at its path; bodies over ``max_body`` bytes get 413."""
    bp = Blueprint(f"webhook_{name}", __name__)

    @bp.before_request
    def limit_body():
        request.max_content_length = max_body  # WeChat's messages are a few KB; the console's forms are larger

    def view():
        try:
            body, status, content_type = bot.handle(request.method, request.args, request.get_data(cache=False))
        except ProtocolError as exc:
            log.info("refused a webhook request: %s", exc.reason)
            return Response(exc.reason, status=exc.status, content_type="text/plain; charset=utf-8")
        return Response(body, status=status, content_type=content_type)

    # strict_slashes=False: /wechat and /wechat/ both answer, with no redirect WeChat would not follow
    path = bot.settings.path
    bp.add_url_rule(path.rstrip("/") or "/", "webhook", view, methods=["GET", "POST"], strict_slashes=False)
    return bp


def init_app(app: Flask, bots: dict[str, Bot], max_body: int) -> None:
    """Serve the webhook of every account (name -> its bot), each at its own path."""
    app.extensions["wechat_pub.bots"] = bots
    for name, bot in bots.items():
        app.register_blueprint(webhook_blueprint(name, bot, max_body))
