"""The webhook: WeChat's GET check and POSTed follower messages (plain, compatible and safe mode).

Every request's ``signature`` is checked in constant time; safe mode also checks ``msg_signature``
and the app id. A delivery is answered once: WeChat's retries (the same FromUserName+MsgId, or
FromUserName+CreateTime for events) get the first answer kept, from any worker, and log nothing twice.
Nothing a client sends can produce a traceback: bad input gets 400/403/413, unknown kinds ``success``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass
from urllib.parse import unquote_plus

from flask import Flask

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
from wechat_pub.bot.refusals import RefusalLog, quiet_access_log
from wechat_pub.bot.replies import Replier, Reply
from wechat_pub.bot.search import IndexNotReady
from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.crash import crash_point

log = logging.getLogger(__name__)


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

    def __init__(self, settings: WebhookSettings, replier: Replier, replies, query_log=None, on_published=None,
                 on_publish_failed=None, on_mass_finished=None, clock: Clock = SYSTEM_CLOCK):
        self.settings = settings
        self.clock = clock  # what a request's timestamp is checked against
        self.replier = replier
        self.replies = replies  # TieredReplies: answers by delivery key, kept for every worker and host
        self.query_log = query_log
        self.on_published = on_published or (lambda publish_id, urls, article_id="": None)
        self.on_publish_failed = on_publish_failed or (lambda publish_id, status, fail_idx: None)
        self.on_mass_finished = on_mass_finished or (lambda fields: None)  # MASSSENDJOBFINISH (publish/sendresult)
        self.envelope = Envelope(settings.token, settings.aes_key, settings.appid) if settings.aes_key else None
        self._followers: dict[str, str] = {}  # OpenID -> its salted hash, for followers who ask again

    # ---- the HTTP exchange -----------------------------------------------------------------------------

    def handle(self, method: str, args, body: bytes) -> tuple[str, int, str]:
        """(body, status, content type) for one request."""
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        check_signature(self.settings.token, args.get("signature", ""), timestamp, nonce)
        check_fresh(timestamp, self.settings.max_clock_skew, self.clock.time())
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
        """The answer to one delivery. Every delivery of a message (WeChat's retries, on any worker or host)
        sends the first answer kept for it, and only the delivery whose answer was kept logs the query and
        runs the event's effects: one write per message, no waiting."""
        answer, effects = self.answer(message)
        key = delivery_key(self.settings.appid, message)
        if key is None:
            kept_first, sent = True, answer
        else:
            # Kept without the follower's OpenID (hashed key, addressee blanked): nothing in the database
            # says who asked what.
            addressee = f"<ToUserName>{cdata(message.get('FromUserName', ''))}</ToUserName>"
            crash_point("before-keep")
            kept = self.replies.keep(key, answer.replace(addressee, _BLANK_ADDRESSEE, 1))
            kept_first, sent = kept.first, kept.answer.replace(_BLANK_ADDRESSEE, addressee, 1)
        if kept_first:
            for effect in effects:
                try:
                    effect()
                except Exception:  # (the follower still gets the answer kept; what failed is the log's)
                    log.exception("what a message set off failed (its answer is sent all the same)")
        return sent

    # ---- what to answer --------------------------------------------------------------------------------

    def answer(self, message: dict[str, str]) -> tuple[str, list]:
        """(the answer, what to do once it is the one kept: log the query, record a publication)."""
        kind = message.get("MsgType", "")
        if kind == "text":
            return self.reply_to_query(message, message.get("Content", ""))
        if kind == "voice" and message.get("Recognition"):
            return self.reply_to_query(message, message["Recognition"])
        if kind == "event":
            return self.answer_event(message)
        return "success", []  # images, links, locations…: nothing to search for

    def answer_event(self, message: dict[str, str]) -> tuple[str, list]:
        event = message.get("Event", "")
        if event == "subscribe":
            return self.render(message, Reply("text", self.replier.welcome_text())), []
        if event == "CLICK":
            mapped = (self.settings.menu or {}).get(message.get("EventKey", ""))
            return self.reply_to_query(message, mapped, log=False) if mapped else ("success", [])
        if event == "PUBLISHJOBFINISH" and message.get("publish_status") == "0":
            urls = [u for u in message.get("article_urls", "").split("\n") if u]
            publish_id, article_id = message.get("publish_id", ""), message.get("article_id", "")
            return "success", [lambda: self.on_published(publish_id, urls, article_id)]
        if event == "PUBLISHJOBFINISH" and message.get("publish_status", "") not in ("", "0", "1") \
                and message["publish_status"].isdigit():  # 2-6 (or a status yet unknown): it failed
            publish_id, status = message.get("publish_id", ""), int(message["publish_status"])
            fail_idx = message.get("fail_idx", "")
            return "success", [lambda: self.on_publish_failed(publish_id, status, fail_idx)]
        if event == "MASSSENDJOBFINISH":
            fields = dict(message)
            return "success", [lambda: self.on_mass_finished(fields)]
        return "success", []

    def reply_to_query(self, message: dict[str, str], query: str, log: bool = True) -> tuple[str, list]:
        try:
            reply = self.replier.answer(query)
        except Exception as exc:  # never silence: the follower hears that search failed, and what else to try
            if isinstance(exc, IndexNotReady):  # (the first index of this host, being made: not a failure)
                logging.getLogger(__name__).warning("a follower's query before the search index was made: %s", exc)
            else:
                logging.getLogger(__name__).exception("search failed for a follower's query")
            reply = Reply("text", self.replier.unavailable_text(), matches=-1)
        effects = []
        follower = message.get("FromUserName", "")
        if log and self.query_log is not None and follower != SIMULATOR_OPENID:  # (the team's figures: followers')
            effects.append(lambda: self.query_log.add(query.strip(), reply.matches, self.follower_hash(follower)))
        return self.render(message, reply), effects

    def render(self, message: dict[str, str], reply: Reply) -> str:
        to_user, from_user = message.get("FromUserName", ""), message.get("ToUserName", "")
        if reply.kind == "news":
            return news_reply(to_user, from_user, reply.title, reply.description, reply.pic_url, reply.url)
        return text_reply(to_user, from_user, reply.text)

    def follower_hash(self, openid: str) -> str:
        """The query log keeps followers apart without keeping who they are."""
        hashed = self._followers.get(openid)
        if hashed is None:
            hashed = hmac.new(self.settings.query_salt.encode(), openid.encode(), hashlib.sha256).hexdigest()[:32]
            if len(self._followers) > 10_000:
                self._followers.clear()
            self._followers[openid] = hashed
        return hashed


_BLANK_ADDRESSEE = "<ToUserName><![CDATA[]]></ToUserName>"
# Who `wechat-pub simulate` speaks as: answered like a follower, but no follower (not in what followers asked)
SIMULATOR_OPENID = "o_wechat_pub_simulate"


def delivery_key(appid: str, message: dict[str, str]) -> str | None:
    """(account, FromUserName, MsgId) for messages, (account, FromUserName, CreateTime, Event) for events,
    hashed: one key per delivery, whatever worker or host it reaches."""
    sender = message.get("FromUserName", "")
    if message.get("MsgId"):
        raw = f"msg:{appid}:{sender}:{message['MsgId']}"
    elif message.get("MsgType") == "event":
        raw = (f"event:{appid}:{sender}:{message.get('CreateTime', '')}:{message.get('Event', '')}:"
               f"{message.get('EventKey', '')}")
        job = message.get("MsgID") or message.get("publish_id")  # two sends or publishes may end in one second
        if job:
            raw += f":{job}"
    else:
        return None
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class WebhookRoutes:
    """WSGI middleware in front of the web app: each account's webhook path (with or without a trailing slash)
    is answered here, straight from the WSGI environ; everything else (the console, /healthz) goes on to the
    app. A follower's message needs nothing of a web framework, and at thousands of messages a second its
    request and session machinery would cost more than the answer does."""

    def __init__(self, app, bots: dict[str, Bot], max_body: int, refusals: RefusalLog | None = None):
        self.app = app
        self.max_body = max_body
        self.paths = {(bot.settings.path.rstrip("/") or "/"): bot for bot in bots.values()}
        self.refusals = refusals or RefusalLog()

    def __call__(self, environ, start_response):
        bot = self.paths.get(environ.get("PATH_INFO", "").rstrip("/") or "/")
        if bot is None:
            return self.app(environ, start_response)
        body, status, content_type = self.answer(bot, environ)
        if status >= 400:
            self.refusals.refused(environ.get("REMOTE_ADDR", ""), status, body)
        data = body.encode("utf-8")
        start_response(_STATUS[status], [("Content-Type", content_type), ("Content-Length", str(len(data)))])
        return [data]

    def answer(self, bot: Bot, environ) -> tuple[str, int, str]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "POST"):
            return "method not allowed", 405, _PLAIN
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return "bad Content-Length", 400, _PLAIN
        if length < 0:  # (read(-1) would read to the end of the connection, however far)
            return "bad Content-Length", 400, _PLAIN
        if length > self.max_body:  # WeChat's messages are a few KB
            return "request body too large", 413, _PLAIN
        body = environ["wsgi.input"].read(length) if length else b""
        args = query_args(environ.get("QUERY_STRING", ""))
        try:
            return bot.handle(method, args, body)
        except ProtocolError as exc:  # logged by the caller, at most once a minute per address
            return exc.reason, exc.status, _PLAIN
        except Exception:  # never a traceback to WeChat: log it, and say nothing it would show
            log.exception("webhook failed")
            return "success", 200, _PLAIN


def query_args(query_string: str) -> dict[str, str]:
    """The first value of each parameter (WeChat sends each once: signature, timestamp, nonce, …)."""
    args: dict[str, str] = {}
    for pair in query_string.split("&"):
        name, _, value = pair.partition("=")
        if "%" in pair or "+" in pair:
            name, value = unquote_plus(name), unquote_plus(value)
        if name and name not in args:
            args[name] = value
    return args


_PLAIN = "text/plain; charset=utf-8"
_STATUS = {200: "200 OK", 400: "400 Bad Request", 403: "403 Forbidden", 405: "405 Method Not Allowed",
           413: "413 Request Entity Too Large"}


def init_app(app: Flask, bots: dict[str, Bot], max_body: int, clock: Clock = SYSTEM_CLOCK) -> None:
    """Serve the webhook of every account (name -> its bot), each at its own path, in front of ``app``; refused
    requests are logged at most once a minute per address (``clock`` tells the minutes)."""
    app.extensions["wechat_pub.bots"] = bots
    routes = WebhookRoutes(app.wsgi_app, bots, max_body, RefusalLog(clock))
    quiet_access_log(set(routes.paths))
    app.wsgi_app = routes
