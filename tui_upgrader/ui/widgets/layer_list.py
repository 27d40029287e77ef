"""One progress row per image layer while images load or pull."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from tui_upgrader.core import display
from tui_upgrader.core.events import LayerEvent

BAR_WIDTH = 12


def text_bar(done: int, total: int | None, width: int = BAR_WIDTH) -> str:
    if not total:
        return "━" * width if done else "╺" * width
    filled = min(width, round(width * done / total))
    return "━" * filled + "╺" * (width - filled)


def layer_line(event: LayerEvent) -> str:
    if event.total == 0:  # finished, but the engine never reported a size
        return f"{event.layer[:12]:<12} {event.phase:<11} {'━' * BAR_WIDTH} done"
    pct = f"{min(100, 100 * event.done // event.total):>3d}%" if event.total else "   ?"
    amount = display.size(event.done) if event.total is None else display.size(event.total)
    return (
        f"{event.layer[:12]:<12} {event.phase:<11} "
        f"{text_bar(event.done, event.total)} {pct} {amount}"
    )


class LayerRow(Static):
    def show(self, event: LayerEvent) -> None:
        self.set_class(event.finished, "-finished")
        self.update(layer_line(event), layout=False)  # always one line


class LayerList(VerticalScroll):
    """Rows appear in the order layers are first seen, grouped under their image."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.can_focus = False
        self._rows: dict[tuple[str, str], LayerRow] = {}
        self._images: set[str] = set()

    @property
    def count(self) -> int:
        return len(self._rows)

    def show(self, event: LayerEvent) -> None:
        self.remove_class("-empty")
        key = (event.image, event.layer)
        row = self._rows.get(key)
        if row is None:
            if event.image not in self._images:
                self._images.add(event.image)
                self.mount(Static(event.image, classes="layer-image", markup=False))
            row = LayerRow(classes="layer-row", markup=False)
            self._rows[key] = row
            self.mount(row)
        row.show(event)
