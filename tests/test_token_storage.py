"""One contract for every token storage (the state database and Redis), and a client on Redis."""

from __future__ import annotations

import threading
import time

import pytest

from conftest import make_database_url
from wechat_pub.redis_store import RedisTokenStore
from wechat_pub.store import Store
from wechat_pub.wechat import WeChatAPI


STORAGES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "redis"]


@pytest.fixture(params=STORAGES)
def storage(request, tmp_path):
    if request.param != "redis":
        return Store(make_database_url(request.param, tmp_path))
    url = request.getfixturevalue("redis_url")
    store = RedisTokenStore(url, prefix=f"test-{time.monotonic_ns()}")
    return store


def test_get_set_delete_and_ttl(storage):
    assert storage.get("k") is None and storage.get("k", "d") == "d"
    storage.set("k", {"token": "t", "expires_at": 1.5})
    assert storage.get("k") == {"token": "t", "expires_at": 1.5}
    storage.set("short", "v", ttl=1)
    assert storage.get("short") == "v"
    time.sleep(1.2)
    assert storage.get("short") is None
    storage.delete("k")
    assert storage.get("k") is None


def test_lock_is_exclusive(storage):
    inside, overlaps = [0], [0]

    def work():
        with storage.lock("refresh", lease=5, wait=10):
            inside[0] += 1
            if inside[0] > 1:
                overlaps[0] += 1
            time.sleep(0.05)
            inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps[0] == 0


def test_a_dead_holder_frees_the_lock_when_its_lease_ends(storage):
    context = storage.lock("stale", lease=0.5)
    context.__enter__()  # a holder that never lets go
    start = time.monotonic()
    with storage.lock("stale", lease=5, wait=5):
        pass
    assert time.monotonic() - start >= 0.3


def test_clients_on_redis_share_one_token(sandbox, redis_url):
    tokens = RedisTokenStore(redis_url, prefix="shared-test")
    clients = [WeChatAPI("wx_sandbox", "sandbox-secret", tokens, sandbox.api_base) for _ in range(3)]
    for client in clients:
        client.draft.count()
    assert sandbox.calls()["stable_token"] == 1


@pytest.fixture(params=STORAGES)
def replies(request, tmp_path):
    from wechat_pub.redis_store import RedisReplies
    from wechat_pub.bot.records import StoreReplies

    if request.param != "redis":
        return StoreReplies(Store(make_database_url(request.param, tmp_path)))
    return RedisReplies(request.getfixturevalue("redis_url"), prefix=f"replies-{time.monotonic_ns()}")


def test_reply_store_contract(replies):
    """The first delivery claims the key; a retry gets nothing until the answer is saved, then the answer."""
    assert replies.claim("k1") == (True, None)
    assert replies.claim("k1") == (False, None)
    assert replies.wait("k1", 0.2) is None
    threading.Timer(0.2, lambda: replies.save("k1", "<xml>answer</xml>")).start()
    assert replies.wait("k1", 3) == "<xml>answer</xml>"
    assert replies.claim("k1") == (False, "<xml>answer</xml>")
    assert replies.claim("k2") == (True, None)
