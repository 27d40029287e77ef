"""UpgraderApp: start-up (first run, journal), navigation and the quit guard.

Screens own their workers and handlers; the App only decides what opens
first and whether quitting is safe.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui_upgrader.core.errors import EXIT_OK, UpgraderError
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ui.commands import screen_commands
from tui_upgrader.ui.deps import RecoverMode, UiDeps
from tui_upgrader.ui.lang import TranslatedTextualApp, translate_bindings, translate_commands
from tui_upgrader.ui.screens.manifest import ManifestScreen

if TYPE_CHECKING:
    from tui_upgrader.ops.upgrade.journal import Journal
    from tui_upgrader.ui.screens.progress import ProgressScreen
    from tui_upgrader.ui.screens.wizard import SetupAnswers

# Screens other than the first are imported when first opened: start-up time
# is the first thing an admin on a slow box notices.

logger = logging.getLogger(__name__)

CRITICAL_QUIT = [
    N_("The services are stopped and the upgrade is in its critical section."),
    N_(
        "Quitting releases the terminal, but the upgrade keeps running in this process "
        "until it has finished or rolled back; it cannot be interrupted safely."
    ),
    N_("If the process is killed anyway, the next start offers resume or rollback."),
]


class UpgraderApp(TranslatedTextualApp):
    CSS_PATH = "app.tcss"
    TITLE = "tui-upgrader"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", N_("Quit"), id="quit", priority=True),
        Binding("f2", "open_backups", N_("Backups"), id="backups", show=False),
        Binding("question_mark,f1", "toggle_keys", N_("Keys"), id="keys", show=False),
        Binding("escape", "hide_keys", N_("Close keys"), id="keys-close", priority=True),
    ]

    def __init__(self, deps: UiDeps) -> None:
        super().__init__()
        translate_bindings(self)
        self.deps = deps
        self.settings: Settings = deps.settings
        self.make_backup = True
        self.exit_code = EXIT_OK
        self.theme = deps.theme
        # The job still running when quit was confirmed: run_tui waits for it.
        self.left_running: ProgressScreen | None = None

    # --- start-up ---------------------------------------------------------------------

    def get_default_screen(self) -> Screen[Any]:
        # The manifest screen is the first screen itself, not pushed over an
        # empty default one: one screen to compose, style and paint at start-up.
        if self.deps.needs_setup:
            return super().get_default_screen()
        return ManifestScreen()

    def on_mount(self) -> None:
        if self.deps.needs_setup:
            from tui_upgrader.ui.screens.wizard import WizardScreen

            hint = str(self.deps.config_file or _("the config file"))
            self.push_screen(WizardScreen(hint, self.settings.deploy_dir), self._after_setup)
        else:
            self._check_journal()

    def _after_setup(self, answers: SetupAnswers | None) -> None:
        if answers is None:
            self.exit(EXIT_OK)
            return
        self.settings = self.deps.reload_settings()
        self._open()

    def _open(self) -> None:
        self.push_screen(ManifestScreen())
        self._check_journal()

    def _check_journal(self) -> None:
        try:
            # A few hundred bytes from the deploy dir: read here so the modal
            # is up before the admin can press anything.
            journal = self.deps.read_journal(self.settings.deploy_dir)
        except UpgraderError as exc:
            from tui_upgrader.ui.screens.error import ErrorModal

            self.push_screen(
                ErrorModal(
                    _("The upgrade journal is unreadable"), exc.message, log_path=self.deps.log_path
                )
            )
            return
        if journal is not None:
            from tui_upgrader.ui.screens.journal import JournalModal

            self.push_screen(
                JournalModal(journal, self.deps.clock.now()),
                lambda choice: self._recover(journal, choice),
            )

    def _recover(self, journal: Journal, choice: str | None) -> None:
        if choice in ("rollback", "resume"):
            from tui_upgrader.ui.operations import recover_operation
            from tui_upgrader.ui.screens.progress import ProgressScreen

            mode: RecoverMode = "rollback" if choice == "rollback" else "resume"
            op = recover_operation(self.deps, self.settings, mode, journal)
            self.push_screen(ProgressScreen(op))
        else:
            self.exit(self.exit_code)

    async def restart_flow(self) -> None:
        """Back to a freshly loaded manifest (the installed version has changed)."""
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        await self.push_screen(ManifestScreen())

    # --- host API for screens -------------------------------------------------------------

    def record_result(self, code: int) -> None:
        self.exit_code = code

    def open_backups(self) -> None:
        from tui_upgrader.ui.screens.backups import BackupsScreen
        from tui_upgrader.ui.screens.progress import ProgressScreen

        if not isinstance(self.screen, BackupsScreen | ProgressScreen):
            self.push_screen(BackupsScreen())

    def action_open_backups(self) -> None:
        self.open_backups()

    # --- the keys panel -----------------------------------------------------------------------

    def keys_shown(self) -> bool:
        return bool(self.screen.query("HelpPanel"))

    def action_toggle_keys(self) -> None:
        """? and F1: the keys of the current screen (Textual's panel), again to close."""
        if self.keys_shown():
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()
        self.refresh_bindings()

    def action_hide_keys(self) -> None:
        self.action_hide_help_panel()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hide_keys":
            # Esc belongs to the screen (back, cancel) unless the panel is open.
            return self.keys_shown()
        return True

    def show_log_path(self) -> None:
        self.notify(str(self.deps.log_path), title=_("Log file"), timeout=10)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from translate_commands(super().get_system_commands(screen))
        yield from screen_commands(
            screen, self, self.run_action, self.open_backups, self.show_log_path, self.deps.log_path
        )

    # --- quitting ------------------------------------------------------------------------------

    def busy_operation(self) -> ProgressScreen | None:
        from tui_upgrader.ui.screens.progress import ProgressScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, ProgressScreen) and screen.running:
                return screen
        return None

    async def action_quit(self) -> None:
        busy = self.busy_operation()
        if busy is None:
            self.exit(self.exit_code)
            return
        if not busy.critical:
            busy.request_cancel()
            self.left_running = busy
            self.exit(self.exit_code)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                logger.warning("quit confirmed during the critical section")
                self.left_running = busy
                self.exit(self.exit_code)

        from tui_upgrader.ui.screens.confirm import ConfirmModal

        if not isinstance(self.screen, ConfirmModal):
            self.push_screen(
                ConfirmModal(
                    _("Quit during the upgrade?"),
                    [_(line) for line in CRITICAL_QUIT],
                    yes=_("Quit"),
                    no=_("Stay"),
                    danger=True,
                ),
                answered,
            )
