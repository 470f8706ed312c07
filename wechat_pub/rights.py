"""What may this account do? For draft, publish, send, preview and analytics: whether the account may call the
API, and today's quota left, from ``openapi/quota/get`` (which answers 48001 for an API the account has no right
to, without spending a call of it: reference/wechat-reach.md §5; 76021/76022: unknown). ``wechat-pub doctor`` prints
it; the console hides or explains what the account cannot do, from the same answer kept a few minutes."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from wechat_pub.wechat.errors import NetworkError, WeChatAPIError

CAPABILITIES = {  # what the team does -> the API that does it
    "draft": "/cgi-bin/draft/add",
    "publish": "/cgi-bin/freepublish/submit",
    "send": "/cgi-bin/message/mass/sendall",
    "preview": "/cgi-bin/message/mass/preview",
    "analytics": "/datacube/getarticletotaldetail",
}
UNKNOWN_PATH = (76021, 76022)
KEEP_SECONDS = 600  # the console asks again after this long


@dataclass(frozen=True)
class Right:
    capability: str
    allowed: bool | None  # None: WeChat would not say
    remain: int | None = None
    limit: int | None = None
    why: str = ""

    def words(self) -> str:
        if self.allowed is None:
            return f"{self.capability}: unknown ({self.why})"
        if not self.allowed:
            return f"{self.capability}: not allowed ({self.why})"
        left = f"; {self.remain} of {self.limit} left today" if self.limit else ""
        return f"{self.capability}: allowed{left}"


@dataclass(frozen=True)
class Rights:
    by_capability: dict[str, Right]
    error: str = ""  # the account could not be asked at all (credentials, IP whitelist, network)

    def may(self, capability: str) -> bool:
        """Offer it? Yes unless WeChat said no (an unknown answer does not hide a button)."""
        right = self.by_capability.get(capability)
        return right is None or right.allowed is not False

    @property
    def hand_path(self) -> bool:
        """Drafts only: publishing and sending are done by hand in mp.weixin.qq.com, then marked here."""
        return not self.may("publish") and not self.may("send")


def ask_rights(api) -> Rights:
    """One quota/get per capability; a failure to reach WeChat at all is kept as ``error``."""
    rights = {}
    for capability, path in CAPABILITIES.items():
        try:
            quota = api.openapi.quota(path)
        except WeChatAPIError as exc:
            if exc.errcode == 48001:
                rights[capability] = Right(capability, False, why=_unverified(capability))
            elif exc.errcode in UNKNOWN_PATH:
                rights[capability] = Right(capability, None, why="WeChat does not say for this API")
            else:
                return Rights(rights, str(exc))
        except NetworkError as exc:
            return Rights(rights, str(exc))
        else:
            rights[capability] = Right(capability, True, int(quota.get("remain", 0)),
                                       int(quota.get("daily_limit", 0)))
    return Rights(rights)


def _unverified(capability: str) -> str:
    if capability in ("publish", "send"):
        return f"the account is not verified: {capability} by hand in mp.weixin.qq.com, then mark it here"
    return "the account is not verified (48001)"


_kept: dict[str, tuple[float, Rights]] = {}
_asking: set[str] = set()
_lock = threading.Lock()


def site_rights(site, wait: bool = True) -> Rights:
    """The account's rights as last asked (within KEEP_SECONDS). ``wait=False`` (the issue pages): never wait on
    WeChat; an answer not yet had is asked in the background, and meanwhile unknown (every button offered)."""
    now = site.clock.time()
    with _lock:
        kept = _kept.get(site.appid)
    if kept is not None and now - kept[0] < KEEP_SECONDS:
        return kept[1]
    if wait:
        return _ask(site)
    with _lock:
        start = site.appid not in _asking
        _asking.add(site.appid)
    if start:
        threading.Thread(target=_ask, args=(site,), daemon=True).start()
    return kept[1] if kept is not None else Rights({})


def _ask(site) -> Rights:
    with site.connect() as account:
        account.api.retry_window = 2.0  # a page must not wait out WeChat's trouble: unknown rights offer every button
        try:
            rights = ask_rights(account.api)
        except Exception as exc:  # the token could not be had (credentials, whitelist): say so, offer everything
            rights = Rights({}, str(exc))
    with _lock:
        _kept[site.appid] = (site.clock.time(), rights)
        _asking.discard(site.appid)
    return rights


def forget_rights(appid: str | None = None) -> None:
    with _lock:
        if appid is None:
            _kept.clear()
        else:
            _kept.pop(appid, None)
