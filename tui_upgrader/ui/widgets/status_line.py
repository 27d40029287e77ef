"""The progress screen's bottom line: elapsed time, downtime, and whether cancel works."""

from __future__ import annotations

from dataclasses import dataclass

from textual.widgets import Static

from tui_upgrader.core import display
from tui_upgrader.core.i18n import _


@dataclass(slots=True)
class Timing:
    """Monotonic marks (the screen's injected clock) that the line is computed from."""

    started: float = 0.0
    ended: float | None = None
    down_from: float | None = None  # the stop began
    down_until: float | None = None  # the health gate passed (or the end)
    downtime: float | None = None  # the engine's own figure, once known


def clock(seconds: float, *, running: bool) -> str:
    # Whole seconds while running: the line then changes once a second,
    # not on every progress event.
    seconds = max(0.0, seconds)
    if running and seconds < 60:
        return _("{seconds} s").format(seconds=int(seconds))
    return display.duration(seconds)


def status_text(
    timing: Timing,
    now: float,
    *,
    running: bool,
    critical: bool,
    cancelling: bool,
    services: str = "unknown",
) -> str:
    """``services`` is the run model's engine-given state: up only after a passed gate."""
    now = timing.ended if timing.ended is not None else now
    parts = [_("Elapsed {time}").format(time=clock(now - timing.started, running=running))]
    if timing.down_from is not None:
        end = timing.down_until if timing.down_until is not None else now
        down = timing.downtime or end - timing.down_from
        parts.append(_("downtime {time}").format(time=clock(down, running=running)))
    if services == "up":
        parts.append(_("services up (health gate passed)"))
    elif services == "rolling-back":
        parts.append(_("rolling back: services not up"))
    elif services == "down" and timing.down_from is None:
        parts.append(_("services down"))
    elif services == "unknown" and timing.down_from is None:
        parts.append(_("services not stopped yet"))
    if running:
        if critical:
            parts.append(_("critical section: cancel locked"))
        elif cancelling:
            parts.append(_("cancelling…"))
        else:
            parts.append(_("c cancels safely"))
    return " · ".join(parts)


class StatusLine(Static):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id, markup=False)
        self.text = ""

    def show(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.update(text, layout=False)  # always one line (app.tcss)
