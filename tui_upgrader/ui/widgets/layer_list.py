"""Image layers while images load or pull: one total, one bar per image, live layers under it.

Rows come from ``core.layer_table`` (finished layers fold into their image's
row); this widget only turns them into text, one line each.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.content import Content
from textual.widgets import Static

from tui_upgrader.core import display
from tui_upgrader.core.cells import crop_left, fit, fit_right
from tui_upgrader.core.events import LayerEvent
from tui_upgrader.core.i18n import _
from tui_upgrader.core.layer_table import LayerTable, Row
from tui_upgrader.core.state_words import layer_phase

BAR_WIDTH = 8
LIVE_LAYER_ROWS = 4
# Theme variables only, so every theme (and ansi-dark over SSH) works.
_STYLE = {"total": "bold", "image": "$text-secondary", "layer": "", "more": "$text-muted"}


def text_bar(done: int, total: int | None, width: int = BAR_WIDTH) -> str:
    if not total:
        return "━" * width if done else "╺" * width
    filled = min(width, round(width * done / total))
    return "━" * filled + "╺" * (width - filled)


def _pct(done: int, total: int | None) -> str:
    if total == 0:
        return _("done")
    return f"{min(100, 100 * done // total):>3d}%" if total else "   ?"


def row_line(row: Row) -> str:
    bar = text_bar(row.done, row.total)
    if row.kind == "more":
        return f"  {row.label}"
    # Widths in terminal cells: a translated phase may be CJK (two cells a character).
    phase = fit(layer_phase(row.phase), 8)
    if row.kind == "layer" and row.total == 0:  # finished, but no size was reported
        return f"  {fit(row.label, 12)} {phase} {'━' * BAR_WIDTH} {_('done')}"
    if row.kind == "layer":
        amount = display.size(row.done) if row.total is None else display.size(row.total)
        pct = fit_right(_pct(row.done, row.total), 4)
        return f"  {fit(row.label, 12)} {phase} {bar} {pct} {amount}"
    # Fits the 51 columns left of an 80-column terminal: name, bar, %, layers, size.
    label = _("All {label}").format(label=row.label) if row.kind == "total" else row.label
    size = display.size(row.done) if row.total is None else display.size(row.total)
    layers = f"{row.layers_done}/{row.layers}"
    pct = fit_right(_pct(row.done, row.total), 4)
    # An image's tag is at its end: keep ``…/web:1.1.0`` rather than ``registry.exa``.
    return f"{fit(crop_left(label, 20), 20)} {bar} {pct} {layers:>5} {size}"


def layer_line(event: LayerEvent) -> str:
    """One layer's row on its own (kept for callers that show a single layer)."""
    return row_line(Row("layer", event.layer[:12], event.done, event.total, event.phase))


class LayerList(Static):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id)
        self.table = LayerTable()

    @property
    def count(self) -> int:
        return self.table.layer_count

    def show(self, event: LayerEvent) -> None:
        self.show_all((event,))

    def show_all(self, events: Iterable[LayerEvent]) -> None:
        """Add what the run model holds, then draw once."""
        self.remove_class("-empty")
        for event in events:
            self.table.add(event)
        lines = [
            Content.styled(row_line(row), _STYLE[row.kind])
            for row in self.table.rows(LIVE_LAYER_ROWS)
        ]
        self.update(Content("\n").join(lines))
