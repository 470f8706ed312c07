"""The webhook over real HTTP with signed (and encrypted) requests, as WeChat sends them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from werkzeug.serving import make_server

from conftest import ROOT, SEED_ARTICLE, state_url, stores_at, use_database, wait_until_searchable
from wechat_pub.app import create_app
from wechat_pub.bot.protocol import Envelope, ProtocolError, cdata, open_reply, parse_xml, signature, signed_message
from wechat_pub.bot.simulate import message_xml
from wechat_pub.config import load_config

TOKEN = "tok3nForTests"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APPID = "wx_sandbox"


class Webhook:
    def __init__(self, url: str, folder, mode: str):
        self.url, self.folder, self.mode = url, folder, mode

    def post(self, xml: str, mode: str | None = None, **overrides) -> requests.Response:
        params, body = signed_message(xml, TOKEN, mode or self.mode, AES_KEY, APPID)
        params.update(overrides)
        return requests.post(self.url, params=params, data=body, timeout=10)

    def ask(self, text: str, mode: str | None = None) -> str:
        response = self.post(message_xml(text, "gh_test"), mode)
        assert response.status_code == 200, response.text
        return parse_xml(open_reply(response.text, TOKEN, AES_KEY, APPID).encode())["Content"]


def serve(folder, monkeypatch, token: str = TOKEN, **settings) -> tuple[Webhook, object]:
    monkeypatch.chdir(folder)
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", token)
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__QUERY_LOG_DELAY", "0")
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__SEARCH_SCOPE", "all")  # the protocol's tests: every issue is findable
    for key, value in settings.items():
        monkeypatch.setenv(f"WECHAT_PUB_WEBHOOK__{key.upper()}", str(value))
    app = create_app(load_config())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    wait_until_searchable(f"http://127.0.0.1:{server.server_port}")
    mode = settings.get("mode") or ("safe" if settings.get("aes_key") else "plain")
    return Webhook(f"http://127.0.0.1:{server.server_port}/wechat", folder, mode), server


@pytest.fixture
def site(firm_dir):
    (firm_dir / "articles").mkdir()
    shutil.copy(SEED_ARTICLE, firm_dir / "articles")
    return firm_dir


@pytest.fixture
def stored(site, database_url):
    """The site on the state database under test (SQLite, then PostgreSQL): answers, query log, pushes."""
    use_database(site, database_url)
    return site, database_url


@pytest.fixture
def plain(site, monkeypatch):
    webhook, server = serve(site, monkeypatch)
    yield webhook
    server.shutdown()


@pytest.fixture
def safe(site, monkeypatch):
    webhook, server = serve(site, monkeypatch, aes_key=AES_KEY)
    yield webhook
    server.shutdown()


# ---- the official test vectors (reference/webhook.md §1.2, §1.4, §8.3) -------------------------------


def test_official_signature_vectors():
    assert signature("AAAAA", "1714036504", "1514711492") == "f464b24fc39322e44b38aa78f5edd27bd1441696"
    assert signature("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"
    assert signature("spamtest", "1409735669", "1320562132") == "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a"


VECTOR_ENCRYPT = ("hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmO"
                  "D2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOI"
                  "bgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO"
                  "/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669W"
                  "uMyVWQLCzpu9GhglF2PE=")


def test_official_safe_mode_vector_decrypts():
    body = f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{VECTOR_ENCRYPT}]]></Encrypt></xml>"
    assert signature("spamtest", "1409735669", "1320562132", VECTOR_ENCRYPT) == "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
    envelope = Envelope("spamtest", AES_KEY, "wx2c2769f8efd9abc2")
    xml = envelope.open(body.encode(), "5d197aaffba7e9b25a30732f161a50dee96bd5fa", "1409735669", "1320562132")
    fields = parse_xml(xml)
    assert fields["Content"] == "abcdteT" and fields["MsgId"] == "6054768590064713728"


def test_official_reply_vector():
    plain = ("<xml><ToUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></ToUserName><FromUserName><![CDATA["
             "gh_10f6c3c3ac5a]]></FromUserName><CreateTime>1409735669</CreateTime><MsgType><![CDATA[text]]></MsgType>"
             "<Content><![CDATA[你好 hello]]></Content></xml>")
    sealed = Envelope("spamtest", AES_KEY, "wx2c2769f8efd9abc2").seal(plain, "1320562132", "1409735669",
                                                                      prefix=b"1234567890123456")  # the vector's
    fields = parse_xml(sealed.encode())
    assert fields["MsgSignature"] == "f1958587a690285c1845639af0a487d8417220ca"
    assert fields["Encrypt"].startswith("QCTqNwyPmqRu4xuyqVsja5cfI7K1o6+8f3qq7k7TA3aM7KqAcndMGsWyi/Z9MYZtru/Mbfowt")


def test_safe_mode_request_from_the_vector_over_http(site, monkeypatch):
    webhook, server = serve(site, monkeypatch, "spamtest", aes_key=AES_KEY, appid="wx2c2769f8efd9abc2",
                            max_clock_skew=0)
    try:
        body = (f"<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><Encrypt><![CDATA[{VECTOR_ENCRYPT}]]>"
                f"</Encrypt></xml>")
        params = {"signature": "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a", "timestamp": "1409735669",
                  "nonce": "1320562132", "openid": "oyORnuP8q7ou2gfYjqLzSIWZf0rs", "encrypt_type": "aes",
                  "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa"}
        response = requests.post(webhook.url, params=params, data=body, timeout=10)
        assert response.status_code == 200
        reply = parse_xml(Envelope("spamtest", AES_KEY, "wx2c2769f8efd9abc2").unseal(response.text).encode())
        assert "没有找到与「abcdteT」相关的内容" in reply["Content"]
        assert reply["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    finally:
        server.shutdown()


def test_url_verification(site, monkeypatch):
    webhook, server = serve(site, monkeypatch, "AAAAA", max_clock_skew=0)
    try:
        base = webhook.url.rsplit("/", 1)[0]
        query = {"signature": "f464b24fc39322e44b38aa78f5edd27bd1441696", "echostr": "4375120948345356249",
                 "timestamp": "1714036504", "nonce": "1514711492"}
        for path in ("/wechat", "/wechat/"):  # no redirect on a trailing slash
            response = requests.get(base + path, params=query, timeout=10, allow_redirects=False)
            assert (response.status_code, response.text) == (200, "4375120948345356249")
        forged = dict(query, signature="0" * 40)
        assert requests.get(base + "/wechat", params=forged, timeout=10).status_code == 403
        health = requests.get(base + "/healthz", timeout=10).json()
        assert health["ok"] is True and health["issues"] == 135 and health["accounts"] == {"default": 135}
        assert health["search_index"] == {"default": "ready"}
        assert health["status"] == "ok" and health["database"] == "ok" and health["redis"] == "off"
    finally:
        server.shutdown()


# ---- the protocol's edges ---------------------------------------------------------------------------------


def test_signatures_are_checked_on_every_post(plain):
    xml = message_xml("GDPR", "gh_test")
    assert plain.post(xml, signature="0" * 40).status_code == 403
    params, body = signed_message(xml, TOKEN)
    del params["signature"]
    assert requests.post(plain.url, params=params, data=body, timeout=10).status_code == 403
    params, body = signed_message(xml, "another-token")
    assert requests.post(plain.url, params=params, data=body, timeout=10).status_code == 403
    old = str(int(time.time()) - 3600)
    params, body = signed_message(xml, TOKEN, timestamp=old)
    assert requests.post(plain.url, params=params, data=body, timeout=10).status_code == 403  # a replay


def test_safe_mode_checks_msg_signature_and_app_id(safe):
    xml = message_xml("GDPR", "gh_test")
    assert safe.post(xml, msg_signature="0" * 40).status_code == 403
    params, body = signed_message(xml, TOKEN, "safe", AES_KEY, "wx_other_app")
    assert requests.post(safe.url, params=params, data=body, timeout=10).status_code == 403
    assert safe.post(xml, mode="plain").status_code == 403  # safe mode refuses plain messages


def test_compat_mode(site, monkeypatch):
    webhook, server = serve(site, monkeypatch, aes_key=AES_KEY, mode="compat")
    try:
        assert "Apple and Google" in webhook.ask("Apple", mode="compat")
        assert "Apple and Google" in webhook.ask("Apple", mode="plain")  # compat takes both
        response = webhook.post(message_xml("Apple", "gh_test"), mode="compat")
        assert "<Encrypt>" in response.text  # encrypted in, encrypted out
    finally:
        server.shutdown()


def test_hostile_and_broken_input(plain):
    def send(body: bytes, **headers):
        params, _ = signed_message("<xml/>", TOKEN)
        return requests.post(plain.url, params=params, data=body, timeout=10, headers=headers)

    assert send(b"<xml>" + b"x" * 20000 + b"</xml>").status_code == 413
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b"<xml><Content>&lol2;</Content></xml>")
    assert send(bomb).status_code == 400
    external = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>'
    assert send(external).status_code == 400
    assert send(b"not xml at all").status_code == 400
    assert send(b"<root><a>1</a></root>").status_code == 400
    for response in (send(b"<xml/>"), send(b"not xml"), send(bomb)):
        assert "Traceback" not in response.text


def test_no_encoding_or_comment_smuggles_an_entity(plain, caplog):
    """Issue 10: a DTD in a UTF-16 body, or after a 5 KB comment, was expanded; a GBK body gave a traceback."""
    def send(body: bytes):
        params, _ = signed_message("<xml/>", TOKEN)
        return requests.post(plain.url, params=params, data=body, timeout=10)

    message = (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[o_x]]></FromUserName>"
               f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               "<Content>&a;</Content><MsgId>{}</MsgId></xml>")
    dtd = '<!DOCTYPE xml [<!ENTITY a "苹果">]>'
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + dtd + message.format(1)).encode("utf-16")
    after_comment = ("<!--" + "x" * 5000 + "-->" + dtd + message.format(2)).encode()
    no_bom = ('<?xml version="1.0" encoding="UTF-16"?>' + dtd + message.format(3)).encode("utf-16-le")
    for body in (utf16, after_comment, no_bom):
        response = send(body)
        assert response.status_code == 400 and "苹果" not in response.text, response.text
    gbk = message.replace("&a;", "苹果").format(4)
    response = send(('<?xml version="1.0" encoding="GBK"?>' + gbk).encode("gbk"))
    assert response.status_code == 200 and "苹果和谷歌" in parse_xml(response.content)["Content"]  # read correctly
    for declared in ("x-no-such-encoding", "ascii"):
        response = send((f'<?xml version="1.0" encoding="{declared}"?>' + gbk).encode("gbk"))
        assert response.status_code == 400 and "Traceback" not in response.text
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize("xml, expected", [
    ("<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x]]></PicUrl><MediaId>1</MediaId><MsgId>11</MsgId>",
     "success"),
    ("<MsgType><![CDATA[voice]]></MsgType><MediaId>1</MediaId><Format>amr</Format><MsgId>12</MsgId>", "success"),
    ("<MsgType><![CDATA[voice]]></MsgType><MediaId>1</MediaId><Recognition><![CDATA[苹果]]></Recognition>"
     "<MsgId>13</MsgId>", "苹果和谷歌"),
    ("<MsgType><![CDATA[video]]></MsgType><MediaId>1</MediaId><ThumbMediaId>2</ThumbMediaId><MsgId>14</MsgId>",
     "success"),
    ("<MsgType><![CDATA[location]]></MsgType><Location_X>23</Location_X><Location_Y>113</Location_Y><Scale>20"
     "</Scale><Label><![CDATA[x]]></Label><MsgId>15</MsgId>", "success"),
    ("<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[t]]></Title><Url><![CDATA[u]]></Url><MsgId>16</MsgId>",
     "success"),
    ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>", "感谢关注"),
    ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event>", "success"),
    ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[LATEST]]></EventKey>",
     "第135期 No.135"),
    ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[NOPE]]></EventKey>",
     "success"),
    ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[VIEW]]></Event><EventKey><![CDATA[http://x]]></EventKey>",
     "success"),
    ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event><EventKey>1</EventKey><Ticket>t</Ticket>",
     "success"),
    ("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[LOCATION]]></Event><Latitude>1</Latitude>", "success"),
    ("<MsgType><![CDATA[shortvideo]]></MsgType><MediaId>1</MediaId><MsgId>17</MsgId>", "success"),
    ("<MsgType><![CDATA[miniprogrampage]]></MsgType><MsgId>18</MsgId>", "success"),
])
def test_every_message_and_event_type(site, monkeypatch, xml, expected):
    with open(site / "config.toml", "a") as handle:
        handle.write('\n[webhook.menu]\nLATEST = "最新"\n')
    webhook, server = serve(site, monkeypatch, aes_key=AES_KEY)
    try:
        message = (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[o_follower]]>"
                   f"</FromUserName><CreateTime>{int(time.time())}</CreateTime>{xml}</xml>")
        response = webhook.post(message)
        assert response.status_code == 200
        if expected == "success":
            assert response.text == "success"
        else:
            content = parse_xml(open_reply(response.text, TOKEN, AES_KEY, APPID).encode())["Content"]
            assert expected in content
    finally:
        server.shutdown()


def test_retries_get_the_same_answer_and_do_no_work_twice(stored, monkeypatch):
    site, database_url = stored
    safe, server = serve(site, monkeypatch, aes_key=AES_KEY)
    xml = message_xml("个人信息", "gh_test")
    params, body = signed_message(xml, TOKEN, "safe", AES_KEY, APPID)
    answers = []
    for _ in range(3):  # WeChat re-sends the very same request
        response = requests.post(safe.url, params=params, data=body, timeout=10)
        answers.append(parse_xml(open_reply(response.text, TOKEN, AES_KEY, APPID).encode())["Content"])
    assert answers[0] == answers[1] == answers[2] and "公安部" in answers[0]
    server.shutdown()
    assert stores_at(state_url(site)).query_log().top() == [("个人信息", 1, 1)]


def test_publish_job_finish_records_the_urls_for_replies(stored, monkeypatch):
    site, database_url = stored
    pushes = stores_at(state_url(site)).pushes()
    pushes.draft_added(135, "articles/issue-135.md", "m1", "h", 1)
    pushes.publishing(135, "2247483999")
    webhook, server = serve(site, monkeypatch, aes_key=AES_KEY)
    try:
        event = ("<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[oV5CrjpxgaGXNHIQigzNlgLTnwic]]>"
                 f"</FromUserName><CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
                 "<Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo><publish_id>2247483999</publish_id>"
                 "<publish_status>0</publish_status><article_id><![CDATA[A1]]></article_id><article_detail><count>1"
                 "</count><item><idx>1</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/published135]]>"
                 "</article_url></item></article_detail></PublishEventInfo></xml>")
        assert webhook.post(event).text == "success"
        record = pushes.get(135)
        assert record.state == "published" and record.article_urls == ["https://mp.weixin.qq.com/s/published135"]
        assert [entry.event for entry in pushes.history(135)] == ["draft-added", "publish-submitted", "published"]
        time.sleep(0.1)
        assert "https://mp.weixin.qq.com/s/published135" in webhook.ask("Apple")
    finally:
        server.shutdown()


def test_news_card_reply(site, monkeypatch):
    pushes = stores_at(state_url(site)).pushes()
    pushes.cover_uploaded(135, "articles/issue-135.md", "http://mmbiz.qpic.cn/mmbiz_jpg/cover135/0?wx_fmt=jpeg")
    pushes.draft_added(135, "articles/issue-135.md", "m1", "h", 1)
    pushes.published(135, ["https://mp.weixin.qq.com/s/p135"])
    webhook, server = serve(site, monkeypatch, reply="news")
    try:
        response = webhook.post(message_xml("苹果", "gh_test"))
        root = ET.fromstring(response.text)
        assert root.findtext("MsgType") == "news" and root.findtext("ArticleCount") == "1"
        item = root.find("Articles/item")
        assert item.findtext("Url") == "https://mp.weixin.qq.com/s/p135"
        assert item.findtext("PicUrl").endswith("cover135/0?wx_fmt=jpeg")
        assert "苹果和谷歌" in item.findtext("Description")
    finally:
        server.shutdown()


def test_article_text_cannot_break_the_reply_xml(site, monkeypatch):
    article = (site / "articles" / "issue-135.md").read_text()
    article = article.replace("## Apple and Google Partner on COVID-19 Contact Tracing Technology",
                              "## Apple ]]> & <Google> Partner on Contact Tracing")
    (site / "articles" / "issue-135.md").write_text(article)
    webhook, server = serve(site, monkeypatch)
    try:
        response = webhook.post(message_xml("Apple", "gh_test"))
        content = ET.fromstring(response.text).findtext("Content")
        assert "Apple ]]> & <Google> Partner on Contact Tracing" in content
    finally:
        server.shutdown()


def test_cdata_splits_the_terminator():
    assert ET.fromstring(f"<x>{cdata('a]]>b<c>&d')}</x>").text == "a]]>b<c>&d"
    bell = cdata("bell\x07 ok")
    assert ET.fromstring(f"<x>{bell}</x>").text == "bell ok"


def test_config_for_gunicorn_is_documented():
    readme = (ROOT / "README.md").read_text()
    assert "gunicorn -k gthread -w 2 --threads 8 -b 127.0.0.1:8000 'wechat_pub.app:create_service()'" in readme
    assert "/healthz?strict=1" in readme  # what a load balancer can act on


def test_a_real_account_needs_a_webhook_token(site, monkeypatch):
    from wechat_pub.errors import ConfigError

    monkeypatch.chdir(site)
    monkeypatch.setenv("WECHAT_PUB_WECHAT__APPID", "wx123")
    monkeypatch.setenv("WECHAT_PUB_WECHAT__SECRET", "s")
    with pytest.raises(ConfigError, match="webhook.token of account 'default' is empty"):
        create_app(load_config())


def test_our_envelope_and_wechatpys_read_each_other():
    """The cipher is ours (one per process); wechatpy's, a different implementation, agrees with it both ways."""
    from wechatpy.crypto import WeChatCrypto

    theirs = WeChatCrypto("spamtest", AES_KEY, "wx2c2769f8efd9abc2")
    ours = Envelope("spamtest", AES_KEY, "wx2c2769f8efd9abc2")
    for text in ("你好 hello", "x" * 31, "y" * 32, "長" * 700):
        xml = f"<xml><Content><![CDATA[{text}]]></Content></xml>"
        sealed = ours.seal(xml, "42", "1409735669")
        fields = parse_xml(sealed.encode())
        assert theirs.decrypt_message(sealed, fields["MsgSignature"], "1409735669", "42") == xml
        body = theirs.encrypt_message(xml, "43", "1409735670")
        wrapped = parse_xml(body.encode())
        assert ours.open(body.encode(), wrapped["MsgSignature"], "1409735670", "43").decode() == xml


def test_a_message_for_another_app_id_or_broken_base64_is_refused():
    other = Envelope("spamtest", AES_KEY, "wx_other")
    params, body = signed_message("<xml><Content>x</Content></xml>", "spamtest", "safe", AES_KEY, "wx2c2769f8efd9abc2",
                                  timestamp="1409735669", nonce="1")
    with pytest.raises(ProtocolError) as refused:
        other.open(body, params["msg_signature"], "1409735669", "1")
    assert (refused.value.status, refused.value.reason) == (403, "message for another app id")
    broken = body.replace(b"<![CDATA[", b"<![CDATA[A", 1)
    with pytest.raises(ProtocolError):
        other.open(broken, signature("spamtest", "1409735669", "1", re.search(
            r"CDATA\[([^\]]+)", broken.decode().split("<Encrypt>")[1]).group(1)), "1409735669", "1")


WORKER_MODULES = """
import io, sys
from wechat_pub.app import create_app
from wechat_pub.bot.protocol import signed_message
from wechat_pub.bot.simulate import message_xml
app = create_app()
import time
deadline, health = time.monotonic() + 60, app.test_client()
while health.get("/healthz").json["search_index"]["default"] != "ready" and time.monotonic() < deadline:
    time.sleep(0.05)  # (a host's first index is made in the background)
params, body = signed_message(message_xml("苹果", "gh_test"), sys.argv[1])
query = "&".join(f"{k}={v}" for k, v in params.items())
environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/wechat", "QUERY_STRING": query, "wsgi.input": io.BytesIO(body),
           "CONTENT_LENGTH": str(len(body)), "SERVER_NAME": "x", "SERVER_PORT": "1", "wsgi.url_scheme": "http"}
reply = b"".join(app(environ, lambda status, headers: None)).decode()
params, body = signed_message(message_xml("苹果和谷哥", "gh_test"), sys.argv[1])  # a typo: read the index's sounds
query = "&".join(f"{k}={v}" for k, v in params.items())
environ.update({"QUERY_STRING": query, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
typo = b"".join(app(environ, lambda status, headers: None)).decode()
print("苹果和谷歌" in reply and "苹果和谷歌" in typo,
      sorted(m for m in ("rjieba", "markdown_it", "yaml", "PIL", "pypinyin") if m in sys.modules))
"""


def test_a_webhook_worker_holds_no_parser_or_segmenter(site):
    """Issue 13: workers held the segmenter's 30 MB dictionary and the article parser; the index is now built by
    a process of its own (`wechat-pub index`), and queries are split by the index's own words. Issue 29: typos are
    matched by sounds the index keeps, not by pypinyin's 55 MB of dictionaries in the worker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WECHAT_PUB_")}
    env.update(WECHAT_PUB_WEBHOOK__TOKEN=TOKEN, WECHAT_PUB_WEBHOOK__SEARCH_SCOPE="all")
    done = subprocess.run([sys.executable, "-c", WORKER_MODULES, TOKEN], cwd=site, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.strip() == "True []", done.stdout + done.stderr
    assert (site / "state" / "search-default-all.sqlite3").exists()
