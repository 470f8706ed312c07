"""Refused webhook requests, logged without letting anyone fill the log: at most one line per source address a
minute, which says how many more were refused from it since the last line. Anyone can post to the webhook; a
forged signature costs the sender one request and must not cost the host a log line each (2,000 forged posts
were 533 KB of log)."""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import urlsplit

from wechat_pub.clock import SYSTEM_CLOCK, Clock

log = logging.getLogger("wechat_pub.bot.webhook")
# werkzeug's access line: ... "POST /wechat?signature=… HTTP/1.1" 403 - (the request line maybe in colour codes)
_ACCESS_LINE = re.compile(r'"(?:\x1b\[[\d;]*m)*[A-Z]+ (\S+) HTTP/[^"]*" (\d{3})')

EVERY_SECONDS = 60.0
MAX_SOURCES = 10_000  # addresses remembered at once (a crowd of senders costs memory, not log)


class RefusalLog:
    """Logs a refused request when its source has had no line within :data:`EVERY_SECONDS`, else counts it; the
    count goes into that source's next line."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK, every: float = EVERY_SECONDS, logger: logging.Logger = log):
        self.clock, self.every, self.logger = clock, every, logger
        self._lock = threading.Lock()
        self._sources: dict[str, list] = {}  # address -> [when its last line was written (monotonic), refused since]

    def refused(self, address: str, status: int, reason: str) -> None:
        now = self.clock.monotonic()
        with self._lock:
            seen = self._sources.get(address)
            if seen is not None and now - seen[0] < self.every:
                seen[1] += 1
                return
            suppressed = seen[1] if seen is not None else 0
            if seen is None and len(self._sources) >= MAX_SOURCES:
                self._forget_quiet(now)
            self._sources[address] = [now, 0]
        more = f"; {suppressed} more refused from it since the last line, not logged" if suppressed else ""
        self.logger.info("refused a webhook request from %s (%d %s)%s; at most one line a minute per address",
                         address or "an unknown address", status, reason, more)

    def _forget_quiet(self, now: float) -> None:
        """Make room: drop the sources quiet for a minute (all of them when none is)."""
        quiet = [address for address, (when, _count) in self._sources.items() if now - when >= self.every]
        for address in quiet or list(self._sources):
            del self._sources[address]


class QuietRefusedRequests(logging.Filter):
    """For the development server (`wechat-pub run`, `serve`): drops its access-log line of a refused request to a
    webhook path, which :class:`RefusalLog` has logged (or counted) already."""

    def __init__(self, paths: set[str]):
        super().__init__()
        self.paths = paths

    def filter(self, record: logging.LogRecord) -> bool:
        found = _ACCESS_LINE.search(record.getMessage())  # (its arguments may be gone: the redactor rewrites it)
        if found is None or not found[2].startswith("4"):
            return True
        return (urlsplit(found[1]).path.rstrip("/") or "/") not in self.paths


def quiet_access_log(paths: set[str]) -> None:
    """Put :class:`QuietRefusedRequests` for ``paths`` on werkzeug's access log (instead of an earlier app's)."""
    werkzeug = logging.getLogger("werkzeug")
    for earlier in [f for f in werkzeug.filters if isinstance(f, QuietRefusedRequests)]:
        werkzeug.removeFilter(earlier)
    werkzeug.addFilter(QuietRefusedRequests(paths))
