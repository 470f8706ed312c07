"""Tokens: ``token`` (the old API: a new token ends the old ones 5 minutes later) and ``stable_token``
(one token shared by every caller; ``force_refresh`` at most 20 times a day)."""

from __future__ import annotations

from flask import request

from wechat_pub.sandbox.api import WxError, body, check_credentials, endpoint, state


@endpoint("token", methods=("GET",), token=False)
def get_token():
    if request.args.get("grant_type") != "client_credential":
        raise WxError(40002, "invalid grant_type")
    appid = check_credentials(request.args.get("appid"), request.args.get("secret"))
    token, expires_at = state().issue_token(appid, "plain")
    return {"access_token": token, "expires_in": round(expires_at - state().now())}


@endpoint("stable_token", token=False)
def stable_token():
    data = body()
    if data.get("grant_type") != "client_credential":
        raise WxError(40002, "invalid grant_type")
    appid = check_credentials(data.get("appid"), data.get("secret"))
    now = state().now()
    current = state().newest_token(appid, "stable")
    if data.get("force_refresh"):
        recent = state().force_refreshes_today(appid)
        if len(recent) >= 20:
            raise WxError(45009)
        if not (recent and now - max(recent) < 30):  # within 30 s it just does not refresh
            state().note_force_refresh(appid)
            state().expire_tokens(appid, "stable")
            current = None
    if current is None or current["expires_at"] - now <= 300:
        token, expires_at = state().issue_token(appid, "stable")  # the old one stays valid until its own expiry
        return {"access_token": token, "expires_in": round(expires_at - now)}
    return {"access_token": current["token"], "expires_in": round(current["expires_at"] - now)}


