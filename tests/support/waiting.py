"""Poll a condition with a deadline: the only way these tests wait."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(check: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    delay = 0.02
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(delay)  # the poll interval, not a synchronisation guess
        delay = min(delay * 2, 0.5)
