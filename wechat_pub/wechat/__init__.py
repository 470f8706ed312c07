"""The WeChat official-account API client (on wechatpy), one module per API group."""

from wechat_pub.wechat.client import WeChatAPI
from wechat_pub.wechat.errors import NetworkError, WeChatAPIError

__all__ = ["WeChatAPI", "WeChatAPIError", "NetworkError"]
