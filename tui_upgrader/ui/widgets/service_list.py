"""Each compose service during start and the health gate: state, restarts, time waited.

The time waited runs on the screen's clock from the first verdict until the
service is ready, so it moves between the engine's (change-only) events.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

from tui_upgrader.core import display
from tui_upgrader.core.cells import fit
from tui_upgrader.core.events import ServiceEvent
from tui_upgrader.core.i18n import _
from tui_upgrader.core.state_words import service_state

_GOOD = {"healthy", "running"}
_BAD = {"unhealthy", "exited", "missing", "dead"}
_ICON = {"healthy": "●", "running": "●", "starting": "◐", "restarting": "◐"}
# Theme variables only, so every theme (and ansi-dark over SSH) works.
_STYLE = {"good": "$text-success", "bad": "$text-error", "wait": "$text-warning"}


def service_kind(event: ServiceEvent) -> str:
    if event.state in _GOOD or (event.state == "exited" and event.detail == "exit 0"):
        return "good"
    if event.state in _BAD:
        return "bad"
    return "wait"


@dataclass(slots=True)
class _Seen:
    event: ServiceEvent
    since: float
    until: float | None = None


# icon, spaces, the state and "restarts N  waited N s": what a name must leave room for.
_AFTER_NAME = 36
_MIN_NAME = 8
_MIN_COLUMN = 10  # short names keep one column, so the states line up


def name_width(names: list[str], columns: int) -> int:
    """The name column: as wide as the longest name when the row has room.

    On a narrow screen the names are shortened (``…`` in the middle), never the state:
    the row's end is what the ellipsis may cut, and that is only the counters.
    """
    longest = max([_MIN_COLUMN, *(len(n) for n in names)])
    room = columns - _AFTER_NAME if columns > 0 else longest
    return max(1, min(longest, max(_MIN_NAME, room)))


def service_line(event: ServiceEvent, waited_s: float, width: int = 10) -> str:
    kind = service_kind(event)
    icon = _ICON.get(event.state, "✕" if kind == "bad" else ("●" if kind == "good" else "○"))
    # Widths in terminal cells: a translated state may be CJK (two cells a character).
    # The middle of a name goes ("portal-queue-worker" and "portal-web" differ at
    # the end); the state is never cut, it only pads to its column.
    name = fit(display.short_path(event.service, width, home=""), width)
    state = service_state(event.state)
    text = f"{icon} {name} {fit(state, max(9, display.cells(state)))}"
    text += _(" restarts {restarts}  waited {seconds} s").format(
        restarts=event.restarts, seconds=int(waited_s)
    )
    if event.detail and kind != "good":
        text += f"  {event.detail}"
    return text


class ServiceList(Static):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id)
        self.states: dict[str, _Seen] = {}
        self._now = 0.0
        self.add_class("-empty")

    def show(self, event: ServiceEvent, now: float) -> None:
        self.remove_class("-empty")
        seen = self.states.get(event.service)
        if seen is None or (seen.until is not None and service_kind(event) != "good"):
            # first verdict, or a new wait (the rollback's gate): the clock restarts
            seen = self.states[event.service] = _Seen(event, now)
        seen.event = event
        seen.until = now if service_kind(event) == "good" else None
        self.tick(now)

    def on_resize(self) -> None:
        # The name column depends on the width: the first rows may be drawn before layout.
        self.tick(self._now)

    def tick(self, now: float) -> None:
        self._now = now
        if not self.states:
            return
        lines = []
        width = name_width(list(self.states), self.content_region.width)
        for seen in self.states.values():
            end = seen.until if seen.until is not None else now
            line = service_line(seen.event, max(0.0, end - seen.since), width)
            lines.append(Content.styled(line, _STYLE[service_kind(seen.event)]))
        self.update(Content("\n").join(lines))
