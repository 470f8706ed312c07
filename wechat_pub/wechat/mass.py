"""群发 (mass send) and phone preview: https://developers.weixin.qq.com/doc/service/api/notify/message/api_sendall.html
(reference/wechat-reach.md §2-§3)."""

from __future__ import annotations

from dataclasses import dataclass

from wechat_pub.wechat.base import APIGroup
from wechat_pub.wechat.errors import WeChatAPIError

CLIENTMSGID_EXISTS = 45065


@dataclass(frozen=True)
class SendAccepted:
    msg_id: str  # '' when WeChat said "already sent" without naming the first send
    msg_data_id: str
    repeated: bool  # WeChat had this clientmsgid already: this is the first send's answer, nothing new was sent


class Mass(APIGroup):
    def sendall(self, media_id: str, clientmsgid: str, tag_id: int | None = None) -> SendAccepted:
        """``message/mass/sendall`` of a draft (mpnews) to everyone or to one tag. Success means the job was
        accepted; the outcome comes by MASSSENDJOBFINISH or :meth:`get`. Never retried here (a lost answer
        leaves the send unknown); a rerun with the same ``clientmsgid`` is answered with 45065 and the first
        send's msg_id, which this returns as ``repeated``."""
        audience = {"is_to_all": True} if tag_id is None else {"is_to_all": False, "tag_id": tag_id}
        data = {"filter": audience, "mpnews": {"media_id": media_id}, "msgtype": "mpnews", "send_ignore_reprint": 0,
                "clientmsgid": clientmsgid}
        try:
            result = self._post("message/mass/sendall", data, retry=False)
        except WeChatAPIError as exc:
            if exc.errcode != CLIENTMSGID_EXISTS:
                raise
            return SendAccepted(str(exc.result.get("msg_id") or ""), str(exc.result.get("msg_data_id") or ""), True)
        return SendAccepted(str(result["msg_id"]), str(result.get("msg_data_id") or ""), False)

    def preview(self, media_id: str, wechat_id: str) -> str:
        """``message/mass/preview`` to one follower by WeChat ID (towxname): costs no send; 100 a day."""
        data = {"towxname": wechat_id, "mpnews": {"media_id": media_id}, "msgtype": "mpnews"}
        return str(self._post("message/mass/preview", data, retry=False).get("msg_id", ""))

    def get(self, msg_id: str) -> str:
        """``message/mass/get``: SENDING, SEND_SUCCESS, SEND_FAIL or DELETE."""
        return str(self._post("message/mass/get", {"msg_id": str(msg_id)})["msg_status"])

    def delete(self, msg_id: str, article_idx: int = 0) -> None:
        """``message/mass/delete``: remove a sent article from followers' chats (article_idx 0: all of them)."""
        self._post("message/mass/delete", {"msg_id": int(msg_id), "article_idx": article_idx}, retry=False)
