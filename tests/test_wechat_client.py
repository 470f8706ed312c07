"""The API client against the sandbox over HTTP: tokens, retries, uploads, errors that say what to do."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from conftest import api_client, jpeg_bytes, stores_at
from wechat_pub.wechat import NetworkError, WeChatAPI, WeChatAPIError


def no_sleep(seconds: float) -> None:
    pass


def test_token_comes_from_the_configured_base_url_and_is_shared(sandbox, tmp_path):
    first = api_client(sandbox, tmp_path)
    second = api_client(sandbox, tmp_path)  # another client on the same store (another process alike)
    assert first.draft.count() == 0 and second.draft.count() == 0
    assert sandbox.calls().get("stable_token") == 1
    assert sandbox.calls().get("token") is None


def test_plain_token_mode(sandbox, tmp_path):
    client = api_client(sandbox, tmp_path, token_mode="token")
    client.draft.count()
    assert sandbox.calls().get("token") == 1 and "stable_token" not in sandbox.calls()


def test_token_is_refreshed_before_it_expires(sandbox, tmp_path):
    clock = [time.time()]
    client = api_client(sandbox, tmp_path, clock=lambda: clock[0])
    client.draft.count()
    clock[0] += 7200 - 200  # inside the last 5 minutes: refresh before using it
    sandbox.advance(7200 - 200)
    client.draft.count()
    assert sandbox.calls()["stable_token"] == 2
    assert sandbox.calls()["draft/count"] == 2  # no call failed on an expired token


def test_token_error_refreshes_once_and_never_loops(sandbox, tmp_path):
    client = api_client(sandbox, tmp_path)
    client.draft.count()
    sandbox.fault("draft/count", "expired_token", times=1)
    assert client.draft.count() == 0  # refreshed and retried once
    sandbox.fault("draft/count", "invalid_token", times=50)
    with pytest.raises(WeChatAPIError) as info:
        client.draft.count()
    assert info.value.errcode == 40001
    calls = sandbox.calls()
    assert calls["draft/count"] == 1 + 2 + 2  # one retry per call, not hundreds
    assert calls["stable_token"] <= 3


def test_upload_retry_resends_the_whole_file(sandbox, tmp_path):
    client = api_client(sandbox, tmp_path)
    data = jpeg_bytes(300, 200, noise=True)
    sandbox.fault("media/uploadimg", "expired_token", times=1)
    url = client.media.uploadimg("a.jpg", data)
    media_id = url.split("/")[4]
    assert bytes(sandbox.state.media(media_id)["data"]) == data
    assert sandbox.calls()["media/uploadimg"] == 2


@pytest.mark.parametrize("kind", ["busy", "minute_quota", "drop"])
def test_transient_errors_are_retried_with_backoff(sandbox, tmp_path, kind):
    waits: list[float] = []
    client = api_client(sandbox, tmp_path, sleep=waits.append)
    client.draft.count()
    sandbox.fault("draft/count", kind, times=3)
    assert client.draft.count() == 0
    assert waits == [0.5, 1.0, 2.0]


def test_a_daily_quota_lasts_the_sandbox_day_and_is_not_retried(sandbox, tmp_path):
    waits: list[float] = []
    client = api_client(sandbox, tmp_path, sleep=waits.append)
    client.draft.count()
    sandbox.fault("draft/count", "quota", times=1)
    for _ in range(2):  # the old sandbox cleared it after one call, and the client retried it
        with pytest.raises(WeChatAPIError) as info:
            client.draft.count()
        assert info.value.errcode == 45009 and "tomorrow" in info.value.hint
    assert waits == []
    sandbox.advance(86400)  # the next day in Beijing
    assert client.draft.count() == 0


def test_retries_stop_within_the_bounded_window(sandbox, tmp_path):
    clock = [time.time()]

    def sleep(seconds):
        clock[0] += seconds

    client = api_client(sandbox, tmp_path, sleep=sleep, clock=lambda: clock[0], retry_window=10)
    client.draft.count()
    sandbox.fault("draft/count", "busy", times=100)
    start = clock[0]
    with pytest.raises(WeChatAPIError) as info:
        client.draft.count()
    assert info.value.errcode == -1 and clock[0] - start <= 10
    assert "Try again in a minute." == info.value.hint


def test_draft_add_is_not_retried_blindly(sandbox, tmp_path):
    client = api_client(sandbox, tmp_path, sleep=no_sleep)
    thumb = client.material.add_material("image", "c.jpg", jpeg_bytes())["media_id"]
    sandbox.fault("draft/add", "busy", times=1)
    with pytest.raises(WeChatAPIError) as info:
        client.draft.add([{"title": "t", "content": "<p>x</p>", "thumb_media_id": thumb}])
    assert info.value.errcode == -1
    assert sandbox.calls()["draft/add"] == 1


def test_errors_say_what_to_do(sandbox, tmp_path):
    client = api_client(sandbox, tmp_path, sleep=no_sleep)
    client.draft.count()
    sandbox.fault("draft/count", "errcode:40164")
    with pytest.raises(WeChatAPIError) as info:
        client.draft.count()
    assert "Add 127.0.0.1 to the IP whitelist in mp.weixin.qq.com → 设置与开发 → 基本配置 → IP白名单" in info.value.hint
    assert "rid:" not in str(info.value)
    sandbox.fault("freepublish/submit", "errcode:48001")
    with pytest.raises(WeChatAPIError) as info:
        client.freepublish.submit("x")
    assert "drafts still work" in info.value.hint


def test_wrong_secret_is_a_clear_error(sandbox, tmp_path):
    stores = stores_at(f"sqlite:///{tmp_path / 's.sqlite3'}")
    client = WeChatAPI("wx_sandbox", "wrong", stores.tokens, stores.locks, sandbox.api_base)
    with pytest.raises(WeChatAPIError) as info:
        client.draft.count()
    assert info.value.errcode == 40125 and "WECHAT_PUB_WECHAT__SECRET" in info.value.hint
    assert "wrong" not in str(info.value)


def test_unreachable_api_is_a_network_error_without_secrets(tmp_path):
    stores = stores_at(f"sqlite:///{tmp_path / 's.sqlite3'}")
    client = WeChatAPI("wx1", "s3cret-value", stores.tokens, stores.locks, "http://127.0.0.1:9/cgi-bin/",
                       token_mode="token", sleep=no_sleep, retry_window=1)
    with pytest.raises(NetworkError) as info:
        client.draft.count()
    assert "connection failed" in str(info.value) and "s3cret-value" not in str(info.value)


def _count_in_process(api_base: str, db_url: str, out) -> None:
    stores = stores_at(db_url)
    client = WeChatAPI("wx_sandbox", "sandbox-secret", stores.tokens, stores.locks, api_base)
    for _ in range(5):
        client.draft.count()
    out.put("ok")


def test_one_token_call_across_processes(sandbox, tmp_path):
    """Four processes share the state store: one token fetch between them (the refresh lock)."""
    db_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    stores_at(db_url)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_count_in_process, args=(sandbox.api_base, db_url, queue)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [queue.get(timeout=5) for _ in workers] == ["ok"] * 4
    assert sandbox.calls()["stable_token"] == 1
    assert sandbox.calls()["draft/count"] == 20
