"""One contract for each storage the API client and the webhook share, in the state database (SQLite and
PostgreSQL) and in Redis: tokens, locks, webhook answers; and clients on Redis sharing one token."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from conftest import FakeClock, make_database_url, stores_at
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.locks import Locks, RedisLocks
from wechat_pub.state.redis import redis_client
from wechat_pub.state.replies import LOCK_RETRY, Kept, RedisReplies, StoredReplies
from wechat_pub.state.tokens import RedisTokenStorage, TokenStorage
from wechat_pub.wechat import WeChatAPI

STORAGES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "redis"]


def prefix() -> str:
    return f"test-{time.monotonic_ns()}"


@pytest.fixture(params=STORAGES)
def kind(request):
    return request.param


@pytest.fixture
def tokens(kind, tmp_path, request):
    if kind == "redis":
        return RedisTokenStorage(redis_client(request.getfixturevalue("redis_url")), prefix())
    return TokenStorage(stores_at(make_database_url(kind, tmp_path)).db)


@pytest.fixture
def locks(kind, tmp_path, request):
    if kind == "redis":
        return RedisLocks(redis_client(request.getfixturevalue("redis_url")), prefix())
    return Locks(stores_at(make_database_url(kind, tmp_path)).db)


def test_get_set_delete(tokens):
    assert tokens.get("k") is None and tokens.get("k", "d") == "d"
    tokens.set("k", {"token": "t", "expires_at": 1.5})
    assert tokens.get("k") == {"token": "t", "expires_at": 1.5}
    tokens.set("k", {"token": "u", "expires_at": 2.5})  # replaced, not duplicated
    assert tokens.get("k") == {"token": "u", "expires_at": 2.5}
    tokens.delete("k")
    assert tokens.get("k") is None


def test_a_value_lives_as_long_as_its_ttl(tmp_path, fake_clock):
    storage = TokenStorage(stores_at(make_database_url("sqlite", tmp_path)).db, fake_clock.clock)
    storage.set("short", "v", ttl=60)
    fake_clock.advance(59)
    assert storage.get("short") == "v"
    fake_clock.advance(2)
    assert storage.get("short") is None


def test_redis_values_carry_their_ttl(redis_url):
    storage = RedisTokenStorage(redis_client(redis_url), prefix())
    storage.set("short", "v", ttl=60)
    assert 0 < storage.client.ttl(storage.key("short")) <= 60
    storage.set("forever", "v")
    assert storage.client.ttl(storage.key("forever")) == -1


def test_lock_is_exclusive(locks):
    inside, overlaps = [0], [0]

    def work():
        with locks.lock("refresh", lease=5, wait=10):
            inside[0] += 1
            if inside[0] > 1:
                overlaps[0] += 1
            time.sleep(0.02)
            inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps[0] == 0


def test_a_dead_holder_frees_the_lock_when_its_lease_ends(kind, tmp_path, request):
    clock = FakeClock()
    if kind == "redis":  # Redis expires the key itself, on its own (real) clock
        locks = RedisLocks(redis_client(request.getfixturevalue("redis_url")), prefix())
    else:
        locks = Locks(stores_at(make_database_url(kind, tmp_path)).db, clock.clock)
    dead = locks.lock("stale", lease=0.3)
    dead.__enter__()  # a holder that dies without letting go (kept referenced: no cleanup runs)
    with pytest.raises(TimeoutError):
        with locks.lock("stale", lease=5, wait=0.1):
            pass
    with locks.lock("stale", lease=5, wait=5):  # its lease runs out; the next holder gets it
        pass
    del dead


def test_a_lease_is_renewed_by_its_holder_only(tmp_path, fake_clock):
    locks = Locks(stores_at(make_database_url("sqlite", tmp_path)).db, fake_clock.clock)
    assert locks.take_lease("scheduler", "a", 30) and locks.take_lease("scheduler", "a", 30)
    assert not locks.take_lease("scheduler", "b", 30)
    fake_clock.advance(31)  # "a" stopped renewing
    assert locks.take_lease("scheduler", "b", 30) and not locks.take_lease("scheduler", "a", 30)


def test_clients_on_redis_share_one_token(sandbox, redis_url):
    client = redis_client(redis_url)
    tokens, locks = RedisTokenStorage(client, prefix()), RedisLocks(client, prefix())
    clients = [WeChatAPI("wx_sandbox", "sandbox-secret", tokens, locks, sandbox.api_base) for _ in range(3)]
    for api in clients:
        api.draft.count()
    assert sandbox.calls()["stable_token"] == 1


@pytest.fixture
def replies(kind, tmp_path, request, fake_clock):
    if kind == "redis":
        return RedisReplies(redis_client(request.getfixturevalue("redis_url")), prefix=prefix(), clock=fake_clock.clock)
    return StoredReplies(stores_at(make_database_url(kind, tmp_path)).db, clock=fake_clock.clock)


def test_reply_store_contract(replies, fake_clock):
    """The first answer kept for a key is the one every delivery sends; only its delivery is told it was first."""
    assert replies.keep("k1", "<xml>first</xml>") == Kept("<xml>first</xml>", True)
    assert replies.keep("k1", "<xml>a retry's</xml>") == Kept("<xml>first</xml>", False)
    assert replies.get("k1") == "<xml>first</xml>" and replies.get("k2") is None
    assert replies.keep("k2", "<xml>other</xml>").first


def test_answers_are_kept_by_concurrent_deliveries_once(replies):
    """Deliveries of one message racing from several threads (workers): one answer kept, the same one sent."""
    results = []

    def deliver(n):
        results.append(replies.keep("race", f"<xml>{n}</xml>"))

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({kept.answer for kept in results}) == 1 and sum(kept.first for kept in results) == 1


def test_an_older_unanswered_claim_is_answered(tmp_path):
    """A row an older version left claimed but unanswered (its worker died) takes the next answer."""
    stores = stores_at(make_database_url("sqlite", tmp_path))
    with stores.db.begin() as conn:
        conn.exec_driver_sql("INSERT INTO webhook_replies (key, reply, created_at, claimed_at) VALUES ('k', NULL, 1, 1)")
    replies = StoredReplies(stores.db)
    assert replies.keep("k", "<xml>now</xml>") == Kept("<xml>now</xml>", True)


def test_answers_outlive_the_timestamp_window(tmp_path, fake_clock):
    """A replay accepted by the ±300 s timestamp check must find the kept answer, not run again."""
    replies = StoredReplies(stores_at(make_database_url("sqlite", tmp_path)).db, ttl=360, clock=fake_clock.clock)
    replies.keep("k", "<xml>a</xml>")
    fake_clock.advance(300)
    assert replies.keep("other", "<xml>o</xml>").first  # (keeping also purges what expired, once a minute)
    assert replies.keep("k", "<xml>b</xml>") == Kept("<xml>a</xml>", False)
    fake_clock.advance(120)
    assert replies.keep("third", "<xml>t</xml>").first
    assert replies.keep("k", "<xml>c</xml>") == Kept("<xml>c</xml>", True)  # gone after its time to live


def host_file(tmp_path, name="webhook-local.sqlite3"):
    return StateDatabase(f"sqlite:///{tmp_path / name}", tables=("webhook_replies",), disposable=True)


def indexes(db) -> set[str]:
    with db.connect() as conn:
        return {row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index' "
                                                       "AND name NOT LIKE 'sqlite_%'")}


class TickingClock(FakeClock):
    """A monotonic clock that moves by ``step`` each time it is read (a store waiting for a lock reads it once
    per try); ``on_sleep`` runs whenever the waiter sleeps, with how long."""

    def __init__(self, step: float, on_sleep=lambda seconds: None):
        super().__init__()
        self.step, self.on_sleep = step, on_sleep

    def monotonic(self) -> float:
        self.mono += self.step
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.on_sleep(seconds)
        super().sleep(seconds)


def test_a_host_file_write_waits_briefly_for_another_workers_lock(tmp_path):
    """Another worker holding the host file's write lock: the write sleeps a tenth of a millisecond between
    tries (SQLite's own handler would sleep a millisecond or more) and goes through once the lock is free; held
    past the engine's busy timeout (30 s), the write fails (and TieredReplies sends the answer unkept)."""
    db = host_file(tmp_path)
    holder = sqlite3.connect(db.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another worker in the middle of its write
    sleeps = []

    def release_after_three(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 3:
            holder.execute("COMMIT")

    replies = StoredReplies(db, clock=TickingClock(0.0001, on_sleep=release_after_three).clock)
    assert replies.keep("k", "<xml>a</xml>") == Kept("<xml>a</xml>", True)
    assert sleeps == [LOCK_RETRY] * 3 and LOCK_RETRY < 0.001

    holder.execute("BEGIN IMMEDIATE")
    stuck = StoredReplies(db, clock=TickingClock(1.0).clock)  # each try a second later: past 30 s, it gives up
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        stuck.keep("j", "<xml>b</xml>")
    holder.execute("COMMIT")
    assert stuck.keep("j", "<xml>b</xml>").first  # a fresh connection, once the lock is free
    assert replies.keep("j", "<xml>c</xml>") == Kept("<xml>b</xml>", False)


def test_a_host_file_has_no_created_at_index_and_the_shared_database_has(tmp_path):
    """Each message's write on the host changes one B-tree fewer; the shared store still purges by index. A
    host file an older version made with the index loses it when opened, and keeps its rows."""
    assert "ix_webhook_replies_created_at" in indexes(stores_at(make_database_url("sqlite", tmp_path)).db)
    with sqlite3.connect(tmp_path / "older.sqlite3") as conn:
        conn.executescript("CREATE TABLE webhook_replies (key VARCHAR(300) PRIMARY KEY, reply TEXT, "
                           "created_at FLOAT NOT NULL, claimed_at FLOAT NOT NULL); "
                           "CREATE INDEX ix_webhook_replies_created_at ON webhook_replies (created_at);"
                           "INSERT INTO webhook_replies VALUES ('k', '<xml>kept</xml>', 1, 0);")
    assert indexes(host_file(tmp_path)) == set()
    assert indexes(host_file(tmp_path, "older.sqlite3")) == set()
    assert StoredReplies(host_file(tmp_path, "older.sqlite3")).get("k") == "<xml>kept</xml>"


@pytest.mark.postgres
def test_the_shared_postgres_store_keeps_its_created_at_index(tmp_path):
    db = stores_at(make_database_url("postgresql", tmp_path)).db
    with db.connect() as conn:
        names = {row[0] for row in conn.exec_driver_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'webhook_replies' "
            "AND schemaname = current_schema()")}
    assert "ix_webhook_replies_created_at" in names


def test_a_host_file_purges_exactly_the_expired_answers(tmp_path, fake_clock):
    """Purged by rowid up to the first answer still young: the expired ones go, none that is young, and all
    of them when all have expired. (An answer whose time was read a moment before another worker's but written
    after it waits for the next purge: nothing young is ever deleted.)"""
    replies = StoredReplies(host_file(tmp_path), ttl=360, clock=fake_clock.clock)
    replies.keep("first", "<xml>1</xml>")  # (purges the empty table; then once a minute at most)
    for n in range(5):
        fake_clock.advance(30)
        replies.keep(f"old-{n}", f"<xml>{n}</xml>")
    fake_clock.advance(200)
    replies.keep("young", "<xml>y</xml>")
    fake_clock.advance(100)
    replies.keep("trigger", "<xml>t</xml>")  # purges: more than a minute since the last purge
    kept = {key for key in ["first", *(f"old-{n}" for n in range(5)), "young", "trigger"] if replies.get(key)}
    # ages then: first 450 s, old-n 420 − 30n s, young 100 s; the time to live is 360 s (old-2 is exactly 360)
    assert kept == {"old-2", "old-3", "old-4", "young", "trigger"}
    fake_clock.advance(1000)
    replies.keep("last", "<xml>l</xml>")  # everything before it has expired
    assert [key for key in ("old-4", "young", "trigger") if replies.get(key)] == []
    assert replies.get("last") == "<xml>l</xml>"
