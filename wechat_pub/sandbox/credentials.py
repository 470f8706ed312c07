"""The app id and secret the built-in sandbox gives an account without credentials of its own: the one rule
the sites (which log in with them) and the sandbox's settings (which accept them) share."""

from __future__ import annotations

from wechat_pub.config import DEFAULT_ACCOUNT

SANDBOX_APPID = "wx_sandbox"
SANDBOX_SECRET = "sandbox-secret"


def sandbox_credentials(account: str) -> tuple[str, str]:
    """(app id, secret) of ``account`` (a name of the config's accounts) in the sandbox."""
    if account == DEFAULT_ACCOUNT:
        return SANDBOX_APPID, SANDBOX_SECRET
    return f"{SANDBOX_APPID}_{account}", f"{SANDBOX_SECRET}-{account}"
