"""永久素材 (permanent material): https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_addmaterial.html"""

from __future__ import annotations

from wechat_pub.wechat.base import APIGroup


class Material(APIGroup):
    def add_material(self, kind: str, filename: str, content: bytes, mime: str = "image/jpeg") -> dict:
        """``material/add_material``: upload a permanent file (``kind`` image, voice, video or thumb);
        returns ``{media_id, url}``. The bytes are re-sent whole on every retry."""
        return self.client.call("post", "material/add_material", params={"type": kind},
                                files={"media": (filename, content, mime)})

    def get_materialcount(self) -> dict:
        """``material/get_materialcount`` (GET)."""
        return self._get("material/get_materialcount")

    def batchget_material(self, kind: str = "image", offset: int = 0, count: int = 20) -> dict:
        """``material/batchget_material``: a page of permanent material (at most 20)."""
        return self._post("material/batchget_material", {"type": kind, "offset": offset, "count": count})

    def del_material(self, media_id: str) -> None:
        """``material/del_material``: irreversible."""
        self._post("material/del_material", {"media_id": media_id})
