"""Contracts: responses and events recorded from the real API (tests/contracts/, each naming where it was recorded)
(a) read right by the client, and (b) matched by the sandbox's answer to the same call: the same fields, types and
nesting, with extra fields only where a fixture says why (fields documented after the recording)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from conftest import api_client, jpeg_bytes

CONTRACTS = Path(__file__).parent / "contracts"


def contract(name: str) -> dict:
    return json.loads((CONTRACTS / f"{name}.json").read_text(encoding="utf-8"))


def shape_problems(real, ours, allowed: dict, path: str = "") -> list[str]:
    """Where ``ours`` differs from ``real`` in fields, JSON types or nesting (lists: every item against the first)."""
    if isinstance(real, dict):
        if not isinstance(ours, dict):
            return [f"{path or '/'}: an object in real responses, {type(ours).__name__} here"]
        problems = [f"{path}.{key}: missing" for key in real if key not in ours]
        extra = set(ours) - set(real) - set(allowed.get(path, {}).get("fields", []))
        problems += [f"{path}.{key}: not in real responses" for key in sorted(extra)]
        for key in real.keys() & ours.keys():
            problems += shape_problems(real[key], ours[key], allowed, f"{path}.{key}")
        return problems
    if isinstance(real, list):
        if not isinstance(ours, list):
            return [f"{path}: a list in real responses, {type(ours).__name__} here"]
        return [p for item in ours for p in shape_problems(real[0], item, allowed, f"{path}[]")] if real else []
    if type(real) is not type(ours):
        return [f"{path}: {type(real).__name__} in real responses, {type(ours).__name__} here"]
    return []


def test_the_shape_comparison_catches_what_the_old_sandbox_did():
    real = contract("freepublish_submit")
    old = {"errcode": 0, "errmsg": "ok", "publish_id": "2247483001", "msg_data_id": 2247483001}
    assert shape_problems(real["response"], old, real["allowed_extra"]) == [
        ".publish_id: int in real responses, str here"]
    assert shape_problems(contract("media_uploadimg")["response"], {"url": "u", "errcode": 0, "errmsg": "ok"}, {}) == [
        ".errcode: not in real responses", ".errmsg: not in real responses"]


# ---- (b) the sandbox answers as the recordings do ------------------------------------------------------


@pytest.fixture
def flow(sandbox, tmp_path):
    """One of every call the client makes, against the sandbox: the raw answers by contract name."""
    client = api_client(sandbox, tmp_path)
    answers = {"token": client._fetch_once("token", {"grant_type": "client_credential", "appid": "wx_sandbox",
                                                     "secret": "sandbox-secret"})}
    answers["material_add_material"] = client.call("post", "material/add_material", params={"type": "image"},
                                                   files={"media": ("c.jpg", jpeg_bytes(), "image/jpeg")})
    thumb = answers["material_add_material"]["media_id"]
    answers["media_uploadimg"] = client.call("post", "media/uploadimg", files={"media": ("b.jpg", jpeg_bytes(),
                                                                                         "image/jpeg")})
    answers["material_get_materialcount"] = client.material.get_materialcount()
    article = {"title": "标题", "author": "", "digest": "图文消息的具体内容", "content": "<p>图文消息的具体内容</p>",
               "content_source_url": "", "thumb_media_id": thumb, "show_cover_pic": 1, "need_open_comment": 0,
               "only_fans_can_comment": 0}
    answers["draft_add"] = client.call("post", "draft/add", json={"articles": [article]}, retry=False)
    media_id = answers["draft_add"]["media_id"]
    answers["draft_get"] = client.call("post", "draft/get", json={"media_id": media_id})
    answers["draft_batchget"] = client.draft.batchget(0, 10)
    answers["draft_count"] = client.call("get", "draft/count")
    spare = client.draft.add([article])
    answers["draft_delete"] = client.call("post", "draft/delete", json={"media_id": spare})
    answers["freepublish_submit"] = client.call("post", "freepublish/submit", json={"media_id": media_id},
                                                retry=False)
    publish_id = answers["freepublish_submit"]["publish_id"]
    from wechat_pub.sandbox.events import finish_publish

    finish_publish(sandbox.state, publish_id, sandbox.url)  # now, rather than after the publish delay
    answers["freepublish_get"] = client.freepublish.get(str(publish_id))
    answers["freepublish_getarticle"] = client.call("post", "freepublish/getarticle",
                                                    json={"article_id": answers["freepublish_get"]["article_id"]})
    answers["freepublish_batchget"] = client.freepublish.batchget(0, 10)
    return answers


RESPONSES = sorted(path.stem for path in CONTRACTS.glob("*.json") if path.stem != "token_not_latest")


def test_every_endpoint_the_client_uses_has_a_contract():
    assert {"draft_add", "draft_get", "draft_batchget", "draft_count", "draft_delete", "freepublish_submit",
            "freepublish_get", "freepublish_getarticle", "freepublish_batchget", "media_uploadimg",
            "material_add_material", "token"} <= set(RESPONSES)
    for path in CONTRACTS.iterdir():  # each one says where it was recorded
        text = path.read_text(encoding="utf-8")
        assert ("recorded" in text.lower() or "documented" in text.lower()) and len(text) > 100, path


def test_the_sandbox_answers_as_the_recordings(flow):
    problems = {}
    for name in RESPONSES:
        recorded = contract(name)
        found = shape_problems(recorded["response"], flow[name], recorded.get("allowed_extra", {}))
        if found:
            problems[name] = found
    assert problems == {}


def test_a_replaced_token_answers_as_recorded(sandbox):
    from test_sandbox import plain_token, raw

    old = plain_token(sandbox)
    plain_token(sandbox)
    sandbox.advance(301)
    answer = raw(sandbox, "GET", "draft/count", params={"access_token": old})
    recorded = contract("token_not_latest")["response"]
    assert shape_problems(recorded, answer, {}) == []
    assert answer["errcode"] == 40001 and answer["errmsg"].split(" rid:")[0] == recorded["errmsg"].split(" rid:")[0]


def event_shape(xml: str) -> list[tuple[str, str]]:
    """(element path, 'int' or 'text') of every element of an event, in order."""
    import xml.etree.ElementTree as ET

    found = []

    def walk(node, path):
        for child in node:
            where = f"{path}/{child.tag}"
            text = (child.text or "").strip()
            found.append((where, "int" if text.isdigit() else ("text" if text else "")))
            walk(child, where)

    walk(ET.fromstring(xml), "")
    return found


@pytest.mark.parametrize("name, info", [
    ("publishjobfinish_success", lambda: __import__("wechat_pub.sandbox.events", fromlist=["x"]).success_info(
        "6beSyaQWnY50zaxEn", ["http://127.0.0.1/sandbox/articles/x/1"])),
    ("publishjobfinish_failed", lambda: __import__("wechat_pub.sandbox.events", fromlist=["x"]).failure_info(2, [1, 2])),
])
def test_the_sandbox_sends_events_as_recorded(name, info):
    from wechat_pub.sandbox.events import publish_event_xml

    recorded = (CONTRACTS / f"{name}.xml").read_text(encoding="utf-8")
    ours = publish_event_xml("gh_dcd30c3d7c29", 2247483715, info(), 1649681285)
    assert event_shape(ours) == event_shape(recorded)


# ---- (a) the client reads each recording right ---------------------------------------------------------


@pytest.fixture
def recorded_api(tmp_path):
    """A server that answers every call with the recording under test (set ``server.answer``), and the client."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    from conftest import stores_at
    from wechat_pub.wechat import WeChatAPI

    class Server:
        answer: dict = {}
        calls: list[str] = []

    @Request.application
    def app(request):
        endpoint = request.path.split("/cgi-bin/", 1)[-1]
        Server.calls.append(endpoint)
        if endpoint == "stable_token":
            body = {"access_token": f"token-{len(Server.calls)}", "expires_in": 7200}
        else:
            body = Server.answer.pop(0) if isinstance(Server.answer, list) else Server.answer
        return Response(json.dumps(body, ensure_ascii=False), content_type="application/json; encoding=utf-8")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stores = stores_at(f"sqlite:///{tmp_path / 'state.sqlite3'}")
    api = WeChatAPI("wx_recorded", "secret", stores.tokens, stores.locks,
                    f"http://127.0.0.1:{server.server_port}/cgi-bin/", sleep=lambda s: None)
    yield api, Server
    server.shutdown()


def test_the_client_reads_the_draft_recordings(recorded_api):
    api, server = recorded_api
    server.answer = contract("draft_add")["response"]
    assert api.draft.add([{"title": "t"}]) == "zUUtT8ZYeXzZ4slFbtnAkpgGKyqnTsjtUvMdVBRWJVk"
    server.answer = contract("draft_get")["response"]
    [item] = api.draft.get("m")
    assert item["title"] == "标题" and item["show_cover_pic"] == 1
    server.answer = contract("draft_batchget")["response"]
    page = api.draft.batchget()
    assert page["item"][0]["content"]["news_item"][0]["title"] == "标题" and page["total_count"] == 1
    server.answer = contract("draft_count")["response"]
    assert api.draft.count() == 1
    server.answer = contract("draft_delete")["response"]
    assert api.draft.delete("m") is None


def test_the_client_reads_the_publishing_recordings(recorded_api):
    from wechat_pub.publish.failed import read_fail_idx

    api, server = recorded_api
    server.answer = contract("freepublish_submit")["response"]
    assert api.freepublish.submit("m") == "2650177668"  # an integer in JSON: kept as its digits
    server.answer = contract("freepublish_get")["response"]
    status = api.freepublish.get("2650177668")
    assert status["publish_status"] == 0 and read_fail_idx(status["fail_idx"]) == []
    assert status["article_detail"]["item"][0]["article_url"].startswith("https://mp.weixin.qq.com/s?")
    server.answer = contract("freepublish_getarticle")["response"]
    assert api.freepublish.getarticle("a")[0]["is_deleted"] is False
    server.answer = contract("freepublish_batchget")["response"]
    assert api.freepublish.batchget()["item"][0]["content"]["update_time"] == 1634976318


def test_the_client_reads_the_upload_recordings(recorded_api):
    api, server = recorded_api
    server.answer = contract("media_uploadimg")["response"]  # no errcode at all
    assert api.media.uploadimg("a.jpg", b"\xff\xd8\xff").startswith("http://mmbiz.qpic.cn/")
    server.answer = contract("material_add_material")["response"]
    assert api.material.add_material("image", "c.png", b"\x89PNG")["media_id"].startswith("EQtep6xL")
    server.answer = contract("material_get_materialcount")["response"]
    assert api.material.get_materialcount()["image_count"] == 3


def test_the_client_renews_a_replaced_token_once(recorded_api):
    api, server = recorded_api
    server.answer = [contract("token_not_latest")["response"], contract("draft_count")["response"]]
    assert api.draft.count() == 1
    assert server.calls == ["stable_token", "draft/count", "stable_token", "draft/count"]


def test_the_bot_reads_the_recorded_events():
    from wechat_pub.bot.protocol import parse_xml
    from wechat_pub.publish.failed import read_fail_idx

    done = parse_xml((CONTRACTS / "publishjobfinish_success.xml").read_bytes())
    assert done["Event"] == "PUBLISHJOBFINISH" and done["publish_status"] == "0"
    assert done["publish_id"] == "2247483715" and done["article_urls"].startswith("http://mp.weixin.qq.com/s?")
    failed = parse_xml((CONTRACTS / "publishjobfinish_failed.xml").read_bytes())
    assert failed["publish_status"] == "2" and read_fail_idx(failed["fail_idx"]) == [1, 2]
