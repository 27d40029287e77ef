"""A fast retry policy and an event recorder for the download tests."""

from __future__ import annotations

from tui_upgrader.core.events import Event
from tui_upgrader.ops.download.fetch import RetryPolicy

# No waiting between retries in tests; Retry-After is still honoured.
FAST_RETRY = RetryPolicy(retries=5, base_delay_s=0.0)


class Recorder:
    """An ``Emit`` that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)
