"""The WeChat official-account API client (on wechatpy), one module per API group. The client is imported when
first named, so that importing an error class does not load wechatpy and requests."""

__all__ = ["WeChatAPI", "WeChatAPIError", "NetworkError"]


def __getattr__(name: str):
    if name == "WeChatAPI":
        from wechat_pub.wechat.client import WeChatAPI

        return WeChatAPI
    if name in ("WeChatAPIError", "NetworkError"):
        from wechat_pub.wechat import errors

        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
