"""WeChat error codes as exceptions that say what happened and what to do (reference/wechat-api.md §7)."""

from __future__ import annotations

import re

from wechat_pub.errors import ExitStatus, WechatPubError

# errcode -> (meaning, what to do)
HINTS: dict[int, tuple[str, str]] = {
    -1: ("WeChat is busy (system error)", "Try again in a minute."),
    40001: ("the access token or AppSecret is not valid",
            "Check wechat.secret; if it is right, another tool may have reset the token: run the command again."),
    40002: ("invalid grant_type or argument", "This is a wechat-pub bug; please report it."),
    40004: ("invalid media type", "This is a wechat-pub bug; please report it."),
    40005: ("WeChat does not accept this file type", "Use JPEG or PNG images."),
    40006: ("invalid file size", "Use a smaller image."),
    40007: ("invalid media_id (missing, temporary, deleted or from another account)",
            "If the draft was deleted or published in WeChat, push again: a new draft is created."),
    40009: ("the image is too large", "Body images must be JPEG/PNG under 1 MB; wechat-pub re-encodes them."),
    40013: ("the AppID is not valid", "Check wechat.appid (WECHAT_PUB_WECHAT__APPID)."),
    40014: ("the access token is not valid", "Run the command again; the token is refreshed."),
    40033: ("the request had \\uXXXX escapes", "This is a wechat-pub bug; please report it."),
    40113: ("unsupported image format", "Use JPEG or PNG images."),
    40125: ("the AppSecret is not valid", "Check wechat.secret (WECHAT_PUB_WECHAT__SECRET) in mp.weixin.qq.com → "
                                         "设置与开发 → 基本配置."),
    40164: ("this server's IP address is not in the account's IP whitelist", ""),  # hint built from errmsg
    41001: ("the access token is missing", "This is a wechat-pub bug; please report it."),
    41002: ("the AppID is missing", "Set wechat.appid (WECHAT_PUB_WECHAT__APPID)."),
    41004: ("the AppSecret is missing", "Set wechat.secret (WECHAT_PUB_WECHAT__SECRET)."),
    41005: ("the upload had no file data", "The image file is empty or unreadable; save it again."),
    42001: ("the access token expired", "Run the command again; the token is refreshed."),
    43002: ("the API needs POST", "This is a wechat-pub bug; please report it."),
    44003: ("the draft has no articles", "Check the article file has sections and items."),
    45002: ("an article's content is too long (20,000 characters or 1 MB)",
            "Run 'wechat-pub check' on the file: it splits long issues; shorten the item it names."),
    45003: ("the title is too long", "Set a 'wechat_title:' of at most 32 characters."),
    45004: ("the digest is too long", "Shorten 'digest:' to at most 128 characters."),
    45008: ("too many articles in one draft", "A draft holds at most 8 articles; move items to another issue."),
    45009: ("the account's daily quota for this API is used up",
            "Wait until tomorrow (quotas reset at midnight Beijing time), or reset it in mp.weixin.qq.com."),
    45011: ("too many calls this minute", "Wait a minute and run it again."),
    45110: ("the author is too long", "Shorten 'author:' to at most 16 characters."),
    45166: ("WeChat rejected the content", "Run 'wechat-pub check' and fix what it reports."),
    48001: ("this account may not use this API",
            "Personal and unverified accounts cannot publish through the API (since July 2025); drafts still "
            "work: publish the draft by hand in mp.weixin.qq.com → 草稿箱, or push without --publish."),
    48004: ("the API is banned for this account", "Check the account's status in mp.weixin.qq.com."),
    50002: ("the account is restricted", "Check the account's status in mp.weixin.qq.com."),
    53503: ("the draft did not pass WeChat's publishing check", "Open the draft in mp.weixin.qq.com to see why."),
    53504: ("the draft must be published from the WeChat website", "Publish it by hand in mp.weixin.qq.com."),
    53505: ("the draft must be saved by hand before publishing", "Open and save it in mp.weixin.qq.com, then publish."),
    88000: ("the account may not open comments", "Set 'comments: off' in the article's front matter."),
    # mass send and phone preview (reference/wechat-reach.md §2-§3; wechat_pub/wechat/mass.py)
    40003: ("WeChat does not know this follower", "Check the WeChat ID (微信号) in your console profile."),
    40152: ("WeChat does not know this tag id", "Use the tag's id from mp.weixin.qq.com → 用户管理 → 标签 "
                                                "(--tag or schedule.send_to_tag), or send to everyone."),
    43004: ("this WeChat ID does not follow the account", "Follow the account with that WeChat ID first (a preview "
                                                         "only goes to a follower), or fix the ID in your profile."),
    45028: ("today's send is used (subscription accounts may send once a day; service accounts' followers get 4 a "
            "month)", "Send again after the quota resets (midnight Beijing time), or send it by hand later."),
    45062: ("accounts that show ads cannot mass-send through the API", "Send it by hand in mp.weixin.qq.com, then "
                                                                       "run `wechat-pub mark-sent FILE --url URL`."),
    45065: ("WeChat already has this send (the same clientmsgid)", "Nothing was sent twice."),
    45066: ("this send was made less than a minute ago (the same clientmsgid)",
            "Wait a minute and run it again: wechat-pub then learns the send's msg_id; nothing is sent twice."),
    45067: ("the clientmsgid is too long", "This is a wechat-pub bug; please report it."),
    48021: ("the draft was last saved by WeChat's system", "Open the draft in mp.weixin.qq.com → 草稿箱, save it, "
                                                          "then send again."),
    76021: ("WeChat does not know this API path (quota/get)", "The check is unknown for this API; nothing to do."),
    76022: ("this API path may not be asked about (quota/get)", "The check is unknown for this API; nothing to do."),
    61500: ("the date is not a valid date (YYYY-MM-DD)", "This is a wechat-pub bug; please report it."),
    61501: ("the date range is not accepted (the end date is yesterday at the latest)",
            "This is a wechat-pub bug; please report it."),
    89504: ("the send waits for an administrator's confirmation (群发保护)",
            "An administrator of the account must confirm it within 30 minutes on their phone (the message from "
            "公众号安全助手 in WeChat); it goes out then. Do not send again: `wechat-pub status` shows when it ends."),
    89505: ("a send is already waiting for an administrator's confirmation (群发保护)",
            "Ask an administrator of the account to confirm or refuse the pending send on their phone (公众号安全助手 "
            "in WeChat) first, then run it again."),
}

# The same code means something else for some APIs: (errcode, endpoint prefix) -> (meaning, what to do)
ENDPOINT_HINTS: dict[tuple[int, str], tuple[str, str]] = {
    (48001, "message/mass/"): ("not verified: this account may not send or preview through the API",
                               "Send it by hand in mp.weixin.qq.com (草稿箱 → 群发), then mark it sent here "
                               "(`wechat-pub mark-sent FILE --url URL`, or 'Mark sent' in the console)."),
    (48001, "datacube/"): ("analytics need a verified account: WeChat gives its data APIs to verified accounts only",
                           "Verify the account in mp.weixin.qq.com → 设置与开发 → 账号设置 (微信认证); until then "
                           "read the figures in mp.weixin.qq.com → 数据分析."),
    (48001, "openapi/quota/get"): ("this account may not call the API it asked about", "See `wechat-pub doctor`."),
}

RETRYABLE = {-1, 45011}  # retried at once: not 45009, a daily quota lasts the day and seconds do not help
# worth another attempt minutes later (the scheduler's): also 45009, which a person may reset in mp.weixin.qq.com
RETRY_LATER = RETRYABLE | {45009}
TOKEN_ERRORS = {40001, 40014, 42001}


class WeChatAPIError(WechatPubError):
    """WeChat answered with an error code."""

    exit_status = ExitStatus.WECHAT

    def __init__(self, errcode: int, errmsg: str, endpoint: str, context: str = ""):
        meaning, action = endpoint_hint(errcode, endpoint) or HINTS.get(errcode, (
            "WeChat refused the request", "See the error code in WeChat's documentation."))
        if errcode == 40164:
            action = whitelist_hint(errmsg)
        where = f" ({context})" if context else ""
        super().__init__(f"WeChat {endpoint} failed{where}: {meaning} [errcode {errcode}: {_short(errmsg)}]", action)
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint
        self.meaning = meaning
        self.action = action
        self.result: dict = {}  # WeChat's whole answer (45065 carries the first send's msg_id)


class NetworkError(WechatPubError):
    """The API could not be reached, or the answer was lost."""

    exit_status = ExitStatus.NETWORK

    def __init__(self, endpoint: str, reason: str, base_url: str = ""):
        super().__init__(f"Could not reach WeChat's {endpoint}: {reason}.",
                         f"Check the network and wechat.base_url ({base_url}); nothing was lost, run it again.")
        self.endpoint = endpoint


def endpoint_hint(errcode: int, endpoint: str) -> tuple[str, str] | None:
    return next((hint for (code, prefix), hint in ENDPOINT_HINTS.items()
                 if code == errcode and endpoint.startswith(prefix)), None)


def whitelist_hint(errmsg: str) -> str:
    found = re.search(r"invalid ip ([0-9a-fA-F.:]+)", errmsg)
    ip = found.group(1) if found else "this server's public IP"
    return (f"Add {ip} to the IP whitelist in mp.weixin.qq.com → 设置与开发 → 基本配置 → IP白名单 "
            "(it takes a few minutes), then run the command again.")


def _short(errmsg: str) -> str:
    """errmsg without WeChat's request id suffix ('rid: ...'), which means nothing to a user."""
    return re.sub(r"\s*(rid|hint):.*$", "", str(errmsg)).strip() or str(errmsg)
