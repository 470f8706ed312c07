"""WeChat's message-push protocol (reference/webhook.md §1-2): signatures, the AES envelope of safe
mode, hardened XML parsing, and reply XML that nothing in an article can break."""

from __future__ import annotations

import codecs
import hashlib
import hmac
import re
import time
from functools import lru_cache
from xml.parsers import expat

from wechat_pub.bot.crypto import CryptoError, MessageCipher

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
        age = abs((time.time() if now is None else now) - int(timestamp))
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


class _Refused(Exception):
    pass


def _refuse(*_args) -> None:
    raise _Refused


_INFO_FIELDS = ("publish_id", "publish_status", "article_id")


def parse_xml(body: bytes) -> dict[str, str]:
    """The message's top-level fields (and PublishEventInfo's; MASSSENDJOBFINISH's CheckState and ArticleUrls). Parsed with expat the way defusedxml hardens
    it, without the ElementTree it builds (a message is a dozen flat fields, parsed a thousand times a
    second): a DTD, an entity declaration or an external reference is refused wherever it appears and in
    whatever encoding, so no XML bomb or external entity is ever expanded."""
    text = decode_body(body)
    fields: dict[str, str] = {}
    urls: list[str] = []
    mass_urls: list[str] = []
    path: list[str] = []
    chunks: list[str] = []
    leaf = False  # whether the element just opened has no child element (yet)

    def start(name, _attrs):
        nonlocal leaf
        if not path and name != "xml":
            raise ProtocolError(400, "not a WeChat message")
        path.append(name)
        leaf = True
        chunks.clear()

    def end(name):
        nonlocal leaf
        depth = len(path)
        if leaf and depth == 2:
            fields[name] = "".join(chunks).strip()
        elif depth >= 3 and path[1] == "ArticleUrlResult" and name == "ArticleUrl":  # MASSSENDJOBFINISH's links
            mass_urls.append("".join(chunks).strip())
        elif depth == 3 and path[1] == "CopyrightCheckResult" and name == "CheckState":
            fields["CheckState"] = "".join(chunks).strip()
        elif depth >= 3 and path[1] == "PublishEventInfo":
            if name == "article_url":
                urls.append("".join(chunks).strip())
            elif depth == 3 and name == "fail_idx":  # one element per failed article
                fields["fail_idx"] = " ".join(filter(None, (fields.get("fail_idx", ""), "".join(chunks).strip())))
            elif depth == 3 and name in _INFO_FIELDS:
                fields[name] = "".join(chunks).strip()
        path.pop()
        leaf = False
        chunks.clear()

    parser = expat.ParserCreate(encoding="utf-8")  # the text is decoded already: its declaration no longer counts
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = chunks.append
    try:
        parser.Parse(text, True)
    except _Refused:
        raise ProtocolError(400, "DTDs and entities are not accepted") from None
    except expat.ExpatError:
        raise ProtocolError(400, "malformed XML") from None
    if "PublishEventInfo" in fields or any(key in fields for key in _INFO_FIELDS) or urls:
        fields.pop("PublishEventInfo", None)
        for key in _INFO_FIELDS:
            fields.setdefault(key, "")
        fields["article_urls"] = "\n".join(urls)
    if mass_urls:
        fields["mass_article_urls"] = "\n".join(mass_urls)
    return fields


# The envelope's one field we need, found without parsing the (not yet authenticated) body as XML: Encrypt's
# base64 text. Only the decrypted message, whose signature is checked, is parsed.
_ENCRYPT = re.compile(rb"<Encrypt>\s*(?:<!\[CDATA\[([A-Za-z0-9+/=]+)\]\]>|([A-Za-z0-9+/=]+))\s*</Encrypt>")


class Envelope:
    """Safe mode: decrypt what comes in, encrypt what goes out, with the account's key (one cipher per process)."""

    def __init__(self, token: str, aes_key: str, appid: str):
        self.token, self.aes_key, self.appid = token, aes_key, appid
        try:
            self.cipher = MessageCipher(aes_key, appid)
        except ValueError as exc:
            raise ValueError(f"the EncodingAESKey is not valid ({exc})") from None

    def open(self, body: bytes, msg_signature: str, timestamp: str, nonce: str) -> bytes:
        """The message inside a safe- or compatible-mode body, once its msg_signature checks out."""
        if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
            raise ProtocolError(400, "DTDs and entities are not accepted")
        found = _ENCRYPT.search(body)
        if found is None:
            raise ProtocolError(400, "no Encrypt element")
        encrypted = (found.group(1) or found.group(2)).decode("ascii")
        check_signature(self.token, msg_signature, timestamp, nonce, encrypted)
        try:
            return self.cipher.decrypt(encrypted)
        except CryptoError as exc:
            if "app id" in str(exc):
                raise ProtocolError(403, "message for another app id") from None
            raise ProtocolError(400, "cannot decrypt") from None

    def seal(self, xml: str, nonce: str, timestamp: str, prefix: bytes | None = None) -> str:
        """The reply envelope: Encrypt, its MsgSignature, and the request's timestamp and nonce echoed."""
        encrypted = self.cipher.encrypt(xml.encode("utf-8"), prefix)
        stamp = timestamp if timestamp.isdigit() else str(int(time.time()))
        return (f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
                f"<MsgSignature><![CDATA[{signature(self.token, stamp, nonce, encrypted)}]]></MsgSignature>"
                f"<TimeStamp>{stamp}</TimeStamp><Nonce>{cdata(nonce)}</Nonce></xml>")

    def unseal(self, body: str) -> str:
        """The XML inside a reply envelope, its MsgSignature checked (what a client of the webhook does)."""
        fields = parse_xml(body.encode("utf-8"))
        check_signature(self.token, fields.get("MsgSignature", ""), fields.get("TimeStamp", ""),
                        fields.get("Nonce", ""), fields.get("Encrypt", ""))
        try:
            return self.cipher.decrypt(fields.get("Encrypt", "")).decode("utf-8")
        except CryptoError:
            raise ProtocolError(400, "cannot decrypt") from None


@lru_cache(maxsize=4096)  # a reply's text is the same object for every follower who asks the same thing
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
    return Envelope(token, aes_key, appid).unseal(body)
