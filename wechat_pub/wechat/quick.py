"""The access token as the client keeps it, and one read-only API call on the standard library alone: what an
unchanged re-push needs (:mod:`wechat_pub.publish.unchanged`), a whole run of which takes less time than importing
wechatpy and requests. The client (:mod:`.client`) keeps its token by the same key and rule.

The call here never retries, refreshes or explains: any failure is :class:`CallFailed`, and the caller goes the
whole way through the client, which does all three."""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse

REFRESH_MARGIN = 300  # stable_token hands out the next token in the last 5 minutes; refresh then
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy")


class CallFailed(Exception):
    """No usable answer (the network, an HTTP status, an errcode, a proxy this call does not go through)."""


def token_key(appid: str) -> str:
    """Where the account's token is kept in the token storage (wechatpy's session key)."""
    return f"{appid}_access_token"


def usable_token(entry: dict | None, now: float) -> str | None:
    """The kept token while it has more than :data:`REFRESH_MARGIN` seconds left; None when it must be refreshed."""
    if entry and entry["expires_at"] - now > REFRESH_MARGIN:
        return entry["token"]
    return None


def post(base_url: str, endpoint: str, token: str, data: dict, timeout: float = 5.0) -> dict:
    """POST ``data`` as JSON to ``endpoint`` at ``base_url`` (…/cgi-bin/): WeChat's answer."""
    if any(os.environ.get(name) or os.environ.get(name.upper()) for name in PROXY_VARIABLES):
        raise CallFailed("a proxy is configured")  # requests goes through it; http.client would not
    url = urllib.parse.urlsplit(base_url)
    if url.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(url.hostname, url.port,
                                                                             timeout=timeout,
                                                                             context=_tls_context())
    elif url.scheme == "http":
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    else:
        raise CallFailed(f"unsupported base URL scheme {url.scheme!r}")
    path = f"{url.path.rstrip('/')}/{endpoint}?{urllib.parse.urlencode({'access_token': token})}"
    try:
        connection.request("POST", path, body=json.dumps(data, ensure_ascii=False).encode(),
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise CallFailed(type(exc).__name__) from None
    finally:
        connection.close()
    if response.status != 200:
        raise CallFailed(f"HTTP {response.status}")
    try:
        answer = json.loads(body)
    except ValueError:
        raise CallFailed("not JSON") from None
    if not isinstance(answer, dict) or answer.get("errcode"):
        raise CallFailed(f"errcode {answer.get('errcode') if isinstance(answer, dict) else '?'}")
    return answer


def _tls_context():
    """Certificates as requests checks them (certifi's), else the system's."""
    import ssl

    try:
        import certifi
    except ImportError:  # pragma: no cover - requests brings certifi
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())
