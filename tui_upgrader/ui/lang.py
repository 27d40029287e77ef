"""Translated key bindings.

``BINDINGS`` are class attributes: Textual merges them when the class is
created, at import, which may be before the catalogue is installed (and tests
switch languages in one process). So descriptions are ``N_()`` msgids and each
node translates its own copy of the bindings when it is built.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace

from textual.app import App, SystemCommand
from textual.command import CommandPalette
from textual.dom import DOMNode

from tui_upgrader.core.i18n import ENGLISH, N_, _, active_language


def translate_bindings(node: DOMNode) -> None:
    """Call in ``__init__`` after ``super().__init__()``; costs nothing in English."""
    if active_language() == ENGLISH:
        return
    # _bindings is the node's own copy of the class's merged BindingsMap.
    bindings = node._bindings
    bindings.key_to_bindings = {
        key: [replace(b, description=_(b.description), tooltip=_(b.tooltip)) for b in group]
        for key, group in bindings.key_to_bindings.items()
    }


# Textual's own words that reach the screen (the footer's palette key, the
# palette's system commands): listed so the catalogue carries them.
TEXTUAL_WORDS = (
    N_("palette"),
    N_("Open the command palette"),
    N_("Theme"),
    N_("Change the current theme"),
    N_("Quit the application as soon as possible"),
    N_("Keys"),
    N_("Hide the keys and widget help panel"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Minimize"),
    N_("Minimize the widget and restore to normal size"),
    N_("Maximize"),
    N_("Maximize the focused widget"),
    N_("Screenshot"),
    N_("Save an SVG 'screenshot' of the current screen"),
)


def translate_commands(commands: Iterable[SystemCommand]) -> Iterator[SystemCommand]:
    """Textual's system commands with their title and help in the active language."""
    for command in commands:
        yield command._replace(title=_(command.title), help=_(command.help))


class TranslatedTextualApp(App[int]):
    """Textual's own toasts and prompts that reach the admin, in the active language."""

    def action_help_quit(self) -> None:
        # Textual's Ctrl+C hint ("Press ctrl+q to quit the app"), translated.
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(
                    _("Press [b]{key}[/b] to quit the app").format(key=key),
                    title=_("Do you want to quit?"),
                )
                return

    def action_command_palette(self) -> None:
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            palette = CommandPalette(placeholder=_("Search for commands…"), id="--command-palette")
            self.push_screen(palette)
