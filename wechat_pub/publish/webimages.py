"""Images an article links on the web, downloaded once at push time, from public addresses only.

An article is written by whoever holds an editor's password, so ``![x](http://127.0.0.1:6379/)`` or
``cover: http://169.254.169.254/…`` must not make the server fetch its own or its network's services, nor tell
by its error which ports answer. :func:`download_image` decides:

- only ``http:``/``https:`` addresses (:func:`~wechat_pub.urls.link_host`: one host, whoever reads them) whose
  host resolves to public (global) addresses only;
- redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each hop checked the same way;
- at most :data:`~wechat_pub.limits.MATERIAL_IMAGE_MAX_BYTES` are read, and they must be a JPEG, PNG or GIF;
- every refusal and failure gives the same message, so the answer says nothing about the network behind.

Left open: a host whose name resolves to a public address when checked and to a private one when connected
(DNS rebinding) would need the connection pinned to the checked address; an editor cannot set up such a name
from the console alone."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urljoin

import requests

from wechat_pub.limits import MATERIAL_IMAGE_MAX_BYTES
from wechat_pub.urls import link_host

MAX_REDIRECTS = 3


class NotDownloadable(Exception):
    """The image at this address is not one wechat-pub may download (the reason stays inside)."""


def is_public_host(host: str, resolve=socket.getaddrinfo) -> bool:
    """True when every address ``host`` resolves to is a public one (not loopback, private, link-local…)."""
    try:
        addresses = {info[4][0] for info in resolve(host, None)}
    except (OSError, UnicodeError):
        return False
    return bool(addresses) and all(ipaddress.ip_address(a.split("%", 1)[0]).is_global for a in addresses)


def download_image(url: str, timeout: float = 20, resolve=socket.getaddrinfo) -> bytes:
    """The bytes at ``url``, following at most :data:`MAX_REDIRECTS` checked redirects; raises
    :class:`NotDownloadable` for anything but a public address that answers with at most 10 MB."""
    for _ in range(MAX_REDIRECTS + 1):
        host = link_host(url)
        if host is None or not is_public_host(host, resolve):
            raise NotDownloadable(url)
        try:
            with requests.get(url, timeout=timeout, allow_redirects=False, stream=True) as response:
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("Location", ""))
                    continue
                response.raise_for_status()
                return _read_capped(response)
        except requests.RequestException:
            raise NotDownloadable(url) from None
    raise NotDownloadable(url)


def _read_capped(response) -> bytes:
    data = bytearray()
    for chunk in response.iter_content(64 * 1024):
        data += chunk
        if len(data) > MATERIAL_IMAGE_MAX_BYTES:
            raise NotDownloadable(response.url)
    return bytes(data)
