"""Command palette entries: every visible action of the active screen, plus app-wide ones.

Screen-aware like posting's provider: the palette always offers what the
footer offers, so nothing is reachable only by a key.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

if TYPE_CHECKING:
    from tui_upgrader.ui.app import UpgraderApp


def screen_commands(app: UpgraderApp, screen: Screen[object]) -> Iterator[SystemCommand]:
    seen: set[str] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.show or not active.enabled or active.node is app:
            continue
        if binding.action in seen:
            continue
        seen.add(binding.action)
        help_text = binding.tooltip or f"Key: {binding.key_display or key}"
        yield SystemCommand(
            binding.description, help_text, partial(app.run_action, binding.action, active.node)
        )
    yield SystemCommand(
        "Backups",
        "List, create, verify, restore or delete backups (without starting an upgrade)",
        app.open_backups,
    )
    yield SystemCommand(
        "Log file", f"Show where the log is written ({app.deps.log_path})", app.show_log_path
    )
