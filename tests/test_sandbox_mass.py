"""The sandbox's mass send (群发), phone preview and quota/get (issue 23, reference/wechat-reach.md §7)."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from wechatpy import WeChatClient

from conftest import jpeg_bytes, until
from wechat_pub.sandbox.massevents import finish_send
from wechat_pub.sandbox.massstore import MassStore
from wechat_pub.sandbox.server import start_in_thread
from wechat_pub.sandbox.state import SandboxAccount, SandboxSettings, SandboxState


def call(base: str, token: str, endpoint: str, data: dict) -> dict:
    return requests.post(f"{base}{endpoint}", params={"access_token": token}, json=data, timeout=10).json()


def token_of(base: str, appid: str = "wx_sandbox", secret: str = "sandbox-secret") -> str:
    return requests.get(f"{base}token", params={"grant_type": "client_credential", "appid": appid, "secret": secret},
                        timeout=10).json()["access_token"]


def new_draft(base: str, token: str) -> str:
    client = WeChatClient("wx_sandbox", "sandbox-secret", access_token=token)
    client.API_BASE_URL = base
    thumb = client.material.add("image", ("c.jpg", io.BytesIO(jpeg_bytes())))["media_id"]
    return client.post("draft/add", data={"articles": [{"title": "周报", "content": "<p>正文</p>",
                                                         "thumb_media_id": thumb}]})["media_id"]


def sendall(base: str, token: str, media_id: str, clientmsgid: str = "", **filters) -> dict:
    return call(base, token, "message/mass/sendall", {
        "filter": filters or {"is_to_all": True}, "mpnews": {"media_id": media_id}, "msgtype": "mpnews",
        "send_ignore_reprint": 0, "clientmsgid": clientmsgid})


def listing(base_url: str) -> list[dict]:
    return requests.get(f"{base_url}/sandbox/api/mass", timeout=10).json()["mass"]


@pytest.fixture
def account(sandbox):
    token = token_of(sandbox.api_base)
    return sandbox, token, new_draft(sandbox.api_base, token)


def test_send_once_per_clientmsgid_and_once_a_day(account):
    sandbox, token, media_id = account
    first = sendall(sandbox.api_base, token, media_id, "issue-135-v1")
    assert first["errcode"] == 0 and first["msg_id"] and first["msg_data_id"]
    assert sendall(sandbox.api_base, token, media_id, "issue-135-v1")["errcode"] == 45066  # within a minute
    sandbox.advance(120)
    again = sendall(sandbox.api_base, token, media_id, "issue-135-v1")
    assert again == {"errcode": 45065, "errmsg": "clientmsgid exist", "msg_id": first["msg_id"]}
    other = sendall(sandbox.api_base, token, media_id, "issue-135-v2")
    assert other["errcode"] == 45028  # a subscription account: one send a day
    assert [e["msg_id"] for e in listing(sandbox.url) if not e["preview"]] == [first["msg_id"]]
    sandbox.advance(86400)
    assert sendall(sandbox.api_base, token_of(sandbox.api_base), media_id, "issue-136-v1")["errcode"] == 0  # next day


def test_send_refuses_what_is_not_a_draft_and_bad_filters(account):
    sandbox, token, media_id = account
    assert sendall(sandbox.api_base, token, "not-a-draft")["errcode"] == 40007
    assert sendall(sandbox.api_base, token, media_id, tag_id="x; drop")["errcode"] == 40152
    assert sendall(sandbox.api_base, token, media_id, "x" * 65)["errcode"] == 45067
    assert call(sandbox.api_base, token, "message/mass/sendall", {"filter": {"is_to_all": True},
                                                                   "text": {"content": "hi"},
                                                                   "msgtype": "text"})["errcode"] == 40007
    assert listing(sandbox.url) == []


def test_unverified_account_answers_48001_but_keeps_drafts(account):
    sandbox, token, media_id = account
    requests.post(f"{sandbox.url}/sandbox/accounts/wx_sandbox", json={"verified": False}, timeout=10)
    assert sendall(sandbox.api_base, token, media_id)["errcode"] == 48001
    assert call(sandbox.api_base, token, "message/mass/preview", {
        "towxname": "wxid_sandbox_reader", "mpnews": {"media_id": media_id}, "msgtype": "mpnews"})["errcode"] == 48001
    quota = call(sandbox.api_base, token, "openapi/quota/get", {"cgi_path": "/cgi-bin/message/mass/sendall"})
    assert quota["errcode"] == 48001
    draft_quota = call(sandbox.api_base, token, "openapi/quota/get", {"cgi_path": "/cgi-bin/draft/add"})
    assert draft_quota["quota"]["daily_limit"] == 1000


def test_preview_to_a_follower_100_a_day_and_no_send_quota(account):
    sandbox, token, media_id = account
    body = {"towxname": "wxid_sandbox_reader", "mpnews": {"media_id": media_id}, "msgtype": "mpnews"}
    assert call(sandbox.api_base, token, "message/mass/preview", body)["errmsg"] == "preview success"
    stranger = call(sandbox.api_base, token, "message/mass/preview", {**body, "towxname": "wxid_nobody"})
    assert stranger["errcode"] == 43004  # and the sandbox says who follows it (a newcomer had to guess)
    assert stranger["errmsg"].startswith("require subscribe (the sandbox's followers: wxid_sandbox_reader)")
    quota = call(sandbox.api_base, token, "openapi/quota/get", {"cgi_path": "/cgi-bin/message/mass/preview"})
    assert quota["quota"] == {"daily_limit": 100, "used": 1, "remain": 99}
    for _ in range(99):
        call(sandbox.api_base, token, "message/mass/preview", body)
    assert call(sandbox.api_base, token, "message/mass/preview", body)["errcode"] == 45009
    assert sendall(sandbox.api_base, token, media_id)["errcode"] == 0  # previews used no send
    entries = listing(sandbox.url)
    assert sum(e["preview"] for e in entries) == 100 and sum(not e["preview"] for e in entries) == 1


def test_get_and_delete_a_send(account):
    sandbox, token, media_id = account
    sent = sendall(sandbox.api_base, token, media_id)
    status = call(sandbox.api_base, token, "message/mass/get", {"msg_id": str(sent["msg_id"])})
    assert status["msg_status"] in ("SENDING", "SEND_SUCCESS")
    until(lambda: call(sandbox.api_base, token, "message/mass/get", {"msg_id": sent["msg_id"]})["msg_status"]
          == "SEND_SUCCESS")
    assert call(sandbox.api_base, token, "message/mass/delete", {"msg_id": sent["msg_id"]})["errcode"] == 0
    assert call(sandbox.api_base, token, "message/mass/get", {"msg_id": sent["msg_id"]})["msg_status"] == "DELETE"
    assert call(sandbox.api_base, token, "message/mass/get", {"msg_id": "1"})["errcode"] == 40002


def test_only_a_send_that_went_out_can_be_deleted(account):
    """WeChat: "only messages sent through the API that have been successfully sent can be deleted". The sandbox
    let a send still SENDING be deleted (and CI then saw its finish overwrite the delete)."""
    sandbox, token, media_id = account
    sandbox.settings.mass_delay = 3600  # (it stays SENDING)
    sent = sendall(sandbox.api_base, token, media_id)
    refused = call(sandbox.api_base, token, "message/mass/delete", {"msg_id": sent["msg_id"]})
    assert refused["errcode"] == -1 and "a send SENDING cannot be deleted" in refused["errmsg"]
    assert call(sandbox.api_base, token, "message/mass/get", {"msg_id": sent["msg_id"]})["msg_status"] == "SENDING"


def test_a_send_deleted_while_sending_stays_deleted_and_posts_no_event(tmp_path):
    """The finisher reads SENDING, the team deletes the send, then the finisher ends it: the delete stands (CI saw
    SEND_SUCCESS after a delete under load) and no MASSSENDJOBFINISH follows a deleted send."""
    state = SandboxState(SandboxSettings(db_path=str(tmp_path / "m.sqlite3"), accounts=[SandboxAccount()]))
    store = MassStore(state)
    sent = store.add_send("wx_sandbox", "c1", {"media_id": "m1", "articles": [{"title": "周报"}]}, None)
    read = store.send

    def read_then_deleted(msg_id, appid=None):  # the delete lands just after the finisher's read
        snapshot = read(msg_id, appid)
        store.set_status(msg_id, "DELETE")
        return snapshot

    store.send = read_then_deleted
    finish_send(state, store, sent["msg_id"], "http://127.0.0.1")
    after = read(sent["msg_id"])
    assert after["status"] == "DELETE" and after["urls"] == [] and after["event_status"] == ""


class _Receiver(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"success")

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("outcome", ["success", "fail", "check_fail"])
def test_masssendjobfinish_goes_to_the_webhook(tmp_path, outcome):
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    _Receiver.received = []
    account = SandboxAccount(webhook_url=f"http://127.0.0.1:{server.server_port}/wechat", webhook_token="tok3n",
                             followers=42)
    settings = SandboxSettings(db_path=str(tmp_path / "m.sqlite3"), accounts=[account], mass_delay=0.05,
                               mass_outcome=outcome)
    running = start_in_thread(settings)
    try:
        token = token_of(running.api_base)
        sent = sendall(running.api_base, token, new_draft(running.api_base, token), "c1")
        for _ in range(100):
            if _Receiver.received:
                break
            threading.Event().wait(0.05)
        xml = _Receiver.received[0].decode()
        assert "<Event><![CDATA[MASSSENDJOBFINISH]]></Event>" in xml and f"<MsgID>{sent['msg_id']}</MsgID>" in xml
        assert "<TotalCount>42</TotalCount>" in xml
        [entry] = listing(running.url)
        if outcome == "success":
            assert "<Status><![CDATA[send success]]></Status>" in xml and "<SentCount>42</SentCount>" in xml
            assert entry["status"] == "SEND_SUCCESS" and entry["urls"][0] in xml
            assert requests.get(entry["urls"][0], timeout=10).status_code == 200
        else:
            assert "send fail" in xml and entry["status"] == "SEND_FAIL" and entry["urls"] == []
            assert ("<CheckState>3</CheckState>" in xml) == (outcome == "check_fail")
        page = requests.get(f"{running.url}/sandbox/", timeout=10).text
        assert 'id="mass"' in page and "周报" in page
    finally:
        running.stop()
        server.shutdown()
