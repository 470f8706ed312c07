"""The sandbox speaks WeChat's protocol: driven here with plain wechatpy and raw HTTP, not our client."""

from __future__ import annotations

import io
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import APILimitedException, WeChatClientException

from conftest import jpeg_bytes
from wechat_pub.bot.protocol import signature
from wechat_pub.sandbox.server import start_in_thread
from wechat_pub.sandbox.state import SandboxAccount, SandboxSettings

AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def raw(sandbox, method: str, endpoint: str, **kwargs) -> dict:
    response = requests.request(method, f"{sandbox.api_base}{endpoint}", timeout=10, **kwargs)
    assert response.status_code == 200  # WeChat answers errors with HTTP 200 and an errcode
    assert response.headers["Content-Type"] == "application/json; encoding=utf-8"
    return response.json()


def plain_token(sandbox) -> str:
    return raw(sandbox, "GET", "token", params={"grant_type": "client_credential", "appid": "wx_sandbox",
                                                "secret": "sandbox-secret"})["access_token"]


def wechatpy_client(sandbox) -> WeChatClient:
    client = WeChatClient("wx_sandbox", "sandbox-secret", access_token=plain_token(sandbox))
    client.API_BASE_URL = sandbox.api_base
    return client


@pytest.fixture
def cover(sandbox):
    client = wechatpy_client(sandbox)
    return client.material.add("image", ("cover.jpg", io.BytesIO(jpeg_bytes())))["media_id"]


def article(thumb: str, **fields) -> dict:
    return {"title": "标题", "author": "作者", "content": "<p>正文</p>", "thumb_media_id": thumb, **fields}


def test_plain_wechatpy_round_trip(sandbox, cover):
    client = wechatpy_client(sandbox)
    url = client.media.upload_image(("a.png", io.BytesIO(_png())))
    assert url.startswith("http://mmbiz.qpic.cn/mmbiz_png/")
    assert client.material.get_count()["image_count"] == 1
    listed = client.material.batchget("image")
    assert listed["total_count"] == 1 and listed["item"][0]["media_id"] == cover
    media_id = client.post("draft/add", data={"articles": [article(cover, content=f'<p>图<img src="{url}"></p>')]})[
        "media_id"]
    assert client.get("draft/count")["total_count"] == 1
    item = client.post("draft/get", data={"media_id": media_id})["news_item"][0]
    assert item["title"] == "标题" and url in item["content"] and item["url"].endswith(f"/sandbox/drafts/{media_id}")
    client.post("draft/update", data={"media_id": media_id, "index": 0, "articles": article(cover, title="新标题")})
    assert client.post("draft/get", data={"media_id": media_id})["news_item"][0]["title"] == "新标题"
    page = client.post("draft/batchget", data={"offset": 0, "count": 20, "no_content": 1})
    assert page["item_count"] == 1 and "content" not in page["item"][0]["content"]["news_item"][0]
    publish_id = client.post("freepublish/submit", data={"media_id": media_id})["publish_id"]
    assert client.get("draft/count")["total_count"] == 0  # published drafts leave the draft box
    status = _wait_published(client, publish_id)
    article_id = status["article_id"]
    assert client.post("freepublish/getarticle", data={"article_id": article_id})["news_item"][0]["title"] == "新标题"
    assert client.post("freepublish/batchget", data={"offset": 0, "count": 10})["total_count"] == 1
    client.material.delete(cover)
    with pytest.raises(WeChatClientException) as info:
        client.material.delete(cover)
    assert info.value.errcode == 40007


def _wait_published(client, publish_id: str) -> dict:
    import time

    for _ in range(50):
        status = client.post("freepublish/get", data={"publish_id": publish_id})
        if status["publish_status"] == 0:
            return status
        time.sleep(0.1)
    raise AssertionError("publish job never finished")


@pytest.mark.parametrize("fields, errcode", [
    ({"title": "标" * 33}, 45003),
    ({"author": "作" * 17}, 45110),
    ({"digest": "摘" * 129}, 45004),
    ({"content": "<p>" + "字" * 20000 + "</p>"}, 45002),
    ({"content_source_url": "https://e.org/" + "x" * 1100}, 45005),
    ({"thumb_media_id": "not-a-media-id"}, 40007),
    ({"content": ""}, 44003),
])
def test_article_limits(sandbox, cover, fields, errcode):
    client = wechatpy_client(sandbox)
    with pytest.raises(WeChatClientException) as info:
        client.post("draft/add", data={"articles": [article(cover, **fields)]})
    assert info.value.errcode == errcode
    assert "rid: " in info.value.errmsg


def test_draft_rules(sandbox, cover):
    client = wechatpy_client(sandbox)
    with pytest.raises(WeChatClientException) as info:
        client.post("draft/add", data={"articles": [article(cover)] * 9})
    assert info.value.errcode == 45008
    temp_url = client.media.upload_image(("b.jpg", io.BytesIO(jpeg_bytes())))
    temp_id = temp_url.split("/")[4]
    with pytest.raises(WeChatClientException) as info:  # an uploadimg image is not permanent material
        client.post("draft/add", data={"articles": [article(temp_id)]})
    assert info.value.errcode == 40007
    media_id = client.post("draft/add", data={"articles": [article(cover, digest="摘要"), article(cover)]})["media_id"]
    items = client.post("draft/get", data={"media_id": media_id})["news_item"]
    assert [i["digest"] for i in items] == ["", ""]  # multi-article drafts keep no digest
    with pytest.raises(WeChatClientException) as info:
        client.post("draft/update", data={"media_id": media_id, "index": 2, "articles": article(cover)})
    assert info.value.errcode == 40114
    with pytest.raises(WeChatClientException) as info:
        client.post("draft/get", data={"media_id": "nope"})
    assert info.value.errcode == 40007


def test_content_is_sanitised(sandbox, cover):
    client = wechatpy_client(sandbox)
    own = client.media.upload_image(("c.jpg", io.BytesIO(jpeg_bytes())))
    html = (f'<section data-x="kept"><p onclick="evil()">a</p><script>alert(1)</script>'
            f'<img src="{own}"><img src="https://example.org/x.png"><img src="http://mmbiz.qpic.cn/mmbiz_jpg/fake/0">'
            f'<a href="javascript:alert(1)">b</a></section>')
    media_id = client.post("draft/add", data={"articles": [article(cover, content=html)]})["media_id"]
    stored = client.post("draft/get", data={"media_id": media_id})["news_item"][0]["content"]
    assert "script" not in stored and "onclick" not in stored and "javascript:" not in stored
    assert own in stored and "example.org" not in stored and "/fake/" not in stored
    assert 'data-x="kept"' in stored
    single = client.post("draft/get", data={"media_id": media_id})["news_item"][0]
    assert single["digest"] == "a b"  # WeChat's default digest: the first 54 characters of the text


def test_upload_rules(sandbox):
    client = wechatpy_client(sandbox)
    for name, data, errcode in [("a.gif", b"GIF89a" + b"\0" * 100, 40005), ("big.jpg", b"\xff\xd8\xff" + b"\0" * (1 << 20), 40009),
                                ("empty.jpg", b"", 41005)]:
        with pytest.raises(WeChatClientException) as info:
            client.media.upload_image((name, io.BytesIO(data)))
        assert info.value.errcode == errcode, name
    with pytest.raises(WeChatClientException) as info:
        client.material.add("thumb", ("t.jpg", io.BytesIO(jpeg_bytes(900, 900, noise=True))))
    assert info.value.errcode == 40012  # thumb: JPEG up to 64 KB
    with pytest.raises(WeChatClientException) as info:
        client.material.add("sticker", ("t.jpg", io.BytesIO(jpeg_bytes())))
    assert info.value.errcode == 40004
    assert "url" in client.material.add("image", ("g.gif", io.BytesIO(_gif())))


def test_token_lifetimes(sandbox):
    old = plain_token(sandbox)
    new = plain_token(sandbox)
    assert old != new
    assert raw(sandbox, "GET", "draft/count", params={"access_token": old}) == {"total_count": 0}
    sandbox.advance(301)  # the old plain token works 5 minutes after a new one; then it is "not latest" (recorded)
    replaced = raw(sandbox, "GET", "draft/count", params={"access_token": old})
    assert replaced["errcode"] == 40001 and "not latest" in replaced["errmsg"]
    assert raw(sandbox, "GET", "draft/count", params={"access_token": new}) == {"total_count": 0}
    assert raw(sandbox, "GET", "draft/count", params={"access_token": "forged"})["errcode"] == 40001
    assert raw(sandbox, "GET", "draft/count")["errcode"] == 41001
    sandbox.advance(7200)
    assert raw(sandbox, "GET", "draft/count", params={"access_token": new})["errcode"] == 42001


def test_stable_token(sandbox):
    body = {"grant_type": "client_credential", "appid": "wx_sandbox", "secret": "sandbox-secret"}
    first = raw(sandbox, "POST", "stable_token", data=json.dumps(body))
    again = raw(sandbox, "POST", "stable_token", data=json.dumps(body))
    assert again["access_token"] == first["access_token"] and 7100 < again["expires_in"] <= 7200
    sandbox.advance(7200 - 250)  # last 5 minutes: a new token, the old one still valid
    rotated = raw(sandbox, "POST", "stable_token", data=json.dumps(body))
    assert rotated["access_token"] != first["access_token"] and rotated["expires_in"] == 7200
    assert raw(sandbox, "GET", "draft/count", params={"access_token": first["access_token"]}) == {"total_count": 0}
    forced = raw(sandbox, "POST", "stable_token", data=json.dumps({**body, "force_refresh": True}))
    assert forced["access_token"] != rotated["access_token"]
    assert raw(sandbox, "GET", "draft/count", params={"access_token": rotated["access_token"]})["errcode"] == 40001
    within_30s = raw(sandbox, "POST", "stable_token", data=json.dumps({**body, "force_refresh": True}))
    assert within_30s["access_token"] == forced["access_token"]
    assert raw(sandbox, "GET", "stable_token")["errcode"] == 43002
    assert raw(sandbox, "POST", "stable_token", data=json.dumps({**body, "secret": "x"}))["errcode"] == 40125
    assert raw(sandbox, "POST", "stable_token", data=b"{not json")["errcode"] == 47001


def test_daily_quota(tmp_path):
    settings = SandboxSettings(db_path=str(tmp_path / "q.sqlite3"))
    settings.quotas["draft/count"] = 2
    running = start_in_thread(settings)
    try:
        client = WeChatClient("wx_sandbox", "sandbox-secret", access_token=_token(running.api_base))
        client.API_BASE_URL = running.api_base
        client.get("draft/count")
        client.get("draft/count")
        with pytest.raises(APILimitedException):
            client.get("draft/count")
    finally:
        running.stop()


def _token(api_base: str, appid: str = "wx_sandbox", secret: str = "sandbox-secret") -> str:
    answer = requests.get(f"{api_base}token", params={"grant_type": "client_credential", "appid": appid,
                                                      "secret": secret}, timeout=10).json()
    if "access_token" not in answer:
        raise WeChatClientException(answer["errcode"], answer["errmsg"])
    return answer["access_token"]


def test_unverified_account_cannot_publish(tmp_path):
    running = start_in_thread(SandboxSettings(db_path=str(tmp_path / "u.sqlite3"), verified=False))
    try:
        client = WeChatClient("wx_sandbox", "sandbox-secret", access_token=_token(running.api_base))
        client.API_BASE_URL = running.api_base
        thumb = client.material.add("image", ("c.jpg", io.BytesIO(jpeg_bytes())))["media_id"]
        media_id = client.post("draft/add", data={"articles": [article(thumb)]})["media_id"]  # drafts still work
        with pytest.raises(WeChatClientException) as info:
            client.post("freepublish/submit", data={"media_id": media_id})
        assert info.value.errcode == 48001
    finally:
        running.stop()


def test_state_survives_a_restart(tmp_path):
    settings = SandboxSettings(db_path=str(tmp_path / "r.sqlite3"))
    running = start_in_thread(settings)
    token = _token(running.api_base)
    client = WeChatClient("wx_sandbox", "sandbox-secret", access_token=token)
    client.API_BASE_URL = running.api_base
    thumb = client.material.add("image", ("c.jpg", io.BytesIO(jpeg_bytes())))["media_id"]
    media_id = client.post("draft/add", data={"articles": [article(thumb)]})["media_id"]
    running.stop()
    running = start_in_thread(SandboxSettings(db_path=str(tmp_path / "r.sqlite3")))
    try:
        client.API_BASE_URL = running.api_base
        assert client.post("draft/get", data={"media_id": media_id})["news_item"][0]["title"] == "标题"
    finally:
        running.stop()


def test_slow_fault(sandbox):
    import time

    sandbox.fault("draft/count", "slow", seconds=1.2)
    token = plain_token(sandbox)
    start = time.monotonic()
    raw(sandbox, "GET", "draft/count", params={"access_token": token})
    assert time.monotonic() - start >= 1.2


def test_draft_page_at_phone_width(sandbox, cover):
    client = wechatpy_client(sandbox)
    url = client.media.upload_image(("a.png", io.BytesIO(_png())))
    media_id = client.post("draft/add", data={"articles": [article(cover, content=f'<p>图<img src="{url}"></p>')]})[
        "media_id"]
    with urllib.request.urlopen(f"{sandbox.url}/sandbox/drafts/{media_id}") as response:
        page = response.read().decode()
    assert "width: 375px" in page and "标题" in page
    image_path = "/sandbox/media/" + url.split("/")[4]
    assert image_path in page
    with urllib.request.urlopen(sandbox.url + image_path) as response:
        assert response.read() == _png()


class _Receiver(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _Receiver.received.append((self.path, self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"success")

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("aes", [False, True], ids=["plain", "safe"])
def test_publish_job_finish_event_is_signed_and_encrypted(tmp_path, aes):
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    _Receiver.received = []
    account = SandboxAccount(webhook_url=f"http://127.0.0.1:{server.server_port}/wechat", webhook_token="tok3n",
                             webhook_aes_key=AES_KEY if aes else "")
    settings = SandboxSettings(db_path=str(tmp_path / "e.sqlite3"), accounts=[account], publish_delay=0.1)
    running = start_in_thread(settings)
    try:
        client = WeChatClient("wx_sandbox", "sandbox-secret", access_token=_token(running.api_base))
        client.API_BASE_URL = running.api_base
        thumb = client.material.add("image", ("c.jpg", io.BytesIO(jpeg_bytes())))["media_id"]
        media_id = client.post("draft/add", data={"articles": [article(thumb)]})["media_id"]
        publish_id = client.post("freepublish/submit", data={"media_id": media_id})["publish_id"]
        status = _wait_published(client, publish_id)
        for _ in range(50):
            if _Receiver.received:
                break
            threading.Event().wait(0.1)
        path, body = _Receiver.received[0]
        query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        assert query["signature"] == signature("tok3n", query["timestamp"], query["nonce"])
        if aes:
            assert query["encrypt_type"] == "aes"
            xml = WeChatCrypto("tok3n", AES_KEY, "wx_sandbox").decrypt_message(
                body.decode(), query["msg_signature"], query["timestamp"], query["nonce"])
        else:
            xml = body.decode()
        assert "<Event><![CDATA[PUBLISHJOBFINISH]]></Event>" in xml
        assert f"<publish_id>{publish_id}</publish_id>" in xml
        assert status["article_detail"]["item"][0]["article_url"] in xml
    finally:
        running.stop()
        server.shutdown()


def test_several_accounts_see_only_their_own_drafts(tmp_path):
    """One sandbox emulates several official accounts (issue 9): a call sees only the account of its token."""
    accounts = [SandboxAccount(), SandboxAccount("wx_sandbox_jzfsj", "sandbox-secret-jzfsj", "gh_sandbox_jzfsj")]
    running = start_in_thread(SandboxSettings(db_path=str(tmp_path / "two.sqlite3"), accounts=accounts))
    try:
        clients = {}
        for account in accounts:
            client = WeChatClient(account.appid, account.secret, access_token=_token(running.api_base, account.appid,
                                                                                     account.secret))
            client.API_BASE_URL = running.api_base
            clients[account.appid] = client
        first, second = clients["wx_sandbox"], clients["wx_sandbox_jzfsj"]
        thumb = first.material.add("image", ("c.jpg", io.BytesIO(jpeg_bytes())))["media_id"]
        media_id = first.post("draft/add", data={"articles": [article(thumb)]})["media_id"]
        assert first.post("draft/batchget", data={"offset": 0, "count": 20})["total_count"] == 1
        assert second.post("draft/batchget", data={"offset": 0, "count": 20})["total_count"] == 0
        with pytest.raises(WeChatClientException) as info:  # another account's draft does not exist for it
            second.post("draft/get", data={"media_id": media_id})
        assert info.value.errcode == 40007
        with pytest.raises(WeChatClientException) as info:  # nor can it use another account's cover
            second.post("draft/add", data={"articles": [article(thumb)]})
        assert info.value.errcode == 40007
        with pytest.raises(WeChatClientException) as info:
            _token(running.api_base, "wx_sandbox_jzfsj", "sandbox-secret")  # the other account's secret
        assert info.value.errcode == 40125
    finally:
        running.stop()


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "#abcdef").save(buffer, "PNG")
    return buffer.getvalue()


def _gif() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "#abcdef").save(buffer, "GIF")
    return buffer.getvalue()


# ---- a command finding the sandbox's port taken ---------------------------------------------------------------


def _serve_on_free_port(health: int, delay: float = 0.0) -> HTTPServer:
    """A program on a free port that answers /sandbox/health with ``health`` after ``delay`` seconds."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            threading.Event().wait(delay)
            self.send_response(health if self.path == "/sandbox/health" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_sandbox_slow_to_answer_on_its_port_is_used_not_a_crash(tmp_path):
    """A command found the sandbox's port taken by a sandbox that did not answer within a second (a loaded
    machine: CI's +3y run), tried to start its own there, and werkzeug, finding the port taken, printed "Port …
    is in use by another program" and exited the command. A busy sandbox is now waited for, and used."""
    from wechat_pub.sandbox.server import ensure_sandbox

    busy = _serve_on_free_port(200, delay=1.5)
    try:
        port = busy.server_address[1]
        running = ensure_sandbox(SandboxSettings(db_path=str(tmp_path / "sandbox.sqlite3")), "127.0.0.1", port)
        assert running.server is None and running.url == f"http://127.0.0.1:{port}"  # the one already there
    finally:
        busy.shutdown()


def test_a_port_taken_by_something_else_gets_the_sandbox_another_port(tmp_path):
    """The port is taken by a program that is not a sandbox: the command starts its sandbox on a free port (what
    the code meant to do; werkzeug's exit on a taken port came first)."""
    from wechat_pub.sandbox.server import ensure_sandbox

    other = _serve_on_free_port(404)
    try:
        port = other.server_address[1]
        running = ensure_sandbox(SandboxSettings(db_path=str(tmp_path / "sandbox.sqlite3")), "127.0.0.1", port)
        try:
            assert running.server is not None and not running.url.endswith(f":{port}")
            assert requests.get(f"{running.url}/sandbox/health", timeout=5).status_code == 200
        finally:
            running.stop()
    finally:
        other.shutdown()
