"""One rule for every progress stream: at most one update per interval per key.

Progress feeds a terminal that is often on the far side of a slow SSH link,
so every producer (downloads, backups, the TUI bridge, the headless printer)
passes its updates through the same gate. A final update always passes, so
the last thing shown is never a stale count.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable


class RateGate:
    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval_s
        self._clock = clock
        self._last: dict[Hashable, float] = {}

    def allow(self, key: Hashable = None, *, final: bool = False) -> bool:
        """True if an update for ``key`` may go out now (and count it as sent)."""
        now = self._clock()
        last = self._last.get(key)
        if final or last is None or now - last >= self._interval:
            self._last[key] = now
            return True
        return False
