"""API quotas and rights: https://developers.weixin.qq.com/doc/service/api/apimange/api_getapiquota.html
(reference/wechat-reach.md §5)."""

from __future__ import annotations

from wechat_pub.wechat.base import APIGroup


class OpenAPI(APIGroup):
    def quota(self, cgi_path: str) -> dict:
        """``openapi/quota/get``: ``{"daily_limit", "used", "remain"}`` of one API for this account today. An API
        the account has no right to answers 48001 here too, without costing a call of that API."""
        return self._post("openapi/quota/get", {"cgi_path": cgi_path}, retry=False)["quota"]
