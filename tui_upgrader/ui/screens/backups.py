"""BackupsScreen: the catalogue, backup actions, and the start of the upgrade."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Checkbox, DataTable, Footer, Header, Static

from tui_upgrader.core.display import short_path
from tui_upgrader.core.errors import error_text
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.strategy import strategy_name
from tui_upgrader.ui.backup_rows import COLUMNS, BackupRow, rows_from_records
from tui_upgrader.ui.host import host
from tui_upgrader.ui.lang import translate_bindings
from tui_upgrader.ui.messages import BackupChecked, BackupsListed
from tui_upgrader.ui.operations import backup_operation, restore_operation, upgrade_operation
from tui_upgrader.ui.screens.backup_dialogs import (
    create_modal,
    delete_modal,
    other_deploy_dir_modal,
    restore_modal,
    start_modal,
)
from tui_upgrader.ui.screens.confirm import RestoreChoice
from tui_upgrader.ui.screens.progress import ProgressScreen

if TYPE_CHECKING:
    from tui_upgrader.ops.upgrade.planning import Plan


class BackupsScreen(Screen[None]):
    CSS_PATH = "backups.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "start", N_("Start"), id="backups-start"),
        Binding("n", "create", N_("New"), id="backups-create"),
        Binding("v", "verify", N_("Verify"), id="backups-verify"),
        Binding("r", "restore", N_("Restore"), id="backups-restore"),
        Binding("d", "delete", N_("Delete"), id="backups-delete"),
        Binding("p", "toggle_backup", N_("Pre-backup"), id="backups-toggle", show=False),
        Binding("a", "toggle_all", N_("All deploy dirs"), id="backups-all"),
        Binding("escape", "app.pop_screen", N_("Back"), id="backups-back"),
        Binding("q", "app.quit", N_("Quit"), show=False),
    ]

    def __init__(self, plan: Plan | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.plan = plan
        self.rows: dict[int, BackupRow] = {}
        self.all_rows: list[BackupRow] = []
        self.problem = ""
        # Only this deploy dir's backups unless asked (a typo'd deploy dir must
        # not offer another one's backups as if they were its own).
        self.show_all = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="backups-plan", markup=False)
        yield Checkbox(
            Content(_("Make a pre-upgrade backup (cold, right after the stop) [p]")),
            host(self).make_backup,
            id="make-backup",
            compact=True,
        )
        yield DataTable(id="backups", cursor_type="row", zebra_stripes=True)
        yield Static("", id="backup-detail", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = _("Backups")
        table = self.query_one("#backups", DataTable)
        self._describe_plan()
        table.focus()
        self.refresh_list()

    # --- the list -------------------------------------------------------------------

    def refresh_list(self) -> None:
        self._list()

    @work(
        thread=True,
        exclusive=True,
        group="backups",
        exit_on_error=False,
        description="Read the backup catalogue",
    )
    def _list(self) -> None:
        factory = host(self).deps.backups
        try:
            settings = host(self).settings
            rows = rows_from_records(factory(settings).list(), settings.deploy_dir)
        except Exception as exc:  # a worker must always answer, or the screen waits forever
            self.post_message(BackupsListed([], error_text(exc)))
        else:
            self.post_message(BackupsListed(rows, ""))

    @on(BackupsListed)
    def _listed(self, message: BackupsListed) -> None:
        self.all_rows, self.problem = message.rows, message.problem
        self._show_rows()

    def _show_rows(self) -> None:
        table = self.query_one("#backups", DataTable)
        selected = self.selected
        now = host(self).deps.clock.now()
        shown = [row for row in self.all_rows if self.show_all or row.ours]
        self.rows = {row.id: row for row in shown}
        cells = [row.cells(now) for row in shown]
        # Columns get their widths here, from the rows: DataTable measures added rows
        # only on a later idle pass, and a refill that missed it left every column at
        # its heading's width ("pre-" for "pre-upgrade").
        table.clear(columns=True)
        for index, (label, key) in enumerate(COLUMNS):
            heading = _(label)
            width = max(Content(text).cell_length for text in [heading, *(c[index] for c in cells)])
            table.add_column(heading, width=width, key=key)
        for row, row_cells in zip(shown, cells, strict=True):
            table.add_row(*row_cells, key=str(row.id))
        if selected is not None and selected.id in self.rows:
            table.move_cursor(row=table.get_row_index(str(selected.id)))
        others = len(self.all_rows) - len(shown)
        if self.problem:
            self.query_one("#backup-detail", Static).update(f"⚠ {self.problem}")
        elif not shown:
            text = _("No backups of this deploy dir yet: n creates one.")
            if others:
                text += " " + _("{count} of other deploy dirs: a shows them.").format(count=others)
            self.query_one("#backup-detail", Static).update(text)
        else:
            self._detail()
        self.refresh_bindings()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self._show_rows()

    @property
    def selected(self) -> BackupRow | None:
        table = self.query_one("#backups", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.rows.get(int(key)) if key is not None else None

    @on(DataTable.RowHighlighted, "#backups")
    def _detail(self) -> None:
        row = self.selected
        if row is None:
            return
        path = short_path(row.path, 60)
        where = path if row.present else _("{path} (file missing)").format(path=path)
        text = f"#{row.id}: {where}"
        if not row.ours:
            text += "\n" + _("⚠ taken of another deploy dir: {path}").format(
                path=short_path(row.deploy_dir, 60)
            )
        self.query_one("#backup-detail", Static).update(text)
        self.refresh_bindings()

    def _describe_plan(self) -> None:
        text = _("No upgrade selected: restore, create, verify or delete backups here.")
        if self.plan is not None and self.plan.decision.upgrades:
            d = self.plan.decision
            current = d.current_version.short if d.current_version else _("new install")
            text = _("Ready: {old} → {new} ({strategy}). s starts it.").format(
                old=current, new=d.target_version.short, strategy=strategy_name(d.strategy)
            )
        self.query_one("#backups-plan", Static).update(text)

    # --- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return self.plan is not None and self.plan.decision.upgrades
        if action in ("verify", "restore", "delete"):
            row = self.selected if self.is_mounted else None
            return None if row is None else True
        return True

    @on(Checkbox.Changed, "#make-backup")
    def _toggled(self, event: Checkbox.Changed) -> None:
        host(self).make_backup = event.value

    def action_toggle_backup(self) -> None:
        self.query_one("#make-backup", Checkbox).toggle()

    def action_start(self) -> None:
        plan = self.plan
        if plan is None or not plan.decision.upgrades:
            return
        h = host(self)

        def answered(yes: bool | None) -> None:
            if yes:
                op = upgrade_operation(h.deps, h.settings, plan, h.make_backup)
                self.app.push_screen(ProgressScreen(op))

        self.app.push_screen(start_modal(plan, h.settings, make_backup=h.make_backup), answered)

    def action_create(self) -> None:
        h = host(self)
        version = None
        if self.plan is not None and self.plan.decision.current_version is not None:
            version = str(self.plan.decision.current_version)

        def answered(yes: bool | None) -> None:
            if yes:
                op = backup_operation(h.deps, h.settings, version)
                self.app.push_screen(ProgressScreen(op), lambda _result: self.refresh_list())

        self.app.push_screen(create_modal(h.settings), answered)

    def action_restore(self) -> None:
        row = self.selected
        if row is None:
            return
        h = host(self)

        def answered(choice: RestoreChoice | None) -> None:
            if choice is not None:
                op = restore_operation(
                    h.deps, h.settings, choice.backup_id, choice.data_only, choice.safety_backup
                )
                self.app.push_screen(ProgressScreen(op), self._after_job)

        def ask() -> None:
            self.app.push_screen(restore_modal(row, h.settings, h.deps.clock.now()), answered)

        if row.ours:
            ask()
            return

        def foreign(yes: bool | None) -> None:
            if yes:
                ask()

        self.app.push_screen(other_deploy_dir_modal(row, h.settings), foreign)

    def _after_job(self, _result: object) -> None:
        """A restore changed the deploy dir: every screen under this one is stale.

        Back to a freshly loaded manifest (installed version, strategy) with
        this list on top, read again.
        """
        h = host(self)

        async def reopen() -> None:
            await h.restart_flow()
            h.open_backups()

        self.app.call_later(reopen)

    def action_verify(self) -> None:
        row = self.selected
        if row is not None:
            self.query_one("#backup-detail", Static).update(_("Verifying #{id}…").format(id=row.id))
            self._check(row.id, "verify")

    def action_delete(self) -> None:
        row = self.selected
        if row is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._check(row.id, "delete")

        self.app.push_screen(delete_modal(row), answered)

    @work(
        thread=True,
        exclusive=True,
        group="backup-check",
        exit_on_error=False,
        description="Verify or delete a backup",
    )
    def _check(self, backup_id: int, action: str) -> None:
        factory = host(self).deps.backups
        try:
            store = factory(host(self).settings)
            if action == "verify":
                report = store.verify(backup_id)
                ok, why = report.ok, report.detail
            else:
                store.delete(backup_id)
                ok, why = True, ""
        except Exception as exc:  # a worker must always answer, or the screen waits forever
            self.post_message(BackupChecked(backup_id, action, False, error_text(exc)))
            return
        if ok:
            done = _("#{id} verified: archive intact") if action == "verify" else _("#{id} deleted")
            detail = done.format(id=backup_id)
        else:
            failed = _("#{id}: verify failed") if action == "verify" else _("#{id}: delete failed")
            detail = failed.format(id=backup_id)
            if why:
                detail += f": {why}"
        self.post_message(BackupChecked(backup_id, action, ok, detail))

    @on(BackupChecked)
    def _checked(self, message: BackupChecked) -> None:
        self.notify(message.detail, severity="information" if message.ok else "error")
        self.query_one("#backup-detail", Static).update(message.detail)
        self.refresh_list()
