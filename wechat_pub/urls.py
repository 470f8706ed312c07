"""Which URLs from outside may be shown as a link (:func:`safe_link`), and where the console may send a browser
back to (:func:`console_target`): one rule each, for every template, handler and setting.

URLs reach wechat-pub from WeChat's events (``PUBLISHJOBFINISH``'s ``article_url``), its API, articles and
settings; a link with a ``javascript:`` (or ``data:``, ``vbscript:``…) address runs in the console's origin when
clicked. Only absolute ``https:`` and ``http:`` addresses with a host pass (WeChat's articles are
``https://mp.weixin.qq.com/s/…``; the sandbox's are ``http://127.0.0.1:…``).

A link's host is read by :func:`link_host` alone (what the renderer keeps as a WeChat link, what a push may
download): an address that two readers would send to two different hosts is no link at all. Python's ``urlsplit``
reads ``http://127.0.0.1:8765\\@8.8.8.8/`` as a link to 8.8.8.8, while requests (urllib3) and every browser stop
the host at the backslash and go to 127.0.0.1.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import idna
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

LINK_SCHEMES = ("https", "http")


def safe_link(url: object) -> str | None:
    """``url`` (trimmed) when it may be shown as a link, else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    # no control characters or spaces: browsers drop tabs and newlines inside a scheme ("java\tscript:"); no
    # backslash: browsers and urllib3 read it as "/", urlsplit does not (see link_host)
    if not url or "\\" in url or any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url):
        return None
    try:
        parts = urlsplit(url)
        theirs = parse_url(url)  # what requests connects to
    except (ValueError, LocationParseError):  # e.g. an unclosed IPv6 bracket
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.hostname:
        return None
    if (theirs.host or "").strip("[]").lower() != _ascii(parts.hostname):
        return None
    return url


def _ascii(host: str) -> str | None:
    """``host`` as urllib3 (and browsers) write it: a name in Chinese (例子.测试) or with ß as its IDNA 2008 form
    (xn--…), not Python's codec's IDNA 2003 one (which reads straße.de as strasse.de, another host)."""
    try:
        return host if host.isascii() else idna.encode(host, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError):
        return None


def link_host(url: object) -> str | None:
    """The host (lower case, a name in its xn-- form) ``url`` leads to, as requests connects to it, when it is a
    :func:`safe_link`; else None."""
    link = safe_link(url)
    return _ascii(urlsplit(link).hostname) if link else None


def safe_links(urls: list[str]) -> list[str]:
    """Those of ``urls`` that may be shown as links, in order."""
    return [link for link in map(safe_link, urls) if link]


CONSOLE_PREFIX = "/console/"


def console_target(target: object) -> str | None:
    """``target`` when the console may redirect there (a sign-in's ``next``, a form's ``back``): a path on the
    console itself, else None. Refused: any scheme or host (``https://evil.example``, ``//evil.example``), a
    backslash (browsers read ``/\\evil.example`` as ``//evil.example``), control characters (CR/LF would split the
    Location header), and ``.`` or ``..`` segments that climb out of ``/console/``."""
    if not isinstance(target, str) or not target.startswith(CONSOLE_PREFIX):
        return None
    if "//" in target or "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    segments = unquote(parts.path).split("/")
    if any(segment in (".", "..") or "\\" in segment for segment in segments):
        return None
    return target
