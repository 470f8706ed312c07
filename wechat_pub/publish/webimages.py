"""Images an article links on the web, downloaded once at push time, from public addresses only.

An article is written by whoever holds an editor's password, so ``![x](http://127.0.0.1:6379/)`` or
``cover: http://169.254.169.254/…`` must not make the server fetch its own or its network's services, nor tell
by its error which ports answer. :func:`download_image` decides:

- only ``http:``/``https:`` addresses (:func:`~wechat_pub.urls.link_host`: one host, whoever reads them) whose
  host resolves to public (global) addresses only;
- redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each hop checked the same way;
- at most :data:`~wechat_pub.limits.MATERIAL_IMAGE_MAX_BYTES` are read, and they must be a JPEG, PNG or GIF;
- every refusal and failure gives the same message, so the answer says nothing about the network behind.

Each hop is fetched from the address that was checked, the name not looked up again (a name answering a public
address to the check and a private one to the fetch, DNS rebinding, gets nowhere)."""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin

import urllib3
from requests import certs
from urllib3.util import parse_url

from wechat_pub.limits import MATERIAL_IMAGE_MAX_BYTES
from wechat_pub.urls import link_host

MAX_REDIRECTS = 3


class NotDownloadable(Exception):
    """The image at this address is not one wechat-pub may download (the reason stays inside)."""


def is_public_host(host: str, resolve=socket.getaddrinfo) -> bool:
    """True when every address ``host`` resolves to is a public one (not loopback, private, link-local…)."""
    return bool(public_addresses(host, resolve))


def public_addresses(host: str, resolve=socket.getaddrinfo, public=None) -> list[str]:
    """The addresses ``host`` resolves to, in the order given, when every one is public (``public(address)``: by
    default :func:`is_public_address`); else none."""
    public = public or is_public_address
    try:
        addresses = list(dict.fromkeys(info[4][0].split("%", 1)[0] for info in resolve(host, None)))
        return addresses if addresses and all(public(address) for address in addresses) else []
    except (OSError, UnicodeError, ValueError):
        return []


# IPv6 prefixes that carry an IPv4 address a gateway forwards to: NAT64's (the well-known one and the local-use
# one, RFC 6052/8215). Python counts them global whatever IPv4 address they carry (64:ff9b::7f00:1 is 127.0.0.1).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
# Never public whatever Python says: IPv4-compatible (deprecated, RFC 4291: ::127.0.0.1), IPv4-translated (SIIT,
# RFC 2765: ::ffff:0:7f00:1), site-local (deprecated, RFC 3879, still routed inside some networks), multicast.
_NEVER_PUBLIC = tuple(ipaddress.ip_network(net) for net in ("::/96", "::ffff:0:0:0/96", "fec0::/10", "ff00::/8",
                                                            "224.0.0.0/4"))


def is_public_address(address: str) -> bool:
    """Whether ``address`` is a public (global) one, and so is any IPv4 address it carries: an IPv6 address of 6to4
    (2002:7f00:1::), NAT64 or an IPv4-mapped one reaches that IPv4 address through a gateway, so
    2002:a9fe:a9fe:: is the cloud's metadata service as much as 169.254.169.254 is."""
    ip = ipaddress.ip_address(address)
    if not ip.is_global or any(ip in net for net in _NEVER_PUBLIC if net.version == ip.version):
        return False
    if ip.version == 4:
        return True
    if ip in _NAT64[1]:  # (the local-use NAT64 prefix is a network's own)
        return False
    carried = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
    if carried is None and ip in _NAT64[0]:
        carried = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return carried is None or carried.is_global


def download_image(url: str, timeout: float = 20, resolve=socket.getaddrinfo, public=None) -> bytes:
    """The bytes at ``url``, following at most :data:`MAX_REDIRECTS` checked redirects; raises
    :class:`NotDownloadable` for anything but a public address that answers with at most 10 MB, within three times
    ``timeout`` in all (a server sending a byte now and then holds no push for long). Each hop is fetched from an
    address that was checked, tried in the order given until one answers (the name is not looked up again: a name
    that answers a public address to the check and a private one to the fetch, DNS rebinding, gets nowhere)."""
    deadline = time.monotonic() + 3 * timeout
    for _ in range(MAX_REDIRECTS + 1):
        host = link_host(url)
        addresses = public_addresses(host, resolve, public) if host else []
        if not addresses:
            raise NotDownloadable(url)
        try:
            found = _fetch(url, addresses, timeout, deadline)
        except urllib3.exceptions.HTTPError:
            raise NotDownloadable(url) from None
        if isinstance(found, bytes):
            return found
        url = found  # redirected
    raise NotDownloadable(url)


def _fetch(url: str, addresses: list[str], timeout: float, deadline: float) -> bytes | str:
    """The bytes at ``url`` from the first of ``addresses`` that takes the connection, or where it redirects to."""
    parts = parse_url(url)
    for index, address in enumerate(addresses):
        left = deadline - time.monotonic()
        if left <= 0:
            raise NotDownloadable(url)
        try:
            with _pool_for(url, address, min(timeout, left)) as pool:
                response = pool.urlopen("GET", parts.request_uri, redirect=False, preload_content=False,
                                        headers={"Host": parts.netloc, "User-Agent": "wechat-pub"})
                if response.status in (301, 302, 303, 307, 308):
                    return urljoin(url, _header_text(response.headers.get("Location", "")))
                if response.status != 200:
                    raise NotDownloadable(url)
                return _read_capped(response, url, deadline)
        except (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError):
            if index == len(addresses) - 1:  # (the host's other addresses are tried, as a browser would)
                raise
    raise NotDownloadable(url)


def _header_text(value: str) -> str:
    """A header's value as the server meant it: UTF-8 bytes that HTTP's rules read as Latin-1 (/图片.jpg)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _pool_for(url: str, address: str, timeout: float):
    """Connections to ``address`` (the checked address of the host of ``url``) that speak as the host itself: its
    name in the Host header (set by the caller) and, over https, in the TLS handshake and the certificate's check.
    (Not through a proxy: $HTTPS_PROXY does not apply to these downloads.)"""
    parts = parse_url(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False, "maxsize": 1}
    if parts.scheme == "https":
        return urllib3.HTTPSConnectionPool(address, port, server_hostname=parts.host, assert_hostname=parts.host,
                                           cert_reqs="CERT_REQUIRED", ca_certs=certs.where(), **options)
    return urllib3.HTTPConnectionPool(address, port, **options)


def _read_capped(response, url: str, deadline: float) -> bytes:
    data = bytearray()
    for chunk in response.stream(64 * 1024):
        data += chunk
        if len(data) > MATERIAL_IMAGE_MAX_BYTES or time.monotonic() > deadline:
            raise NotDownloadable(url)
    return bytes(data)
