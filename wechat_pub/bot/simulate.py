"""`wechat-pub simulate`: be WeChat for a moment. Sign (and encrypt) a follower's message, post it to a
running webhook, and show the reply decrypted."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import requests

from wechat_pub.bot.protocol import ProtocolError, cdata, open_reply, parse_xml, signed_message
from wechat_pub.bot.webhook import SIMULATOR_OPENID, WebhookSettings
from wechat_pub.errors import WechatPubError

SIMULATED_OPENID = "o_simulated_follower_0001"  # a follower's messages in tests and benches


@dataclass
class Simulation:
    status: int
    seconds: float
    mode: str
    raw: str
    shown: str


def message_xml(text: str, account: str, event: str | None = None, now: int | None = None,
                sender: str = SIMULATED_OPENID) -> str:
    now = now or int(time.time())
    head = (f"<xml><ToUserName>{cdata(account)}</ToUserName><FromUserName>{cdata(sender)}</FromUserName>"
            f"<CreateTime>{now}</CreateTime>")
    if event:
        return head + f"<MsgType><![CDATA[event]]></MsgType><Event>{cdata(event)}</Event>" \
                      f"<EventKey>{cdata(text)}</EventKey></xml>"
    return head + f"<MsgType><![CDATA[text]]></MsgType><Content>{cdata(text)}</Content>" \
                  f"<MsgId>{random.randrange(10**15, 10**16)}</MsgId></xml>"


def simulate(settings: WebhookSettings, url: str, text: str, mode: str | None = None,
             event: str | None = None) -> Simulation:
    """Be WeChat for one message to the account whose webhook ``settings`` are given (as no follower: the query
    is answered, not counted in what followers asked)."""
    token, aes_key, appid = settings.token, settings.aes_key, settings.appid
    mode = mode or settings.mode
    if mode != "plain" and not aes_key:
        raise WechatPubError(f"{mode} mode needs webhook.aes_key.", "Set WECHAT_PUB_WEBHOOK__AES_KEY (43 characters).")
    xml = message_xml(text, "gh_simulated", event, sender=SIMULATOR_OPENID)
    params, body = signed_message(xml, token, mode, aes_key, appid)
    start = time.perf_counter()
    try:
        response = requests.post(url, params=params, data=body, timeout=10, headers={"Content-Type": "text/xml"})
    except requests.RequestException as exc:
        raise WechatPubError(f"Cannot reach the webhook at {url}: {type(exc).__name__}.",
                             "Start it with `wechat-pub serve` (or `wechat-pub run`) and check --url.") from None
    seconds = time.perf_counter() - start
    return Simulation(response.status_code, seconds, mode, response.text, show(response, token, aes_key, appid))


def show(response: requests.Response, token: str, aes_key: str, appid: str) -> str:
    if response.status_code != 200:
        return f"refused: {response.text}"
    if response.text in ("success", ""):
        return "(no reply: the webhook answered 'success')"
    try:
        xml = open_reply(response.text, token, aes_key, appid)
        fields = parse_xml(xml.encode("utf-8"))
    except (ProtocolError, Exception) as exc:  # a broken reply is exactly what simulate must reveal
        return f"the reply is not valid for WeChat ({type(exc).__name__}): {response.text[:200]}"
    if fields.get("MsgType") == "news":
        import defusedxml.ElementTree as SafeET

        item = SafeET.fromstring(xml).find("Articles/item")
        return "\n".join(f"{tag}: {item.findtext(tag)}" for tag in ("Title", "Description", "Url", "PicUrl"))
    return fields.get("Content", xml)
