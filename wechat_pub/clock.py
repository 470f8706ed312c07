"""Time, injected: everything that waits or decides by the clock takes a :class:`Clock`, so tests move time
instead of sleeping (as :class:`~wechat_pub.wechat.client.WeChatAPI` always did with its ``clock``/``sleep``)."""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Clock:
    time: Callable[[], float] = _time.time  # wall clock (seconds since the epoch): what is stored and compared
    monotonic: Callable[[], float] = _time.monotonic  # for deadlines within one process
    sleep: Callable[[float], None] = _time.sleep


SYSTEM_CLOCK = Clock()
