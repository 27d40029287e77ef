"""Each compose service during start and the health gate: state, restarts, time waited.

The time waited runs on the screen's clock from the first verdict until the
service is ready, so it moves between the engine's (change-only) events.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.widgets import Static

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


def service_line(event: ServiceEvent, waited_s: float, width: int = 10) -> str:
    kind = service_kind(event)
    icon = _ICON.get(event.state, "✕" if kind == "bad" else ("●" if kind == "good" else "○"))
    # Widths in terminal cells: a translated state may be CJK (two cells a character).
    text = f"{icon} {fit(event.service, width)} {fit(service_state(event.state), 9)}"
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

    def tick(self, now: float) -> None:
        if not self.states:
            return
        lines = []
        for seen in self.states.values():
            end = seen.until if seen.until is not None else now
            line = service_line(seen.event, max(0.0, end - seen.since))
            lines.append(Content.styled(line, _STYLE[service_kind(seen.event)]))
        self.update(Content("\n").join(lines))
