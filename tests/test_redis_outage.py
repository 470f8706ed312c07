"""Issue 30: two hosts on one PostgreSQL and one Redis, and Redis killed between a message's first delivery and
its retry on the other host. Every delivery of a message gets the first reply, byte for byte, and the query log
counts it once: while Redis is away (the state database is the shared tier), after it comes back empty, and
while the hosts come back from the outage at different moments (each breaker's cool-down on its own clock)."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

from conftest import SEED_ARTICLE, firm_config, make_database_url, start_redis, wait_until_searchable
from wechat_pub.bot.protocol import signed_message
from wechat_pub.bot.simulate import message_xml
from wechat_pub.clock import Clock

TOKEN = "tok3n"
COOLDOWN = 3.0  # the breaker's (state/outage.py)


class Host:
    """One host: its own folder and state folder, the shared database and Redis, its service (the webhook and a
    scheduler candidate, as `create_service()` runs it) on a real socket, and a clock whose monotonic time (the
    breakers' cool-down) the test moves on instead of sleeping."""

    def __init__(self, folder, database_url: str, redis_url: str):
        from wechat_pub.app import create_service
        from wechat_pub.config import load_config
        from wechat_pub.deployment import Deployment

        (folder / "articles").mkdir(parents=True)
        shutil.copy(SEED_ARTICLE, folder / "articles")
        firm_config(folder, f'\n[state]\ndatabase_url = "{database_url}"\nredis_url = "{redis_url}"\n')
        self.skipped = 0.0
        clock = Clock(time=time.time, monotonic=lambda: time.monotonic() + self.skipped, sleep=time.sleep)
        self.deployment = Deployment(load_config(folder / "config.toml"), clock)
        self.app = create_service(deployment=self.deployment)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/wechat"
        wait_until_searchable(f"http://127.0.0.1:{self.server.server_port}")

    def deliver(self, xml: str) -> bytes:
        """The reply's bytes to one delivery of ``xml``, as WeChat sends it."""
        params, body = signed_message(xml, TOKEN)
        response = requests.post(self.url, params=params, data=body, timeout=10)
        assert response.status_code == 200 and b"<Content>" in response.content, response.text
        return response.content

    def stop(self) -> None:
        self.server.shutdown()
        self.app.extensions["wechat_pub.scheduler"].stop()

    def cool_down(self) -> None:
        """As if the breaker's cool-down had passed on this host."""
        self.skipped += COOLDOWN + 1


@pytest.fixture
def two_hosts(tmp_path, monkeypatch):
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__TOKEN", TOKEN)
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__SEARCH_SCOPE", "all")
    monkeypatch.setenv("WECHAT_PUB_WEBHOOK__QUERY_LOG_DELAY", "0")  # each query written at once
    database_url = make_database_url("postgresql", tmp_path)
    redis, redis_url = start_redis()  # the test's own: it kills it
    hosts = [Host(tmp_path / name, database_url, redis_url) for name in ("a", "b")]
    state = {"redis": redis, "port": int(redis_url.rsplit(":", 1)[1].split("/")[0])}

    def kill_redis() -> None:
        state["redis"].kill()
        state["redis"].wait(10)

    def restart_redis() -> None:  # on the same address, empty: what it held before is gone
        state["redis"] = start_redis(state["port"])[0]

    yield hosts, kill_redis, restart_redis
    for host in hosts:
        host.stop()
    state["redis"].kill()


def asked(host: Host, word: str) -> int:
    """Rows the shared query log holds for ``word``."""
    from sqlalchemy import text

    host.deployment.services.query_spool.flush()
    with host.deployment.services.db.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM queries WHERE query = :q"), {"q": word}).scalar()


def message(word: str) -> str:
    return message_xml(word, "gh_test")


@pytest.mark.postgres
def test_a_retry_on_the_other_host_after_redis_died_gets_the_first_reply(two_hosts):
    """Issue 30: with Redis down each host answered from its own store, and after Redis came back empty the
    answers it held were gone: a retry on the other host got a new reply and the query was logged twice."""
    (a, b), kill_redis, restart_redis = two_hosts
    before = message("苹果")
    first = a.deliver(before)  # answered (and kept) while Redis is up
    kill_redis()
    assert b.deliver(before) == first  # the retry reaches the other host, Redis gone
    during = message("数据安全")
    answered_in_outage = b.deliver(during)  # first delivered while Redis is away
    assert a.deliver(during) == answered_in_outage
    restart_redis()
    for host in (a, b):
        host.cool_down()
    for host in (a, b):  # Redis is back, empty: the answers are still the first ones
        assert host.deliver(before) == first
        assert host.deliver(during) == answered_in_outage
    for word in ("苹果", "数据安全"):
        assert asked(a, word) == 1, word


@pytest.mark.postgres
def test_hosts_back_from_an_outage_at_different_moments_agree(two_hosts):
    """Issue 30: after Redis returned, a host still in its breaker's cool-down answered from its own store while
    the other used Redis again: the two disagreed about messages first delivered in those seconds."""
    (a, b), kill_redis, restart_redis = two_hosts
    kill_redis()
    warm = message("GDPR")
    assert a.deliver(warm) == b.deliver(warm)  # both hosts saw Redis fail: both breakers open
    restart_redis()
    b.cool_down()  # b is back on Redis; a is not yet
    to_a, to_b = message("个人信息"), message("区块链")
    first_on_a = a.deliver(to_a)  # first to the host still cooling down, retried on the one on Redis
    assert b.deliver(to_a) == first_on_a
    first_on_b = b.deliver(to_b)  # and the other way round
    assert a.deliver(to_b) == first_on_b
    a.cool_down()
    assert (a.deliver(to_a), a.deliver(to_b)) == (first_on_a, first_on_b)
    for word in ("GDPR", "个人信息", "区块链"):
        assert asked(a, word) == 1, word


# ---- the tiers on their own: which store decides, with stores switched off as an outage does ---------------


class Switchable:
    """A real store that fails as an unreachable server does while ``down``; counts the calls that reach it."""

    def __init__(self, store):
        self.store, self.down, self.calls = store, False, 0

    def __getattr__(self, name):
        method = getattr(self.store, name)

        def call(*args):
            import redis

            self.calls += 1
            if self.down:
                raise redis.ConnectionError("connection refused")
            return method(*args)

        return call


@pytest.fixture
def tiers(tmp_path, database_url, redis_url, fake_clock):
    """(the tiers, the database's store, Redis's store): a shared database deciding, Redis as its copy."""
    from conftest import stores_at
    from wechat_pub.state.outage import Breaker
    from wechat_pub.state.redis import redis_client
    from wechat_pub.state.replies import Guarded, HostReplies, RedisReplies, StoredReplies, TieredReplies

    clock = fake_clock.clock
    database = Switchable(StoredReplies(stores_at(database_url).db, clock=clock))
    redis = Switchable(RedisReplies(redis_client(redis_url), prefix=f"test-{time.monotonic_ns()}", clock=clock))
    replies = TieredReplies(Guarded(database, Breaker("the state database", clock=clock)),
                            HostReplies(tmp_path / "answers", clock=clock),
                            mirror=Guarded(redis, Breaker("Redis", clock=clock)))
    return replies, database, redis


def test_the_database_decides_and_redis_keeps_a_copy(tiers):
    replies, database, redis = tiers
    assert replies.keep("k", "first") == ("first", True)
    assert (database.store.get("k"), redis.store.get("k")) == ("first", "first")
    redis.store.client.delete(redis.store.key("k"))  # Redis restarted empty
    assert replies.keep("k", "again") == ("first", False)


def test_an_answer_redis_kept_while_the_database_was_away_stays_the_first(tiers, fake_clock):
    """Issue 30: Redis decides while the database is away; when the database is back it adopts that answer."""
    replies, database, redis = tiers
    database.down = True
    assert replies.keep("k", "while away") == ("while away", True)
    calls = database.calls
    assert replies.keep("k", "retry") == ("while away", False)
    assert database.calls == calls  # the breaker is open: the database is not tried again meanwhile
    database.down = False
    fake_clock.advance(COOLDOWN + 1)
    assert replies.keep("k", "back") == ("while away", False)
    assert database.store.get("k") == "while away"


def test_the_hosts_store_only_when_every_shared_store_is_away(tiers, fake_clock):
    replies, database, redis = tiers
    database.down = redis.down = True
    assert replies.keep("k", "here") == ("here", True)
    database.down = redis.down = False
    fake_clock.advance(COOLDOWN + 1)
    assert replies.keep("k", "later") == ("here", False)  # a retry on this host: what it answered
    assert database.store.get("k") is None and replies.keep("other", "shared") == ("shared", True)
