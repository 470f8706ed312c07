"""A connection to one WeChat account: the API client, how messages name the account, and the sandbox serving
it when the account has no credentials. :meth:`wechat_pub.site.Site.connect` makes one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wechat_pub.wechat import WeChatAPI

if TYPE_CHECKING:  # pragma: no cover
    from wechat_pub.sandbox.server import RunningSandbox


@dataclass
class Account:
    api: WeChatAPI
    name: str  # how messages name the account: 'the sandbox', or the account and its app id
    sandbox: "RunningSandbox | None" = None

    @property
    def appid(self) -> str:
        return self.api.appid

    def __enter__(self) -> "Account":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release: the sandbox, if one was started, belongs to the deployment."""
