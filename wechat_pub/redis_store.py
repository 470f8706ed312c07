"""Token storage (and locks) in Redis, for several hosts sharing one WeChat account.

Same shape as :class:`wechat_pub.store.Store`'s token part: ``get`` / ``set(key, value, ttl)`` /
``delete`` and ``lock(name)``, so the API client takes either. Needs the ``redis`` package
(``pip install 'wechat-pub[redis]'``).
"""

from __future__ import annotations

import json
import time
import uuid
from contextlib import contextmanager
from typing import Any, Iterator

from wechat_pub.errors import ConfigError
from wechat_pub.bot.records import WaitingForReplies

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class RedisTokenStore:
    def __init__(self, url: str, prefix: str = "wechat_pub"):
        try:
            import redis
        except ImportError:
            raise ConfigError("state.redis_url is set but the redis package is not installed.",
                              "pip install 'wechat-pub[redis]'") from None
        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    def get(self, key: str, default: Any = None) -> Any:
        raw = self.client.get(self.key(key))
        return json.loads(raw) if raw is not None else default

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        self.client.set(self.key(key), json.dumps(value), ex=int(ttl) if ttl else None)

    def delete(self, key: str) -> None:
        self.client.delete(self.key(key))

    @contextmanager
    def lock(self, name: str, lease: float = 30, wait: float = 30) -> Iterator[None]:
        """SET NX PX: one holder across hosts; a holder that died frees it when the lease ends."""
        holder, key = uuid.uuid4().hex, self.key(f"lock:{name}")
        deadline = time.monotonic() + wait
        while not self.client.set(key, holder, nx=True, px=int(lease * 1000)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"lock {name!r} is held by another process")
            time.sleep(0.05)
        try:
            yield
        finally:
            self.client.eval(_RELEASE, 1, key, holder)


class RedisReplies(WaitingForReplies):
    """Webhook answers by delivery key in Redis (SET NX EX), for webhooks on several hosts."""

    def __init__(self, url: str, ttl: int = 120, prefix: str = "wechat_pub:reply"):
        self.store = RedisTokenStore(url, prefix)
        self.ttl = ttl

    def claim(self, key: str) -> tuple[bool, str | None]:
        if self.store.client.set(self.store.key(key), "", nx=True, ex=self.ttl):
            return True, None
        return False, self.get(key)

    def get(self, key: str) -> str | None:
        raw = self.store.client.get(self.store.key(key))
        return raw.decode() if raw else None

    def save(self, key: str, reply: str) -> None:
        self.store.client.set(self.store.key(key), reply, ex=self.ttl)
