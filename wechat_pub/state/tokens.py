"""Where the access token lives: wechatpy's session shape (``get`` / ``set(key, value, ttl)`` / ``delete``),
in the state database (one host) or in Redis (several hosts). One contract test covers both."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select

from wechat_pub.clock import SYSTEM_CLOCK, Clock
from wechat_pub.state.database import StateDatabase
from wechat_pub.state.schema import tokens


class TokenStorage:
    """Key -> JSON value with an optional lifetime, in the state database."""

    def __init__(self, db: StateDatabase, clock: Clock = SYSTEM_CLOCK):
        self.db = db
        self.clock = clock

    def get(self, key: str, default: Any = None) -> Any:
        with self.db.connect() as conn:
            row = conn.execute(select(tokens.c.value, tokens.c.expires_at).where(tokens.c.key == key)).first()
        if row is None or (row.expires_at is not None and row.expires_at <= self.clock.time()):
            return default
        return json.loads(row.value)

    def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        expires = self.clock.time() + ttl if ttl else None
        with self.db.begin() as conn:
            conn.execute(self.db.upsert(tokens, {"key": key, "value": json.dumps(value), "expires_at": expires}))

    def delete(self, key: str) -> None:
        with self.db.begin() as conn:
            conn.execute(delete(tokens).where(tokens.c.key == key))


class RedisTokenStorage:
    """The same in Redis: values as JSON with ``EX`` lifetimes, keys under a prefix."""

    def __init__(self, client, prefix: str = "wechat_pub"):
        self.client = client
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
