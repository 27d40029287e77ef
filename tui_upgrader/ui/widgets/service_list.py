"""Each compose service's health state during start and the health gate."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from tui_upgrader.core.events import ServiceEvent

_GOOD = {"healthy", "running"}
_BAD = {"unhealthy", "exited", "missing", "dead"}
_ICON = {"healthy": "●", "running": "●", "starting": "◐", "restarting": "◐"}
# Theme variables only, so every theme (and ansi-dark over SSH) works.
_STYLE = {"good": "$text-success", "bad": "$text-error", "wait": "$text-warning"}


def service_kind(state: str) -> str:
    if state in _GOOD:
        return "good"
    if state in _BAD:
        return "bad"
    return "wait"


class ServiceList(Static):
    """One badge per service; the text wraps when there are many."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id)
        self.states: dict[str, ServiceEvent] = {}
        self.add_class("-empty")

    def show(self, event: ServiceEvent) -> None:
        self.remove_class("-empty")
        self.states[event.service] = event
        parts: list[Content] = []
        for name, ev in self.states.items():
            kind = service_kind(ev.state)
            icon = _ICON.get(ev.state, "✕" if kind == "bad" else "○")
            parts.append(Content.styled(f"{icon} {name} {ev.state}", _STYLE[kind]))
        self.update(Content("   ").join(parts))
