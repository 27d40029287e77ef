"""Start-up modal: an interrupted upgrade is in the journal; roll back or resume."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalGroup, VerticalGroup
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from tui_upgrader.core import display
from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.versions import Version
from tui_upgrader.ui.lang import translate_bindings
from tui_upgrader.ui.planview import STEP_TITLES

if TYPE_CHECKING:
    from tui_upgrader.ops.upgrade.journal import Journal


def _version(value: object) -> str:
    if value is None:
        return _("nothing")
    if isinstance(value, str):
        with contextlib.suppress(UpgraderError):
            return Version.parse(value).short
    return str(getattr(value, "short", value))


def journal_lines(journal: Journal, now: datetime) -> list[str]:
    step = journal.step
    try:
        started: datetime | None = datetime.fromisoformat(journal.started_at)
    except ValueError:
        started = None
    when = (
        _("{time} UTC ({age})").format(
            time=f"{started:%Y-%m-%d %H:%M}", age=display.age(started, now)
        )
        if started is not None
        else journal.started_at
    )
    lines = [
        _("Upgrade {old} → {new}, started {when}, was interrupted during: {step}.").format(
            old=_version(journal.from_version),
            new=_version(journal.to_version),
            when=when,
            step=STEP_TITLES.get(step, str(step)),
        ),
    ]
    if journal.stack_stopped:
        lines.append(_("The services were stopped at that point and may still be down."))
    else:
        lines.append(_("It stopped before the services were stopped: nothing was changed yet."))
    if journal.backup_id is not None:
        # The archive itself: the id means nothing under another catalogue (#15).
        archive = journal.backup_archive
        where = f", {archive}" if archive else ""
        lines.append(
            _("Pre-upgrade backup: #{id}{where}.").format(id=journal.backup_id, where=where)
        )
    lines.append(
        _("Roll back puts the old version back as one unit; resume continues from this step.")
    )
    return lines


class JournalModal(ModalScreen[str]):
    """Dismisses with ``"rollback"``, ``"resume"`` or ``"quit"``; nothing else runs first."""

    CSS_PATH = "dialog.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "choose('rollback')", N_("Roll back"), id="journal-rollback"),
        Binding("u", "choose('resume')", N_("Resume"), id="journal-resume"),
        Binding("q,escape", "choose('quit')", N_("Quit"), id="journal-quit"),
    ]

    def __init__(self, journal: Journal, now: datetime) -> None:
        super().__init__(classes="dialog")
        translate_bindings(self)
        self._lines = journal_lines(journal, now)

    def compose(self) -> ComposeResult:
        with VerticalGroup(id="dialog-box", classes="-danger"):
            yield Label(_("An upgrade was interrupted"), id="dialog-title")
            for line in self._lines:
                yield Static(line, classes="dialog-line", markup=False)
            with HorizontalGroup(id="dialog-buttons"):
                yield Button(
                    Content(_("Roll back [b]")), id="rollback", variant="warning", compact=True
                )
                yield Button(Content(_("Resume [u]")), id="resume", variant="primary", compact=True)
                yield Button(Content(_("Quit [q]")), id="quit", compact=True)

        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#rollback", Button).focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "quit")
