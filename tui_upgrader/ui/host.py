"""What screens may ask of the App, without importing app.py (no import cycle)."""

from __future__ import annotations

from typing import Protocol, cast

from textual.dom import DOMNode

from tui_upgrader.ops.settings import Settings
from tui_upgrader.ui.deps import UiDeps


class Host(Protocol):
    deps: UiDeps
    settings: Settings
    make_backup: bool

    def record_result(self, code: int) -> None: ...

    async def restart_flow(self) -> None: ...

    def open_backups(self) -> None: ...


def host(node: DOMNode) -> Host:
    return cast(Host, node.app)
