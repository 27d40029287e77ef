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

from tui_upgrader.core.i18n import N_, _
from tui_upgrader.ui.lang import translate_bindings


class ConfirmModal(ModalScreen[bool]):
    """``y``/``enter`` confirm, ``n``/``escape`` decline (posting's ConfirmationModal)."""

    CSS_PATH = "dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", N_("Yes"), id="confirm-yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm-no"),
    ]

    def __init__(
        self,
        title: str,
        lines: Iterable[str],
        *,
        yes: str = "",
        no: str = "",
        danger: bool = False,
    ) -> None:
        super().__init__(classes="dialog")
        translate_bindings(self)
        self._title = title
        self._lines = tuple(lines)
        self._yes, self._no, self._danger = yes or _("Yes"), no or _("No"), danger

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
    safety_backup: bool = True


class RestoreModal(ModalScreen[RestoreChoice | None]):
    """States what the restore replaces; ``d`` switches to data only; ``b`` the safety backup."""

    CSS_PATH = "dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "restore", N_("Restore"), id="restore-yes"),
        Binding("d", "toggle_data_only", N_("Data only"), id="restore-data-only"),
        Binding("b", "toggle_safety", N_("Safety backup"), id="restore-safety"),
        Binding("n,escape", "cancel", N_("Cancel"), id="restore-no"),
    ]

    def __init__(self, backup_id: int, summary: str, full: list[str], data: list[str]) -> None:
        super().__init__(classes="dialog")
        translate_bindings(self)
        self.backup_id = backup_id
        self._summary = summary
        self._full = full
        self._data = data

    def compose(self) -> ComposeResult:
        with VerticalGroup(id="dialog-box", classes="-danger"):
            yield Label(
                _("Restore backup #{id}?").format(id=self.backup_id),
                id="dialog-title",
                markup=False,
            )
            yield Static(self._summary, classes="dialog-line", markup=False)
            yield Static("", id="restore-replaces", classes="dialog-line", markup=False)
            yield Checkbox(
                Content(_("Data only: keep the installed release files [d]")),
                id="data-only",
                compact=True,
            )
            yield Checkbox(
                Content(_("First back up the current state, so this can be undone [b]")),
                True,
                id="safety-backup",
                compact=True,
            )
            with HorizontalGroup(id="dialog-buttons"):
                yield Button(Content(_("Restore [y]")), id="yes", variant="error", compact=True)
                yield Button(Content(_("Cancel [n]")), id="no", compact=True)

        yield Footer(compact=True)

    def on_mount(self) -> None:
        self._describe()
        self.query_one("#no", Button).focus()

    @property
    def data_only(self) -> bool:
        return self.query_one("#data-only", Checkbox).value

    def _describe(self) -> None:
        lines = list(self._data if self.data_only else self._full)
        if not self.query_one("#safety-backup", Checkbox).value:
            lines.append(_("NO safety backup: what is replaced cannot be brought back."))
        self.query_one("#restore-replaces", Static).update(" ".join(lines))

    @on(Checkbox.Changed)
    def _changed(self) -> None:
        self._describe()

    def action_toggle_safety(self) -> None:
        self.query_one("#safety-backup", Checkbox).toggle()

    def action_toggle_data_only(self) -> None:
        self.query_one("#data-only", Checkbox).toggle()

    def action_restore(self) -> None:
        safety = self.query_one("#safety-backup", Checkbox).value
        self.dismiss(RestoreChoice(self.backup_id, self.data_only, safety))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self.action_restore()
        else:
            self.action_cancel()
