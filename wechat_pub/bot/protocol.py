"""WeChat's message-push protocol (reference/webhook.md §1-2): signatures, the AES envelope of safe
mode, hardened XML parsing, and reply XML that nothing in an article can break."""

from __future__ import annotations

import codecs
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class ProtocolError(Exception):
    """A request WeChat would never send: answered with ``status`` and nothing else."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(*parts: str) -> str:
    """sha1 of the sorted parts joined: ``signature`` (token, timestamp, nonce) and ``msg_signature``
    (the same plus the Encrypt text)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(token: str, given: str, timestamp: str, nonce: str, *extra: str) -> None:
    expected = signature(token, timestamp, nonce, *extra)
    if not given or not hmac.compare_digest(expected, given.lower()):
        raise ProtocolError(403, "bad signature")


def check_fresh(timestamp: str, max_skew: float, now: float | None = None) -> None:
    """Refuse replays of old requests (WeChat's own retries reuse the timestamp within ~15 s)."""
    if max_skew <= 0:
        return
    try:
        age = abs((now or time.time()) - int(timestamp))
    except ValueError:
        raise ProtocolError(403, "bad timestamp") from None
    if age > max_skew:
        raise ProtocolError(403, "stale timestamp")


_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def decode_body(body: bytes) -> str:
    """The request body as text: by its byte-order mark, else its declared encoding, else UTF-8. An encoding
    Python does not know, or bytes that are not what they claim, are refused with 400."""
    encoding = next((name for bom, name in _BOMS if body.startswith(bom)), None)
    if encoding is None and body[:4] in (b"<\x00?\x00", b"\x00<\x00?"):  # UTF-16 without a mark
        encoding = "utf-16-le" if body[0:1] == b"<" else "utf-16-be"
    if encoding is None:
        declared = _DECLARED.match(body[:200])
        encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        codecs.lookup(encoding)
        return body.decode(encoding)
    except LookupError:
        raise ProtocolError(400, f"unknown encoding {encoding[:40]!r}") from None
    except UnicodeDecodeError:
        raise ProtocolError(400, f"the body is not valid {encoding[:40]}") from None


def parse_xml(body: bytes) -> dict[str, str]:
    """The message's top-level fields (and PublishEventInfo's). The parser (defusedxml) refuses any DTD,
    entity or external reference wherever it appears and in whatever encoding, so no XML bomb or external
    entity is ever expanded."""
    try:
        root = SafeET.fromstring(decode_body(body), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise ProtocolError(400, "DTDs and entities are not accepted") from None
    except (ParseError, ValueError):
        raise ProtocolError(400, "malformed XML") from None
    if root.tag != "xml":
        raise ProtocolError(400, "not a WeChat message")
    fields = {child.tag: (child.text or "").strip() for child in root if len(child) == 0}
    info = root.find("PublishEventInfo")
    if info is not None:
        fields["publish_id"] = (info.findtext("publish_id") or "").strip()
        fields["publish_status"] = (info.findtext("publish_status") or "").strip()
        fields["article_id"] = (info.findtext("article_id") or "").strip()
        fields["article_urls"] = "\n".join((u.text or "").strip() for u in info.iter("article_url"))
    return fields


@dataclass
class Envelope:
    """Safe mode: decrypt what comes in, encrypt what goes out, with the account's key."""

    token: str
    aes_key: str
    appid: str

    def __post_init__(self):
        try:
            self.crypto = WeChatCrypto(self.token, self.aes_key, self.appid)
        except Exception as exc:  # a key that is not 43 base64 characters
            raise ValueError(f"the EncodingAESKey is not valid ({type(exc).__name__})") from None

    def open(self, body: bytes, msg_signature: str, timestamp: str, nonce: str) -> bytes:
        fields = parse_xml(body)
        encrypted = fields.get("Encrypt", "")
        if not encrypted:
            raise ProtocolError(400, "no Encrypt element")
        check_signature(self.token, msg_signature, timestamp, nonce, encrypted)
        try:
            xml = self.crypto.decrypt_message(body.decode("utf-8"), msg_signature, timestamp, nonce)
        except InvalidSignatureException:
            raise ProtocolError(403, "bad msg_signature") from None
        except InvalidAppIdException:
            raise ProtocolError(403, "message for another app id") from None
        except Exception:
            raise ProtocolError(400, "cannot decrypt") from None
        return xml.encode("utf-8")

    def seal(self, xml: str, nonce: str, timestamp: str) -> str:
        return self.crypto.encrypt_message(xml, nonce, timestamp)


def cdata(text: str) -> str:
    """Text inside CDATA: ``]]>`` split across two sections, characters XML forbids removed."""
    clean = _CONTROL.sub("", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    return (f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{now or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content></xml>")


def news_reply(to_user: str, from_user: str, title: str, description: str, pic_url: str, url: str,
               now: int | None = None) -> str:
    """One article: the only size WeChat allows in answer to a follower's message."""
    return (f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
            f"<CreateTime>{now or int(time.time())}</CreateTime><MsgType><![CDATA[news]]></MsgType>"
            f"<ArticleCount>1</ArticleCount><Articles><item><Title>{cdata(title)}</Title>"
            f"<Description>{cdata(description)}</Description><PicUrl>{cdata(pic_url)}</PicUrl>"
            f"<Url>{cdata(url)}</Url></item></Articles></xml>")


def signed_message(xml: str, token: str, mode: str = "plain", aes_key: str = "", appid: str = "",
                   timestamp: str | None = None, nonce: str | None = None) -> tuple[dict[str, str], bytes]:
    """The query string and body WeChat sends for ``xml`` in ``mode`` (plain, compat or safe): what the
    sandbox's events and ``wechat-pub simulate`` send, and what tests forge."""
    import secrets

    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(secrets.randbelow(10**9))
    openid = (re.search(r"<FromUserName><!\[CDATA\[(.*?)\]\]>", xml) or [None, ""])[1]
    params = {"signature": signature(token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce,
              "openid": openid}
    if mode == "plain":
        return params, xml.encode("utf-8")
    encrypted = Envelope(token, aes_key, appid).seal(xml, nonce, timestamp)
    encrypted_text = re.search(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", encrypted).group(1)
    params.update(encrypt_type="aes", msg_signature=signature(token, timestamp, nonce, encrypted_text))
    to_user = (re.search(r"<ToUserName><!\[CDATA\[(.*?)\]\]>", xml) or [None, ""])[1]
    envelope = f"<Encrypt>{cdata(encrypted_text)}</Encrypt>"
    if mode == "compat":  # compatible mode: the plain fields and the Encrypt element together
        return params, xml.replace("</xml>", envelope + "</xml>").encode("utf-8")
    return params, f"<xml><ToUserName>{cdata(to_user)}</ToUserName>{envelope}</xml>".encode("utf-8")


def open_reply(body: str, token: str, aes_key: str, appid: str) -> str:
    """The XML inside a reply: decrypted (and its signature checked) when it is an Encrypt envelope."""
    if "<Encrypt>" not in body:
        return body
    fields = parse_xml(body.encode("utf-8"))
    return Envelope(token, aes_key, appid).crypto.decrypt_message(
        body, fields.get("MsgSignature", ""), fields.get("TimeStamp", ""), fields.get("Nonce", ""))
