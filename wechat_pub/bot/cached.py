"""A value the webhook reads often and that changes rarely (the published links and covers), recomputed at most
every few seconds; while it cannot be recomputed (the state database is away) the last value, or a fallback,
stands."""

from __future__ import annotations

from wechat_pub.clock import Clock
from wechat_pub.state.outage import is_outage


class Cached:
    def __init__(self, compute, clock: Clock, seconds: float = 5.0, fallback=None):
        self.compute, self.clock, self.seconds, self.fallback = compute, clock, seconds, fallback
        self.value, self.at = None, 0.0

    def __call__(self):
        if self.value is None or self.clock.monotonic() - self.at > self.seconds:
            try:
                value = self.compute()
                if value != self.value:  # the same value stays the same object: what was made from it holds
                    self.value = value
            except Exception as exc:
                if not is_outage(exc):
                    raise
                self.value = self.value if self.value is not None else self.fallback
            self.at = self.clock.monotonic()
        return self.value

    def clear(self) -> None:
        self.value = None
