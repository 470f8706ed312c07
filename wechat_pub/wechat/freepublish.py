"""发布 (publishing): https://developers.weixin.qq.com/doc/subscription/api/public/api_freepublish_submit.html"""

from __future__ import annotations

from wechat_pub.wechat.base import APIGroup


class FreePublish(APIGroup):
    def submit(self, media_id: str) -> str:
        """``freepublish/submit``: start publishing a draft; returns the publish_id (success means the job
        was accepted, the result comes by PUBLISHJOBFINISH or ``get``)."""
        return str(self._post("freepublish/submit", {"media_id": media_id}, retry=False)["publish_id"])

    def get(self, publish_id: str) -> dict:
        """``freepublish/get``: the job's status (0 published, 1 publishing, 2-6 failed or removed)."""
        return self._post("freepublish/get", {"publish_id": publish_id})

    def getarticle(self, article_id: str) -> list[dict]:
        """``freepublish/getarticle``: a published article's items."""
        return self._post("freepublish/getarticle", {"article_id": article_id})["news_item"]

    def batchget(self, offset: int = 0, count: int = 20, no_content: bool = False) -> dict:
        """``freepublish/batchget``: a page of published articles."""
        return self._post("freepublish/batchget", {"offset": offset, "count": count, "no_content": int(no_content)})

    def delete(self, article_id: str, index: int = 0) -> None:
        """``freepublish/delete``: index is 1-based; 0 deletes every article. Irreversible."""
        self._post("freepublish/delete", {"article_id": article_id, "index": index})
