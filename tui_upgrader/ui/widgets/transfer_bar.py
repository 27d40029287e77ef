"""Byte progress of the current step: bar, bytes, speed and ETA.

Speed and ETA are computed here, in the UI, from ``ProgressEvent`` counts and
the injected clock (the engine only reports bytes).
"""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.containers import VerticalGroup
from textual.widgets import Label, ProgressBar

from tui_upgrader.core import display
from tui_upgrader.core.events import ProgressEvent, Step
from tui_upgrader.core.i18n import _
from tui_upgrader.ui.planview import STEP_TITLES


class RateMeter:
    """Average speed over a sliding window of (time, bytes) samples."""

    def __init__(self, window_s: float = 3.0) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def add(self, now: float, done: int) -> None:
        if self._samples and done < self._samples[-1][1]:
            self._samples.clear()  # a restart (server ignored Range): start over
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.window_s:
            self._samples.popleft()

    def rate(self) -> float | None:
        if len(self._samples) < 2:
            return None
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        if t1 <= t0:
            return None
        return (d1 - d0) / (t1 - t0)

    def eta(self, done: int, total: int | None) -> float | None:
        speed = self.rate()
        if total is None or not speed or speed <= 0:
            return None
        return max(total - done, 0) / speed


class TransferBar(VerticalGroup):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.step: Step | None = None
        self.meter = RateMeter()
        self.done = 0
        self.total: int | None = None
        self.shown: ProgressEvent | None = None  # the event last drawn

    def compose(self) -> ComposeResult:
        yield Label(_("No transfer yet"), id="transfer-title", markup=False)
        yield ProgressBar(total=1, show_eta=False, id="transfer-progress")
        yield Label("", id="transfer-detail", markup=False)

    def on_mount(self) -> None:
        self.query_one(ProgressBar).update(total=1, progress=0)

    def show(self, event: ProgressEvent, now: float) -> None:
        self.shown = event
        if event.step is not self.step:
            self.step = event.step
            self.meter.reset()
        self.meter.add(now, event.done)
        self.done, self.total = event.done, event.total
        title = STEP_TITLES.get(event.step, str(event.step))
        if event.label:
            title += f": {event.label}"
        # Fixed one-line labels (app.tcss): no layout pass per progress update.
        self.query_one("#transfer-title", Label).update(title, layout=False)
        bar = self.query_one(ProgressBar)
        if event.total:
            bar.update(total=event.total, progress=min(event.done, event.total))
        else:
            # Unknown size: a full bar rather than Textual's animated pulse,
            # which would make screenshots differ run to run.
            bar.update(total=1, progress=1 if event.done else 0)
        self.query_one("#transfer-detail", Label).update(self.detail(), layout=False)

    def detail(self) -> str:
        text = display.transfer(self.done, self.total, self.meter.rate())
        if self.meter.rate() is None and self.total is not None and self.done < self.total:
            text += " · " + _("measuring speed")
        return text
