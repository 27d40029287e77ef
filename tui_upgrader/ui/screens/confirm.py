"""Confirmation modals: a yes/no question, and the restore question with data-only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, VerticalGroup
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Label, Static


class ConfirmModal(ModalScreen[bool]):
    """``y``/``enter`` confirm, ``n``/``escape`` decline (posting's ConfirmationModal)."""

    CSS_PATH = "dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]

    def __init__(
        self,
        title: str,
        lines: Iterable[str],
        *,
        yes: str = "Yes",
        no: str = "No",
        danger: bool = False,
    ) -> None:
        super().__init__(classes="dialog")
        self._title = title
        self._lines = tuple(lines)
        self._yes, self._no, self._danger = yes, no, danger

    def compose(self) -> ComposeResult:
        with VerticalGroup(id="dialog-box", classes="-danger" if self._danger else ""):
            yield Label(self._title, id="dialog-title", markup=False)
            for line in self._lines:
                yield Static(line, classes="dialog-line", markup=False)
            with HorizontalGroup(id="dialog-buttons"):
                yield Button(
                    Content(f"{self._yes} [y]"),
                    id="yes",
                    variant="error" if self._danger else "primary",
                    compact=True,
                )
                yield Button(Content(f"{self._no} [n]"), id="no", compact=True)

        yield Footer(compact=True)

    def on_mount(self) -> None:
        # The safe answer has focus: an Enter typed ahead does not confirm.
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


@dataclass(frozen=True, slots=True)
class RestoreChoice:
    backup_id: int
    data_only: bool


class RestoreModal(ModalScreen[RestoreChoice | None]):
    """States what the restore replaces; ``d`` switches to data only."""

    CSS_PATH = "dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "restore", "Restore", id="restore-yes"),
        Binding("d", "toggle_data_only", "Data only", id="restore-data-only"),
        Binding("n,escape", "cancel", "Cancel", id="restore-no"),
    ]

    def __init__(self, backup_id: int, summary: str, full: list[str], data: list[str]) -> None:
        super().__init__(classes="dialog")
        self.backup_id = backup_id
        self._summary = summary
        self._full = full
        self._data = data

    def compose(self) -> ComposeResult:
        with VerticalGroup(id="dialog-box", classes="-danger"):
            yield Label(f"Restore backup #{self.backup_id}?", id="dialog-title", markup=False)
            yield Static(self._summary, classes="dialog-line", markup=False)
            yield Static("", id="restore-replaces", classes="dialog-line", markup=False)
            yield Checkbox(
                Content("Data only: keep the installed release files [d]"),
                id="data-only",
                compact=True,
            )
            with HorizontalGroup(id="dialog-buttons"):
                yield Button(Content("Restore [y]"), id="yes", variant="error", compact=True)
                yield Button(Content("Cancel [n]"), id="no", compact=True)

        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._describe()
        self.query_one("#no", Button).focus()

    @property
    def data_only(self) -> bool:
        return self.query_one("#data-only", Checkbox).value

    def _describe(self) -> None:
        lines = self._data if self.data_only else self._full
        self.query_one("#restore-replaces", Static).update(" ".join(lines))

    @on(Checkbox.Changed)
    def _changed(self) -> None:
        self._describe()

    def action_toggle_data_only(self) -> None:
        self.query_one("#data-only", Checkbox).toggle()

    def action_restore(self) -> None:
        self.dismiss(RestoreChoice(self.backup_id, self.data_only))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self.action_restore()
        else:
            self.action_cancel()
