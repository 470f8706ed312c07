"""What every thread of the test's process was doing when a request to a server it runs timed out.

The consoles and sandboxes of the tests serve from threads of the test's own process, so when a request times out
the thread that did not answer is still here, mid-stall. A bare ``ReadTimeout`` says only that it waited (CI saw
two such in 1,500 tests, both under libfaketime); with the threads' stacks the next one says where.
"""

from __future__ import annotations

import sys
import threading
import traceback

import requests
from requests.adapters import HTTPAdapter

FRAMES = 12  # the innermost frames of each thread: where it waits, and what asked it to


def threads_now() -> str:
    """Every other thread's innermost frames, named."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    parts = []
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue
        stack = "".join(traceback.format_stack(frame)[-FRAMES:])
        parts.append(f"--- thread {names.get(ident, ident)}\n{stack}")
    return "\n".join(parts)


def install() -> None:
    """Every timed-out request of this process says what its threads were doing."""
    send = HTTPAdapter.send
    if getattr(send, "says_where_it_stalled", False):
        return

    def send_saying_where(self, request, *args, **kwargs):
        try:
            return send(self, request, *args, **kwargs)
        except requests.exceptions.ReadTimeout as timeout:
            raise requests.exceptions.ReadTimeout(
                f"{timeout}\n{request.method} {request.url} had no answer; this process's threads then:\n"
                f"{threads_now()}", request=request) from timeout

    send_saying_where.says_where_it_stalled = True
    HTTPAdapter.send = send_saying_where
