"""Named points in a push where a test may kill the process (SIGKILL) to prove a rerun recovers.

Set ``WECHAT_PUB_TEST_CRASH_AT=name`` (or ``name#N`` for its N-th time); unset, this does nothing. With
``WECHAT_PUB_TEST_CRASH_ONCE=PATH`` only the first process to get there dies (it leaves PATH behind), so the
processes a supervisor starts in its place live on.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_seen: Counter = Counter()
_TARGET = os.environ.get("WECHAT_PUB_TEST_CRASH_AT")  # read once: a webhook passes a point per message


def crash_point(name: str) -> None:
    target = _TARGET
    if not target:
        return
    _seen[name] += 1
    wanted, _, nth = target.partition("#")
    if wanted == name and _seen[name] == int(nth or 1) and _first_to_die():
        os.kill(os.getpid(), signal.SIGKILL)


def _first_to_die() -> bool:
    marker = os.environ.get("WECHAT_PUB_TEST_CRASH_ONCE")
    if not marker:
        return True
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True
