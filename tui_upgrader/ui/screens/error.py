"""ErrorModal: what failed, where, what to do next, and the log file."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, VerticalGroup
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from tui_upgrader.core.i18n import N_, _
from tui_upgrader.ui.lang import translate_bindings


class ErrorModal(ModalScreen[str]):
    """Dismisses with ``"retry"``, ``"quit"`` or ``"close"``."""

    CSS_PATH = "dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "choose('retry')", N_("Retry"), id="error-retry"),
        Binding("q", "choose('quit')", N_("Quit"), id="error-quit"),
        Binding("escape", "choose('close')", N_("Close"), id="error-close"),
    ]

    def __init__(
        self,
        title: str,
        message: str,
        *,
        hint: str = "",
        log_path: Path | None = None,
        retry: bool = False,
    ) -> None:
        super().__init__(classes="dialog")
        translate_bindings(self)
        self._title = title
        self._message = message
        self._hint = hint
        self._log_path = log_path
        self._retry = retry

    def compose(self) -> ComposeResult:
        with VerticalGroup(id="dialog-box", classes="-danger"):
            yield Label(self._title, id="dialog-title", markup=False)
            yield Static(self._message, id="error-message", classes="dialog-line", markup=False)
            if self._hint:
                yield Static(self._hint, classes="dialog-line -hint", markup=False)
            if self._log_path is not None:
                yield Static(
                    _("Log: {path}").format(path=self._log_path),
                    classes="dialog-line -hint",
                    markup=False,
                )
            with HorizontalGroup(id="dialog-buttons"):
                if self._retry:
                    yield Button(
                        Content(_("Retry [r]")), id="retry", variant="primary", compact=True
                    )
                yield Button(Content(_("Close [esc]")), id="close", compact=True)
                yield Button(Content(_("Quit [q]")), id="quit", variant="error", compact=True)

        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#retry" if self._retry else "#close", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters == ("retry",):
            return self._retry
        return True

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "close")
