"""The Redis client, for deployments of several hosts (``state.redis_url``). Needs the ``redis`` extra."""

from __future__ import annotations

from wechat_pub.errors import ConfigError


def redis_client(url: str, timeout: float | None = 5.0):
    """A client whose every call ends within ``timeout`` seconds (the webhook's: half a second)."""
    try:
        import redis
    except ImportError:
        raise ConfigError("state.redis_url is set but the redis package is not installed.",
                          "pip install 'wechat-pub[redis]'") from None
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
