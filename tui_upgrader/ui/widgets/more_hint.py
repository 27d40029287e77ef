"""A one-line "more below" hint under a scrolling area, shown only while it is true.

A scrollbar alone is easy to miss at 80x24, and what is below the fold of the
strategy screen (what is touched, what is kept) is what the admin must read.

The hint keeps its line when hidden (``visibility``, not ``display``): if showing
it took a row from the area it watches, a body exactly one row too tall for the
smaller area would be stable both with and without the hint, and which one the
admin saw would depend on the order of the first layouts.
"""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Label

from tui_upgrader.core.i18n import _


class MoreHint(Label):
    DEFAULT_CSS = """
    MoreHint {
        width: 100%;
        height: 1;
        padding: 0 1;
        color: $text-accent;
        text-style: italic;
    }
    MoreHint.-none { visibility: hidden; }
    """

    def __init__(self, target: Widget, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(_("↓ more below (↓ / PgDn to scroll)"), id=id, markup=False)
        self.target = target
        self.add_class("-none")

    def on_mount(self) -> None:
        for name in ("scroll_y", "virtual_size", "show_vertical_scrollbar"):
            self.watch(self.target, name, self._check, init=False)
        self.call_after_refresh(self._check)

    def _check(self, *_args: object) -> None:
        below = self.target.max_scroll_y - self.target.scroll_y >= 1
        self.set_class(not below, "-none")
