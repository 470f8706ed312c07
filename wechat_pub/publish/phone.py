"""Preview an issue on a phone (``message/mass/preview`` to a WeChat ID): the draft is pushed if needed, then
WeChat sends it to that one follower, as the followers would get it. It costs no send; 100 a day."""

from __future__ import annotations

import re

from wechat_pub import model as m
from wechat_pub.errors import WechatPubError
from wechat_pub.state.previews import PREVIEWS_A_DAY

# WeChat IDs (微信号): 6-20 letters, digits, '-' or '_', starting with a letter; older ones are wxid_…
WECHAT_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{5,39}")


def check_wechat_id(wechat_id: str) -> str:
    wechat_id = (wechat_id or "").strip()
    if not WECHAT_ID.fullmatch(wechat_id):
        raise WechatPubError(f"{wechat_id[:40]!r} is not a WeChat ID.",
                             "Give the WeChat ID (微信号) shown in WeChat → Me: 6 to 20 letters, digits, - or _, "
                             "starting with a letter; the phone's owner must follow the account.")
    return wechat_id


def preview_on_phone(site, account, issue: m.Issue, wechat_id: str, by: str = "", progress=None) -> int:
    """Send the issue's draft to ``wechat_id``'s phone; returns how many previews are left today."""
    wechat_id = check_wechat_id(wechat_id)
    if site.previews.left_today() <= 0:
        raise WechatPubError(f"today's {PREVIEWS_A_DAY} phone previews are used.",
                             "Preview again after midnight Beijing time, or look at the preview in the console.")
    pushed = site.pusher(account, progress=progress).push(issue)
    account.api.mass.preview(pushed.media_id or site.pushes.get(issue.number).draft_media_id, wechat_id)
    site.previews.sent(issue.number, wechat_id, by)
    return site.previews.left_today()
