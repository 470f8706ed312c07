"""The API client: wechatpy's ``WeChatClient`` with the calls 1.8.18 lacks and its known faults guarded.

- The token comes from ``stable_token`` (or ``token`` by config) at the configured base URL, not the
  hard-coded real host wechatpy uses; it is kept in the shared token storage with its expiry and
  refreshed before it expires, under a shared lock, so one refresh serves every process.
- A token error (40001/40014/42001) refreshes and retries once, never in a loop.
- Uploads are rebuilt from bytes for every attempt, so a retry never sends an empty file.
- -1, 45011 and network errors are retried with exponential backoff within a bounded time,
  except for calls whose outcome a lost answer leaves unknown (draft/add, freepublish/submit). 45009 (the
  day's quota) is not retried: it lasts until midnight Beijing time.
- Every failure becomes a :class:`WeChatAPIError` or :class:`NetworkError` that says what to do.
"""

from __future__ import annotations

import io
import json
import logging
import time
from typing import Any, Callable

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from wechat_pub.wechat.datacube import DataCube
from wechat_pub.wechat.draft import Draft
from wechat_pub.wechat.errors import RETRYABLE, TOKEN_ERRORS, NetworkError, WeChatAPIError
from wechat_pub.wechat.freepublish import FreePublish
from wechat_pub.wechat.mass import Mass
from wechat_pub.wechat.material import Material
from wechat_pub.wechat.media import Media
from wechat_pub.wechat.openapi import OpenAPI

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300  # stable_token hands out the next token in the last 5 minutes; refresh then


def usable_token(entry: dict | None, now: float) -> str | None:
    """The kept token while it has more than :data:`REFRESH_MARGIN` seconds left; None when it must be refreshed."""
    if entry and entry["expires_at"] - now > REFRESH_MARGIN:
        return entry["token"]
    return None


class WeChatAPI(WeChatClient):
    """``client.draft.add(...)``, ``client.media.uploadimg(...)``: one attribute per API group."""

    def __init__(self, appid: str, secret: str, tokens, locks, base_url: str = "https://api.weixin.qq.com/cgi-bin/",
                 token_mode: str = "stable", retry_window: float = 30.0, timeout: float = 15.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 sandbox: bool = False):
        """``tokens``: token storage (get/set/delete); ``locks``: shared locks (``lock(name)``), so one
        process refreshes the token for all; ``sandbox``: ``base_url`` is wechat-pub's sandbox (its errors' hints
        say so)."""
        self.sandbox = sandbox
        super().__init__(appid, secret, session=tokens, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = base_url if base_url.endswith("/") else base_url + "/"
        # datacube/* lives beside cgi-bin/ (https://api.weixin.qq.com/datacube/...), also in the sandbox
        self.api_root = self.API_BASE_URL.removesuffix("cgi-bin/")
        self.locks = locks
        self.token_mode = token_mode
        self.retry_window = retry_window
        self.sleep = sleep
        self.clock = clock
        self.draft = Draft(self)
        self.freepublish = FreePublish(self)
        self.material = Material(self)
        self.media = Media(self)
        self.mass = Mass(self)
        self.openapi = OpenAPI(self)
        self.datacube = DataCube(self)

    # ---- the access token -------------------------------------------------------------------------

    @property
    def access_token_key(self) -> str:
        return f"{self.appid}_access_token"  # wechatpy's session key

    @property
    def access_token(self) -> str:
        entry = self.session.get(self.access_token_key)
        return usable_token(entry, self.clock()) or self.refresh_token(stale=entry["token"] if entry else None)

    def refresh_token(self, stale: str | None = None) -> str:
        """A fresh token; under a lock shared by processes, and only if nobody refreshed meanwhile."""
        with self.locks.lock(f"token:{self.appid}", lease=60, wait=60):
            entry = self.session.get(self.access_token_key)
            if entry and entry["token"] != stale and usable_token(entry, self.clock()):
                return entry["token"]
            return self.fetch_access_token()["access_token"]

    def fetch_access_token(self) -> dict:
        """Fetch a token at the configured base URL (wechatpy's own always goes to the real host)."""
        endpoint = "stable_token" if self.token_mode == "stable" else "token"
        credentials = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        result = self._with_retries(endpoint, lambda: self._fetch_once(endpoint, credentials), retry=True)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, {"token": result["access_token"],
                                                 "expires_at": self.clock() + expires_in}, expires_in)
        self.expires_at = int(self.clock()) + expires_in
        log.info("fetched a new access token from %s (valid %d s)", endpoint, expires_in)
        return result

    def _fetch_once(self, endpoint: str, credentials: dict) -> dict:
        url = self.API_BASE_URL + endpoint
        if endpoint == "stable_token":
            body = json.dumps({**credentials, "force_refresh": False}).encode()
            response = self._http.post(url, data=body, timeout=self.timeout,
                                       headers={"Content-Type": "application/json"})
        else:  # the plain token API takes the secret in the query string: WeChat's design, not ours
            response = self._http.get(url, params=credentials, timeout=self.timeout)
        response.raise_for_status()
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""), client=self)
        return result

    # ---- calls ------------------------------------------------------------------------------------

    def call(self, method: str, endpoint: str, *, json: dict | None = None, params: dict | None = None,
             files: dict[str, tuple[str, bytes, str]] | None = None, retry: bool = True, context: str = "") -> Any:
        """One API call with the guards described in the module docstring."""
        token_retried = False
        while True:
            token = self.access_token
            try:
                return self._with_retries(endpoint, lambda: self._call_once(method, endpoint, token, json, params,
                                                                            files), retry, context)
            except WeChatAPIError as exc:
                if exc.errcode in TOKEN_ERRORS and not token_retried:
                    token_retried = True  # once: a server that keeps refusing must not loop us
                    self.refresh_token(stale=token)
                    continue
                raise

    def _call_once(self, method: str, endpoint: str, token: str, data: dict | None, params: dict | None,
                   files: dict | None) -> Any:
        kwargs: dict[str, Any] = {"params": {**(params or {}), "access_token": token}}
        if data is not None:
            kwargs["data"] = data
        if files:  # new file objects from the bytes for every attempt: wechatpy's retry sent them empty
            kwargs["files"] = {name: (filename, io.BytesIO(content), mime)
                               for name, (filename, content, mime) in files.items()}
        target = self.api_root + endpoint if endpoint.startswith("datacube/") else endpoint
        return self._request(method, target, **kwargs)

    def _with_retries(self, endpoint: str, attempt: Callable[[], Any], retry: bool, context: str = "") -> Any:
        """Repeat ``attempt`` on transient failures, backing off, until ``retry_window`` runs out. A call
        WeChat refused for quota did nothing and is always safe to repeat; other transient failures are
        repeated only when ``retry`` (draft/add must not run twice when its answer was merely lost)."""
        deadline = self.clock() + self.retry_window
        delay = 0.5
        while True:
            try:
                return attempt()
            except (WeChatClientException, requests.RequestException) as exc:
                failure, transient, refused = self._failure(exc, endpoint, context)
            if not (transient and (retry or refused)) or self.clock() + delay > deadline:
                raise failure from None
            log.warning("%s: %s; retrying in %.1f s", endpoint, failure.message, delay)
            self.sleep(delay)
            delay = min(delay * 2, 8.0)

    def _failure(self, exc: Exception, endpoint: str, context: str) -> tuple[Exception, bool, bool]:
        """(the error to show, is it transient, was the call refused without effect)."""
        if isinstance(exc, requests.RequestException):
            return NetworkError(endpoint, _reason(exc), self.API_BASE_URL), True, False
        if exc.errcode is None:  # an HTTP error status from a proxy or gateway
            return NetworkError(endpoint, f"HTTP {_status(exc)}", self.API_BASE_URL), True, False
        code = int(exc.errcode)
        error = WeChatAPIError(code, str(exc.errmsg), endpoint, context)
        if code == 40013 and self.sandbox:  # (an account added after the sandbox started)
            error.hint = error.action = (f"The sandbox at {self.API_BASE_URL} does not know this account (app id "
                                         f"{self.appid}): it was started before the account was added. Restart "
                                         "`wechat-pub run` (or `wechat-pub sandbox`), then try again.")
        error.result = _answer(exc)
        return error, code in RETRYABLE, code in (45009, 45011)


def _answer(exc: WeChatClientException) -> dict:
    """WeChat's whole JSON answer to a refused call (some errors carry more than errcode and errmsg)."""
    try:
        answer = exc.response.json()
    except (AttributeError, ValueError):
        return {}
    return answer if isinstance(answer, dict) else {}


def _status(exc: WeChatClientException) -> str:
    response = getattr(exc, "response", None)
    return str(response.status_code) if response is not None else "error"


def _reason(exc: requests.RequestException) -> str:
    """What went wrong, without the URL (a token or, for /token, the secret rides in its query)."""
    if isinstance(exc, requests.Timeout):
        return "no answer in time"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    return type(exc).__name__
