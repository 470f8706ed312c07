"""The emulated official-account API under ``/cgi-bin/``, as reference/wechat-api.md describes it: HTTP 200 with
``errcode`` bodies, token lifetimes, field limits, sanitising, quotas and faults.

This module holds what every endpoint shares (the blueprint, the :func:`endpoint` wrapper, errors, the caller's
token); one module per API group holds the endpoints, as in wechatpy: :mod:`.tokens`, :mod:`.material`,
:mod:`.drafts`, :mod:`.publishing`."""

from __future__ import annotations

import functools
import json
import re
import secrets
import socket
import time
from typing import Callable

from flask import Blueprint, Response, current_app, g, request

from wechat_pub.sandbox.state import SandboxState

api = Blueprint("sandbox_api", __name__, url_prefix="/cgi-bin")

MESSAGES = {
    -1: "system error", 40001: "invalid credential, access_token is invalid or not latest", 40002: "invalid argument",
    40004: "invalid media type", 40005: "invalid file type", 40006: "invalid file size", 40007: "invalid media_id",
    40009: "invalid image size", 40012: "invalid thumb size", 40013: "invalid appid", 40113: "unsupported file type", 40114: "invalid index value",
    40125: "invalid appsecret", 41001: "access_token missing", 41002: "appid missing", 41004: "appsecret missing",
    41005: "media data missing", 42001: "access_token expired", 43002: "require POST method",
    44003: "empty news data", 45002: "content size out of limit", 45003: "title size out of limit",
    45004: "description size out of limit", 45005: "url size out of limit", 45008: "article size out of limit",
    45009: "reach max api daily quota limit", 45011: "api minute-quota reach limit, must slower, retry next minute",
    45110: "author size out of limit", 47001: "data format error", 48001: "api unauthorized",
    61500: "date format error", 61501: "date range error",
    53600: "Article ID 无效",
}

NOT_LATEST = ("invalid credential, access_token is invalid or not latest, could get access_token by "
              "getStableAccessToken, more details at https://mmbizurl.cn/s/JtxxFh33r")  # recorded, §11
_UNICODE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")


class WxError(Exception):
    def __init__(self, errcode: int, errmsg: str = ""):
        super().__init__(errcode)
        self.errcode = errcode
        self.errmsg = errmsg or MESSAGES.get(errcode, "error")


def state() -> SandboxState:
    return current_app.extensions["wechat_pub.sandbox"]


def caller() -> str:
    """The app id of the account whose access token this call carries."""
    return g.appid


def reply(payload: dict, errcode: int = 0) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=200,
                    content_type="application/json; encoding=utf-8")


def error_reply(exc: WxError) -> Response:
    rid = f"{int(time.time()):08x}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
    return reply({"errcode": exc.errcode, "errmsg": f"{exc.errmsg} rid: {rid}"})


def endpoint(name: str, methods=("POST",), token: bool = True, on: Blueprint = api) -> Callable:
    """Wrap a handler with what every WeChat endpoint does: faults, token, quota, errors, the call log.
    ``on``: the blueprint it is served from (``/cgi-bin/`` unless said otherwise; datacube has its own)."""

    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def wrapped():
            errcode = 0
            try:
                if request.method not in methods:
                    raise WxError(43002)
                fault = state().take_fault(name)
                if fault is not None and fault["kind"] != "drop_after":
                    apply_fault(fault)
                if token:
                    check_token()
                if token and fault is not None and fault["kind"] == "quota":  # a daily quota lasts the day
                    state().use_up_quota(caller(), name)
                if token and not state().take_quota(caller(), name):
                    raise WxError(45009)
                response = reply(handler())
                if fault is not None and fault["kind"] == "drop_after":  # done, but the answer never arrives
                    drop_connection()
                return response
            except WxError as exc:
                errcode = exc.errcode
                return error_reply(exc)
            finally:
                state().log_call(name, errcode)

        on.add_url_rule(f"/{name.split('/', 1)[1] if on is not api else name}", name.replace("/", "_"), wrapped,
                        methods=["GET", "POST"])
        return wrapped

    return decorate


def apply_fault(fault) -> None:
    kind = fault["kind"]
    if kind == "slow":
        time.sleep(fault["seconds"] or 3)
        return
    if kind == "drop":
        drop_connection()
        raise WxError(-1)  # never delivered: the socket is gone
    if kind == "quota" and request.path.rsplit("/", 1)[-1] not in ("token", "stable_token"):
        return  # used up for the caller's day once the token says whose (see endpoint)
    codes = {"expired_token": 42001, "invalid_token": 40001, "busy": -1, "quota": 45009, "minute_quota": 45011}
    if kind in codes:
        raise WxError(codes[kind])
    if kind.startswith("errcode:"):
        code = int(kind.split(":", 1)[1])
        if code == 40164:  # WeChat names the caller's address
            ip = request.remote_addr
            raise WxError(code, f"invalid ip {ip} ipv6 ::ffff:{ip}, not in whitelist")
        raise WxError(code)


def drop_connection() -> None:
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


def check_token() -> None:
    value = request.args.get("access_token", "")
    if not value:
        raise WxError(41001)
    row = state().token(value)
    if row is None:
        raise WxError(40001)
    if row["expires_at"] <= state().now():
        raise WxError(40001, NOT_LATEST) if state().superseded(row) else WxError(42001)
    g.appid = row["appid"]


def body() -> dict:
    """The JSON body, whatever the Content-Type (wechatpy sends none). A ``\\uXXXX`` escape is kept as those six
    characters, as WeChat stores it (reference/wechat-api.md §11), not decoded."""
    raw = request.get_data()
    if not raw:
        return {}
    try:
        data = json.loads(_UNICODE_ESCAPE.sub(r"\1\\\\u\2", raw.decode("utf-8")))
    except (UnicodeDecodeError, ValueError):
        raise WxError(47001) from None
    if not isinstance(data, dict):
        raise WxError(47001)
    return data


def check_credentials(appid: str | None, secret: str | None) -> str:
    """The account these credentials open (its app id), or WeChat's error."""
    if not appid:
        raise WxError(41002)
    if not secret:
        raise WxError(41004)
    account = state().settings.account(appid)
    if account is None:
        raise WxError(40013)
    if secret != account.secret:
        raise WxError(40125)
    if not state().take_quota(appid, request.path.rsplit("/", 1)[-1]):
        raise WxError(45009)
    return appid
