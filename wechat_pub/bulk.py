"""Work on many objects at once (a first sync or index of a large archive)."""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused_gc():
    """Python's cycle collector pauses meanwhile: it would walk every object read so far, again and again, while
    thousands of issues are read (and none of them is garbage until the work is done)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
