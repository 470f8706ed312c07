"""The sandbox as strict as real WeChat where the old one was looser (issue 28, points 2-5): each test here fails
on the sandbox before it."""

from __future__ import annotations

import json

import requests
from test_sandbox import article, plain_token, raw

from conftest import jpeg_bytes
from wechat_pub.sandbox.server import start_in_thread
from wechat_pub.sandbox.state import SandboxAccount, SandboxSettings


def upload(sandbox, token: str, endpoint: str, name: str, params: dict | None = None) -> dict:
    return requests.post(f"{sandbox.api_base}{endpoint}", params={"access_token": token, **(params or {})},
                         files={"media": (name, jpeg_bytes(), "image/jpeg")}, timeout=10).json()


def thumb_of(sandbox, token: str) -> str:
    return upload(sandbox, token, "material/add_material", "c.jpg", {"type": "image"})["media_id"]


def add_draft(sandbox, token: str, body: bytes | dict) -> dict:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return raw(sandbox, "POST", "draft/add", params={"access_token": token}, data=data)


def test_an_upload_without_an_image_extension_is_refused_whatever_its_bytes(sandbox):
    token = plain_token(sandbox)
    for endpoint, params in (("media/uploadimg", {}), ("material/add_material", {"type": "image"})):
        assert upload(sandbox, token, endpoint, "a.txt", params)["errcode"] == 40113  # the old sandbox took it
        assert upload(sandbox, token, endpoint, "image", params)["errcode"] == 40113
        assert "errcode" not in upload(sandbox, token, endpoint, "A.JPG", params)


def test_uploadimg_answers_without_errcode(sandbox):
    assert set(upload(sandbox, plain_token(sandbox), "media/uploadimg", "b.png")) == {"url"}


def test_unicode_escapes_are_kept_literally(sandbox):
    """WeChat stores a \\uXXXX escape in a JSON body as those characters (hence the docs' "send raw UTF-8")."""
    token = plain_token(sandbox)
    body = ('{"articles": [{"title": "\\u4f5c\\u8005", "author": "a\\\\u4f5c", "content": "<p>x</p>", '
            f'"thumb_media_id": "{thumb_of(sandbox, token)}"}}]}}').encode()
    media_id = add_draft(sandbox, token, body)["media_id"]
    [item] = raw(sandbox, "POST", "draft/get", params={"access_token": token},
                 data=json.dumps({"media_id": media_id}))["news_item"]
    assert item["title"] == "\\u4f5c\\u8005"  # six characters each, not 作者
    assert item["author"] == "a\\u4f5c"  # an escaped backslash stays one backslash


def test_draft_times_cover_flag_and_outside_links(sandbox):
    token = plain_token(sandbox)
    thumb = thumb_of(sandbox, token)
    content = ('<p><a href="https://example.org/x">outside</a> and '
               '<a href="https://mp.weixin.qq.com/s/abc">a WeChat article</a></p>')
    media_id = add_draft(sandbox, token, {"articles": [article(thumb, content=content, show_cover_pic=1)]})["media_id"]
    answer = raw(sandbox, "POST", "draft/get", params={"access_token": token}, data=json.dumps({"media_id": media_id}))
    assert isinstance(answer["create_time"], int) and isinstance(answer["update_time"], int)
    [item] = answer["news_item"]
    assert item["show_cover_pic"] == 1  # echoed, as recorded (the old sandbox always said 0)
    assert "example.org" not in item["content"] and "outside" in item["content"]  # the link dropped, its text kept
    assert 'href="https://mp.weixin.qq.com/s/abc"' in item["content"]


def test_draft_delete_and_count_see_only_the_callers_account(tmp_path):
    accounts = [SandboxAccount(), SandboxAccount("wx_other", "other-secret", "gh_other")]
    running = start_in_thread(SandboxSettings(db_path=str(tmp_path / "two.sqlite3"), accounts=accounts))
    try:
        def token(appid, secret):
            return requests.get(f"{running.api_base}token", params={"grant_type": "client_credential", "appid": appid,
                                                                    "secret": secret}, timeout=10).json()["access_token"]

        ours, theirs = token("wx_sandbox", "sandbox-secret"), token("wx_other", "other-secret")
        handle = type("H", (), {"api_base": running.api_base})()
        media_id = add_draft(handle, ours, {"articles": [article(thumb_of(handle, ours))]})["media_id"]
        count = requests.get(f"{running.api_base}draft/count", params={"access_token": theirs}, timeout=10).json()
        assert count == {"total_count": 0}  # the old sandbox counted every account's drafts
        gone = requests.post(f"{running.api_base}draft/delete", params={"access_token": theirs},
                             data=json.dumps({"media_id": media_id}), timeout=10).json()
        assert gone["errcode"] == 40007  # the old sandbox deleted another account's draft
        count = requests.get(f"{running.api_base}draft/count", params={"access_token": ours}, timeout=10).json()
        assert count == {"total_count": 1}
    finally:
        running.stop()


def test_publish_outcomes_per_draft_and_per_account(sandbox):
    """A set outcome ends the named draft's job (or the account's next one) with its status and fail_idx; the
    job's answer and freepublish/get carry them, and no article URL."""
    from wechat_pub.sandbox.events import finish_publish

    token = plain_token(sandbox)
    thumb = thumb_of(sandbox, token)
    first = add_draft(sandbox, token, {"articles": [article(thumb), article(thumb, title="二")]})["media_id"]
    second = add_draft(sandbox, token, {"articles": [article(thumb)]})["media_id"]
    sandbox.admin("publish-outcomes", "POST", {"status": 4, "fail_idx": [2], "draft": first})
    sandbox.admin("publish-outcomes", "POST", {"status": 3})
    statuses = {}
    for media_id in (second, first):  # the account's outcome goes to the next job; the draft's to its own
        submitted = raw(sandbox, "POST", "freepublish/submit", params={"access_token": token},
                        data=json.dumps({"media_id": media_id}))
        assert isinstance(submitted["publish_id"], int)
        finish_publish(sandbox.state, submitted["publish_id"], sandbox.url)
        statuses[media_id] = raw(sandbox, "POST", "freepublish/get", params={"access_token": token},
                                 data=json.dumps({"publish_id": submitted["publish_id"]}))
    assert statuses[second]["publish_status"] == 3 and statuses[second]["fail_idx"] == []
    assert statuses[first]["publish_status"] == 4 and statuses[first]["fail_idx"] == [2]
    assert all("article_id" not in s and isinstance(s["publish_id"], int) for s in statuses.values())
    assert {d["media_id"] for d in sandbox.state.drafts()[1]} == {first, second}  # kept, by default


def test_a_failed_job_sends_the_failure_event(tmp_path):
    from wechat_pub.sandbox.events import finish_publish

    sent = []
    settings = SandboxSettings(db_path=str(tmp_path / "e.sqlite3"), accounts=[SandboxAccount(webhook_url="http://x")],
                               failed_publish_keeps_draft=False)
    import wechat_pub.sandbox.events as events

    original = events.deliver
    events.deliver = lambda xml, *args: sent.append(xml) or "captured"
    try:
        from wechat_pub.sandbox.state import SandboxState

        state = SandboxState(settings)
        media_id = state.add_draft("wx_sandbox", [{"title": "t", "content": "c"}])
        publish_id = state.start_publish(state.draft(media_id))
        state.set_publish_outcome("wx_sandbox", 2, [1])
        finish_publish(state, publish_id, "http://127.0.0.1")
    finally:
        events.deliver = original
    [xml] = sent
    assert "<publish_status>2</publish_status><fail_idx>1</fail_idx>" in xml and "article_id" not in xml
    assert state.draft(media_id) is None  # this sandbox is set to remove the draft of a failed job


def test_the_reported_limits_count_bytes(sandbox):
    token = plain_token(sandbox)
    thumb = thumb_of(sandbox, token)
    seed_author = article(thumb, author="立方律师事务所")  # 7 characters, 21 bytes
    assert "media_id" in add_draft(sandbox, token, {"articles": [seed_author]})
    sandbox.settings.limits = "reported"
    assert add_draft(sandbox, token, {"articles": [seed_author]})["errcode"] == 45110
    assert add_draft(sandbox, token, {"articles": [article(thumb, title="周" * 22)]})["errcode"] == 45003
    assert "media_id" in add_draft(sandbox, token, {"articles": [article(thumb, title="a" * 64)]})
