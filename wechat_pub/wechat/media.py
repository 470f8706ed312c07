"""图文消息内的图片 (images inside articles): https://developers.weixin.qq.com/doc/subscription/api/material/permanent/api_uploadimage.html"""

from __future__ import annotations

from wechat_pub.wechat.base import APIGroup


class Media(APIGroup):
    def uploadimg(self, filename: str, content: bytes, mime: str = "image/jpeg") -> str:
        """``media/uploadimg``: a JPEG/PNG under 1 MB for use inside article content; returns its URL."""
        return self.client.call("post", "media/uploadimg", files={"media": (filename, content, mime)})["url"]
