"""The shape every API group shares: a thin class over the client's ``call``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from wechat_pub.wechat.client import WeChatAPI


class APIGroup:
    def __init__(self, client: "WeChatAPI"):
        self.client = client

    def _post(self, endpoint: str, data: dict, **options):
        return self.client.call("post", endpoint, json=data, **options)

    def _get(self, endpoint: str, **options):
        return self.client.call("get", endpoint, **options)
