"""One row per step: pending / running / done / failed / skipped, with durations."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import VerticalGroup
from textual.widgets import Static

from tui_upgrader.core import display
from tui_upgrader.core.events import Step, StepState
from tui_upgrader.ui.planview import DOWNTIME_STEPS, STEP_TITLES

_ICONS = {
    "pending": "○",
    "running": "◐",
    "done": "●",
    "failed": "✕",
    "skipped": "-",
}
_STATE_OF: dict[StepState, str] = {
    "started": "running",
    "finished": "done",
    "failed": "failed",
    "skipped": "skipped",
}
ROW_STATES = tuple(_ICONS)


class StepRow(Static):
    def __init__(self, step: Step) -> None:
        super().__init__(id=f"step-{step.name.lower().replace('_', '-')}", markup=False)
        self.step = step
        self.state = "pending"
        self.seconds: float | None = None
        if step in DOWNTIME_STEPS:
            self.add_class("-downtime")
        self._paint()

    def set_state(self, state: str, seconds: float | None = None) -> None:
        self.state = state
        if seconds is not None:
            self.seconds = seconds
        self._paint()

    def _paint(self) -> None:
        for name in ROW_STATES:
            self.set_class(name == self.state, f"-{name}")
        title = STEP_TITLES[self.step]
        # Sub-0.1 s steps get no figure: "0.0 s" next to each says nothing.
        shown = self.seconds is not None and self.seconds >= 0.1
        took = f" {display.duration(self.seconds)}" if shown else ""
        self.update(f"{_ICONS[self.state]} {title}{took}")


class StepList(VerticalGroup):
    """Rows are fixed at construction; ``Step.ROLLING_BACK`` appears only when used."""

    def __init__(self, steps: Iterable[Step], *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._steps = tuple(steps)
        self._rows: dict[Step, StepRow] = {}
        self._started: dict[Step, float] = {}

    def compose(self) -> ComposeResult:
        for step in self._steps:
            row = StepRow(step)
            self._rows[step] = row
            yield row

    def state_of(self, step: Step) -> str:
        row = self._rows.get(step)
        return row.state if row is not None else "absent"

    def apply(self, step: Step, state: StepState, now: float) -> None:
        row = self._rows.get(step)
        if row is None:
            row = StepRow(step)
            self._rows[step] = row
            self.mount(row)
        seconds = None
        if state == "started":
            self._started[step] = now
        elif step in self._started:
            seconds = now - self._started[step]
        row.set_state(_STATE_OF[state], seconds)

    def settle(self, *, success: bool) -> None:
        """At the end: steps that never ran show as skipped, a hanging one by the outcome."""
        for row in self._rows.values():
            if row.state == "pending":
                row.set_state("skipped")
            elif row.state == "running":
                row.set_state("done" if success else "failed")
