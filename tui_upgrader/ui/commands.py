"""Command palette entries: every visible action of the active screen, plus app-wide ones.

Screen-aware like posting's provider: the palette always offers what the
footer offers, so nothing is reachable only by a key. The app passes what it
offers everywhere as callbacks, so this module does not know the app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from textual.app import SystemCommand
from textual.dom import DOMNode
from textual.screen import Screen

from tui_upgrader.core.i18n import _


def screen_commands(
    screen: Screen[object],
    app_node: DOMNode,
    run_action: Callable[[str, DOMNode], Any],
    open_backups: Callable[[], Any],
    show_log_path: Callable[[], Any],
    log_path: Path,
) -> Iterator[SystemCommand]:
    seen: set[str] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.show or not active.enabled or active.node is app_node:
            continue
        if binding.action in seen:
            continue
        seen.add(binding.action)
        help_text = binding.tooltip or _("Key: {key}").format(key=binding.key_display or key)
        yield SystemCommand(
            binding.description, help_text, partial(run_action, binding.action, active.node)
        )
    yield SystemCommand(
        _("Backups"),
        _("List, create, verify, restore or delete backups (without starting an upgrade)"),
        open_backups,
    )
    yield SystemCommand(
        _("Log file"),
        _("Show where the log is written ({path})").format(path=log_path),
        show_log_path,
    )
