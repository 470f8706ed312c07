"""草稿箱 (draft box): https://developers.weixin.qq.com/doc/subscription/api/draftbox/draftmanage/api_draft_add"""

from __future__ import annotations

from wechat_pub.wechat.base import APIGroup


class Draft(APIGroup):
    def add(self, articles: list[dict]) -> str:
        """``draft/add``: a new draft of 1-8 articles; returns its media_id. Never retried blindly: a lost
        answer may still have created the draft (the push pipeline reconciles instead)."""
        return self._post("draft/add", {"articles": articles}, retry=False)["media_id"]

    def get(self, media_id: str) -> list[dict]:
        """``draft/get``: the draft's articles (``news_item``)."""
        return self._post("draft/get", {"media_id": media_id})["news_item"]

    def update(self, media_id: str, index: int, article: dict) -> None:
        """``draft/update``: replace article ``index`` (0-based); the key is 'articles' but holds one article."""
        self._post("draft/update", {"media_id": media_id, "index": index, "articles": article})

    def delete(self, media_id: str) -> None:
        """``draft/delete``: irreversible."""
        self._post("draft/delete", {"media_id": media_id})

    def count(self) -> int:
        """``draft/count`` (GET)."""
        return self._get("draft/count")["total_count"]

    def batchget(self, offset: int = 0, count: int = 20, no_content: bool = False) -> dict:
        """``draft/batchget``: a page of drafts (at most 20)."""
        return self._post("draft/batchget", {"offset": offset, "count": count, "no_content": int(no_content)})
