"""ManifestScreen: fetch the manifest (thread worker), then show what is offered."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import (
    ContentSwitcher,
    DataTable,
    Footer,
    Header,
    Label,
    LoadingIndicator,
    Static,
)

from tui_upgrader.core.errors import InputError, NetworkError, UpgraderError
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.ui.host import host
from tui_upgrader.ui.lang import translate_bindings
from tui_upgrader.ui.messages import PlanFailed, PlanLoaded
from tui_upgrader.ui.planview import shown
from tui_upgrader.ui.screens.manifest_view import (
    package_rows,
    patch_lines,
    problem_lines,
    summary_lines,
    trust_line,
)

if TYPE_CHECKING:
    from tui_upgrader.ops.upgrade.planning import Plan

logger = logging.getLogger(__name__)


class ManifestScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next", N_("Strategy"), id="manifest-next", priority=True),
        Binding("r", "reload", N_("Reload"), id="manifest-reload"),
        Binding("f", "force_full", N_("Force full"), id="manifest-force-full"),
        Binding("b", "backups", N_("Backups"), id="manifest-backups"),
        Binding("q", "app.quit", N_("Quit"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        translate_bindings(self)
        self.plan: Plan | None = None
        self.problem: Exception | None = None
        self.force_full = False

    def compose(self) -> ComposeResult:
        yield Header()
        with ContentSwitcher(initial="manifest-loading", id="manifest-switch"):
            with Vertical(id="manifest-loading"):
                yield Label(self._fetching_text(), id="loading-text", markup=False)
                yield LoadingIndicator()
            with Vertical(id="manifest-problem"):
                yield Label(_("The manifest cannot be used"), id="problem-title")
                yield Static("", id="problem-text", markup=False)
                yield Static(_("r reloads once it is fixed."), classes="-hint", markup=False)
            # Filled when the first plan arrives: the first frame (loading)
            # then styles and lays out a handful of widgets, not the table.
            yield Vertical(id="manifest-loaded")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.title = _("Release manifest")
        # Paint first, then fetch: the worker's imports (httpx) would
        # otherwise compete with the first frame for the GIL. The screen is
        # composed in its loading state, so that frame needs no second layout.
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        # One more frame: the worker's imports (TUF, cryptography, httpx for a
        # remote store) hold the GIL in bursts, and the first frame must be
        # out on the terminal before they start.
        self.call_after_refresh(self._load, self.force_full)

    async def _build_loaded_view(self) -> None:
        box = self.query_one("#manifest-loaded", Vertical)
        if box.children:
            return
        table: DataTable[object] = DataTable(id="packages", cursor_type="row", zebra_stripes=True)
        notes = VerticalScroll(id="notes")
        notes.border_title = _("Release notes")
        await box.mount_all(
            [
                Static("", id="manifest-summary", markup=False),
                Static("", id="manifest-trust", markup=False),
                Static("", id="manifest-problems", markup=False),
                table,
                Static("", id="patch-ops", markup=False),
                # The Markdown widget (and markdown-it) arrive with the plan.
                notes,
            ]
        )
        table.add_column("", key="use", width=1)
        for label, key in (
            (_("Arch"), "arch"),
            (_("Package"), "kind"),
            (_("Host"), "host"),
            (_("Size"), "size"),
        ):
            table.add_column(label, key=key)
        # Styled cells are not measured by DataTable: size the hash column ourselves.
        table.add_column(_("Hash"), key="hash", width=20)

    # --- loading --------------------------------------------------------------------

    def _fetching_text(self) -> str:
        source = host(self).settings.manifest or _("(no manifest configured)")
        return _("Fetching {source} …").format(source=source)

    def action_reload(self) -> None:
        h = host(self)
        if h.deps.reload_settings is not None:
            # r re-reads config.toml: the fix an error screen asked for takes effect.
            try:
                h.settings = h.deps.reload_settings()
            except UpgraderError as exc:
                self.post_message(PlanFailed(exc, _("The config cannot be used")))
                return
        self.plan = None
        self.query_one(ContentSwitcher).current = "manifest-loading"
        self.query_one("#loading-text", Label).update(self._fetching_text())
        self.refresh_bindings()
        self._load(self.force_full)

    @work(
        thread=True,
        exclusive=True,
        group="manifest",
        exit_on_error=False,
        description=_("Fetch the manifest and decide the strategy"),
    )
    def _load(self, force_full: bool) -> None:
        deps, settings = host(self).deps, host(self).settings
        try:
            # Imported here, off the UI thread, before the plan needs it.
            import textual.widgets._markdown  # noqa: F401

            if deps.check_deploy_dir and not settings.deploy_dir.is_dir():
                # Before anything is offered: a typo here must not become a
                # "new install" or another deploy dir's restore.
                missing = InputError(
                    _(
                        "{path} does not exist or is not a directory. Check --deploy-dir "
                        "or deploy_dir in the config, then press r."
                    ).format(path=settings.deploy_dir)
                )
                self.post_message(PlanFailed(missing, _("The deploy dir does not exist")))
                return
            plan = deps.load_plan(settings, force_full)
        except Exception as exc:
            if not isinstance(exc, UpgraderError):
                logger.exception("loading the manifest failed")
            self.post_message(PlanFailed(exc))
        else:
            self.post_message(PlanLoaded(plan))

    @on(PlanLoaded)
    async def _loaded(self, message: PlanLoaded) -> None:
        await self._build_loaded_view()
        self.plan = message.plan
        self.problem = None
        self._show(message.plan)
        self.query_one(ContentSwitcher).current = "manifest-loaded"
        self.query_one("#packages", DataTable).focus()
        self.refresh_bindings()

    @on(PlanFailed)
    def _failed(self, message: PlanFailed) -> None:
        from tui_upgrader.ui.screens.error import ErrorModal

        error = message.error
        self.problem = error
        self.query_one("#problem-title", Label).update(
            message.title or _("The manifest cannot be used")
        )
        text = (
            error.message
            if isinstance(error, UpgraderError)
            else _("unexpected error: {error!r}").format(error=error)
        )
        self.query_one("#problem-text", Static).update(Content(shown(text)))
        self.query_one(ContentSwitcher).current = "manifest-problem"
        self.refresh_bindings()
        if isinstance(error, NetworkError):
            modal = ErrorModal(
                _("Cannot reach the release server"),
                text,
                hint=_("Check the manifest URL in the config and the network, then retry."),
                log_path=host(self).deps.log_path,
                retry=True,
            )
        elif not isinstance(error, UpgraderError):
            modal = ErrorModal(_("Unexpected error"), text, log_path=host(self).deps.log_path)
        else:
            return  # a bad manifest is shown in place, with the JSON path
        self.app.push_screen(modal, self._after_error)

    def _after_error(self, choice: str | None) -> None:
        if choice == "retry":
            self.action_reload()
        elif choice == "quit":
            self.app.exit(1)

    # --- showing ----------------------------------------------------------------------

    def _show(self, plan: Plan) -> None:
        manifest, decision = plan.manifest, plan.decision
        now = host(self).deps.clock.now()
        summary = summary_lines(manifest, decision, plan.source, now)
        if plan.download is not None:
            summary.append(_("Download: {what}").format(what=plan.download.describe()))
        # Manifest text is never markup: Content shows ``[bold]`` as it is.
        self.query_one("#manifest-summary", Static).update(Content("\n".join(summary)))
        trust = self.query_one("#manifest-trust", Static)
        trust.update(trust_line(plan.trust))
        trust.set_class(not plan.trust.signed, "-unsigned")
        problems = problem_lines(manifest, decision)
        box = self.query_one("#manifest-problems", Static)
        box.update(Content("\n".join(f"⚠ {line}" for line in problems)))
        box.display = bool(problems)
        table = self.query_one("#packages", DataTable)
        table.clear()
        for row in package_rows(manifest, decision, plan.source):
            hash_cell = (
                Content(row.hash) if row.verifiable else Content.styled(row.hash, "$text-warning")
            )
            table.add_row(
                "▶" if row.chosen else "",
                # A str cell is markup to DataTable (a Content cell loses its width).
                escape(row.arch),
                row.kind,
                escape(row.host),
                row.size,
                hash_cell,
                key=row.key,
            )
        ops = patch_lines(manifest, self.size.width - 2)  # #patch-ops's padding
        patch = self.query_one("#patch-ops", Static)
        patch.update(Content("\n".join(ops)))
        patch.display = bool(ops)
        from textual.widgets import Markdown

        text = shown(manifest.release_notes or _("_No release notes._"))
        notes = self.query_one("#notes", VerticalScroll)
        existing = notes.query(Markdown)
        if existing:
            existing.first().update(text)
        else:
            notes.mount(Markdown(text, id="notes-md", open_links=False))

    # --- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            # Hidden, not dimmed, while the manifest cannot be used.
            return self.plan is not None
        return True

    @on(DataTable.RowSelected, "#packages")
    def _row_selected(self) -> None:
        self.action_next()

    def action_next(self) -> None:
        if self.plan is None:
            return
        from tui_upgrader.ui.screens.strategy import StrategyScreen

        self.app.push_screen(StrategyScreen(self.plan))

    def action_force_full(self) -> None:
        self.force_full = not self.force_full
        self.notify(
            _("Force full upgrade on: every file is reinstalled")
            if self.force_full
            else _("Force full upgrade off"),
            timeout=3,
        )
        self.action_reload()

    def action_backups(self) -> None:
        host(self).open_backups()
