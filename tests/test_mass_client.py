"""The client's mass send, preview and quota calls against the sandbox, and what their errors say (issue 23)."""

from __future__ import annotations

import pytest
import requests

from conftest import api_client, jpeg_bytes
from wechat_pub.wechat.errors import WeChatAPIError


@pytest.fixture
def client_and_draft(sandbox, tmp_path):
    client = api_client(sandbox, tmp_path)
    thumb = client.material.add_material("image", "c.jpg", jpeg_bytes())["media_id"]
    media_id = client.call("post", "draft/add", json={"articles": [{"title": "周报", "content": "<p>正文</p>",
                                                                     "thumb_media_id": thumb}]})["media_id"]
    return client, media_id


def test_send_twice_with_one_clientmsgid_is_one_send(sandbox, client_and_draft):
    client, media_id = client_and_draft
    first = client.mass.sendall(media_id, "acct-135-v1")
    assert first.msg_id and not first.repeated
    sandbox.advance(120)
    again = client.mass.sendall(media_id, "acct-135-v1")
    assert again.repeated and again.msg_id == first.msg_id
    assert client.mass.get(first.msg_id) in ("SENDING", "SEND_SUCCESS")


def test_quota_and_unverified_errors_say_what_to_do(sandbox, client_and_draft):
    client, media_id = client_and_draft
    client.mass.sendall(media_id, "a")
    with pytest.raises(WeChatAPIError) as used:
        client.mass.sendall(media_id, "b")
    assert used.value.errcode == 45028 and "once a day" in used.value.message
    requests.post(f"{sandbox.url}/sandbox/accounts/wx_sandbox", json={"verified": False}, timeout=10)
    with pytest.raises(WeChatAPIError) as unverified:
        client.mass.preview(media_id, "wxid_sandbox_reader")
    assert unverified.value.errcode == 48001
    assert "not verified" in unverified.value.message and "mark-sent" in unverified.value.hint
    with pytest.raises(WeChatAPIError):
        client.openapi.quota("/cgi-bin/message/mass/sendall")
    assert client.openapi.quota("/cgi-bin/draft/add")["daily_limit"] == 1000


@pytest.mark.parametrize("code", [89504, 89505])
def test_admin_confirmation_says_who_confirms_where(sandbox, client_and_draft, code):
    client, media_id = client_and_draft
    sandbox.fault("message/mass/sendall", f"errcode:{code}")
    with pytest.raises(WeChatAPIError) as info:
        client.mass.sendall(media_id, "c")
    assert "administrator" in info.value.hint and "公众号安全助手" in info.value.hint


def test_preview_to_a_phone(sandbox, client_and_draft):
    client, media_id = client_and_draft
    assert client.mass.preview(media_id, "wxid_sandbox_reader")
    with pytest.raises(WeChatAPIError) as info:
        client.mass.preview(media_id, "wxid_stranger")
    assert info.value.errcode == 43004 and "follow" in info.value.message
    assert client.openapi.quota("/cgi-bin/message/mass/preview") == {"daily_limit": 100, "used": 1, "remain": 99}
