"""Named points in a push where a test may kill the process (SIGKILL) to prove a rerun recovers.

Set ``WECHAT_PUB_TEST_CRASH_AT=name`` (or ``name#N`` for its N-th time); unset, this does nothing.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_seen: Counter = Counter()


def crash_point(name: str) -> None:
    target = os.environ.get("WECHAT_PUB_TEST_CRASH_AT")
    if not target:
        return
    _seen[name] += 1
    wanted, _, nth = target.partition("#")
    if wanted == name and _seen[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
