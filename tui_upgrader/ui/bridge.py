"""The worker-side end of the one bridge between threads.

``ThrottledEmit`` is the ``emit`` a worker hands to the engine. It posts every
event as an ``UpgradeEvent``, but byte/layer progress for the same transfer
at most ``max_rate`` times a second: every post wakes the UI loop and costs a
repaint, and on a 2-core box that repaint competes with the download and
hashing threads for the GIL (8 Hz: about 7 % of one core during a 1 GiB
loopback download, see benchmarks/bench_tui.py). The newest held-back progress is
sent before any other event, so the UI never shows a stale count once a step
ends. ``can_replace`` on the message coalesces whatever still piles up.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tui_upgrader.core.events import Event, LayerEvent, ProgressEvent
from tui_upgrader.core.throttle import RateGate
from tui_upgrader.ui.messages import UpgradeEvent

Post = Callable[[UpgradeEvent], object]


def _key(event: Event) -> tuple[object, ...] | None:
    if isinstance(event, ProgressEvent):
        return ("p", event.step)
    if isinstance(event, LayerEvent):
        return ("l", event.image, event.layer, event.phase)
    return None


class ThrottledEmit:
    def __init__(
        self,
        post: Post,
        *,
        max_rate: float = 8.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._post = post
        self._gate = RateGate(1.0 / max_rate, monotonic)
        self._held: dict[tuple[object, ...], Event] = {}
        # The engine may emit from helper threads (hashing, compose logs).
        self._lock = threading.Lock()
        self.posted = 0

    def __call__(self, event: Event) -> None:
        key = _key(event)
        with self._lock:
            if key is None:
                self._flush_locked()
                self._send(event)
                return
            assert isinstance(event, ProgressEvent | LayerEvent)
            if self._gate.allow(key, final=event.finished):
                self._held.pop(key, None)
                self._send(event)
            else:
                self._held[key] = event

    def flush(self) -> None:
        with self._lock:
            self._flush_locked()

    def _flush_locked(self) -> None:
        held, self._held = self._held, {}
        for event in held.values():
            self._send(event)

    def _send(self, event: Event) -> None:
        self.posted += 1
        self._post(UpgradeEvent(event))
