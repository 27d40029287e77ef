"""The whole operation in one bar: done share, elapsed, ETA and the expected downtime.

The numbers come from ``core.overall``; this widget only shows them.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalGroup
from textual.widgets import Label, ProgressBar

from tui_upgrader.core.i18n import _
from tui_upgrader.core.overall import OverallView, downtime_line, overall_line

RESOLUTION = 1000


class OverallBar(VerticalGroup):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.text = ""
        self.downtime = ""

    def compose(self) -> ComposeResult:
        yield ProgressBar(
            total=RESOLUTION, show_eta=False, show_percentage=False, id="overall-progress"
        )
        yield Label("", id="overall-detail", markup=False)
        yield Label("", id="overall-downtime", markup=False, classes="-empty")

    def show(self, view: OverallView) -> None:
        # A failed or cancelled job is never a full green bar (app.tcss: -failed).
        self.set_class(view.failed, "-failed")
        self.query_one(ProgressBar).update(progress=round(view.fraction * RESOLUTION))
        text = _("Overall {progress}").format(progress=overall_line(view))
        if text != self.text:
            self.text = text
            self.query_one("#overall-detail", Label).update(text, layout=False)  # one line
        downtime = downtime_line(view)
        if downtime != self.downtime:
            label = self.query_one("#overall-downtime", Label)
            label.set_class(not downtime, "-empty")
            label.update(downtime, layout=not self.downtime or not downtime)
            self.downtime = downtime
