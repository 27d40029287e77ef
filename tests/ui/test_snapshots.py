"""Snapshot tests of every screen at 80x24 and 120x36 (sync, deterministic).

Time is a FrozenClock, the runner is parked and the progress screen is fed
events on the UI thread, backup paths are fixed, and the input cursor does
not blink (conftest). Regenerate on purpose only:
``pytest tests/ui/test_snapshots.py --snapshot-update``, then look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.fakes import FakeBackupStore
from tests.ui import scenarios as sc
from tests.ui.test_flows import wait_until
from tui_upgrader.core.errors import ManifestError, NetworkError
from tui_upgrader.core.events import Event, LogEvent, Step, StepEvent
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.screens.backups import BackupsScreen
from tui_upgrader.ui.screens.confirm import ConfirmModal, RestoreModal
from tui_upgrader.ui.screens.error import ErrorModal
from tui_upgrader.ui.screens.journal import JournalModal
from tui_upgrader.ui.screens.manifest import ManifestScreen
from tui_upgrader.ui.screens.progress import ProgressScreen
from tui_upgrader.ui.screens.strategy import StrategyScreen
from tui_upgrader.ui.screens.wizard import WizardScreen

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
Snap = Callable[..., bool]
RunBefore = Callable[[Pilot[Any]], Awaitable[None]]


def app_with(tmp: Path, **kw: Any) -> UpgraderApp:
    store = FakeBackupStore(tmp / "b", sc.backup_records(), now=sc.NOW)
    kw.setdefault("runner", sc.parked_runner())
    return sc.build_app(tmp, store=store, **kw)


def loaded(app: UpgraderApp) -> bool:
    return isinstance(app.screen, ManifestScreen) and app.screen.plan is not None


def to_screen(*keys: str, until: type[Any]) -> RunBefore:
    async def run(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, UpgraderApp)
        await wait_until(pilot, lambda: loaded(app) or isinstance(app.screen, ModalOrWizard))
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await wait_until(pilot, lambda: isinstance(app.screen, until))
        screen = app.screen
        if isinstance(screen, BackupsScreen):
            await wait_until(pilot, lambda: bool(screen.rows))
        if isinstance(screen, StrategyScreen) and screen.plan.decision.upgrades:
            await wait_until(pilot, lambda: screen.services is not None)
        await pilot.pause()

    return run


ModalOrWizard = (ErrorModal, JournalModal, WizardScreen)


def progress(events: Callable[[], list[Event]]) -> RunBefore:
    async def run(pilot: Pilot[Any]) -> None:
        await to_screen("enter", "enter", "s", "y", until=ProgressScreen)(pilot)
        app = pilot.app
        assert isinstance(app, UpgraderApp)
        sc.feed(app, events())
        await pilot.pause()

    return run


def running_events() -> list[Event]:
    happy = sc.happy_events(sc.SUCCESS)
    cut = happy.index(StepEvent(Step.LOADING_IMAGES, "started")) + 1
    return [*happy[:cut], *sc.layer_events(0.45)[:2], LogEvent("info", "loading app.tar")]


class TestManifest:
    @SIZES
    def test_full(self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
        app = app_with(tmp_path)
        assert snap_compare(app, terminal_size=size, run_before=to_screen(until=ManifestScreen))

    @SIZES
    def test_patch(self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
        app = app_with(tmp_path, plan=sc.patch_plan())
        assert snap_compare(app, terminal_size=size, run_before=to_screen(until=ManifestScreen))

    @SIZES
    def test_invalid_in_place(
        self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]
    ) -> None:
        def bad(_s: Any, _f: bool) -> Any:
            raise ManifestError("platforms.x86_64.hash", "expected 'sha256:<64 hex digits>'")

        app = app_with(tmp_path, load_plan=bad)

        async def run(pilot: Pilot[Any]) -> None:
            screen = pilot.app.screen
            await wait_until(pilot, lambda: getattr(screen, "problem", None) is not None)

        assert snap_compare(app, terminal_size=size, run_before=run)

    @SIZES
    def test_unreachable_server(
        self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]
    ) -> None:
        def down(_s: Any, _f: bool) -> Any:
            raise NetworkError("http://updates.example.com/manifest.json: connection refused")

        app = app_with(tmp_path, load_plan=down)
        assert snap_compare(app, terminal_size=size, run_before=to_screen(until=ErrorModal))


class TestStrategy:
    @SIZES
    def test_full(self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
        app = app_with(tmp_path)
        run = to_screen("enter", until=StrategyScreen)
        assert snap_compare(app, terminal_size=size, run_before=run)

    @SIZES
    def test_patch(self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
        app = app_with(tmp_path, plan=sc.patch_plan())
        run = to_screen("enter", until=StrategyScreen)
        assert snap_compare(app, terminal_size=size, run_before=run)

    @SIZES
    def test_blocked_by_min_version(
        self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]
    ) -> None:
        app = app_with(tmp_path, plan=sc.blocked_plan())
        run = to_screen("enter", until=StrategyScreen)
        assert snap_compare(app, terminal_size=size, run_before=run)


class TestBackups:
    @SIZES
    def test_list(self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
        app = app_with(tmp_path)
        run = to_screen("enter", "enter", until=BackupsScreen)
        assert snap_compare(app, terminal_size=size, run_before=run)

    @SIZES
    def test_restore_modal(self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
        app = app_with(tmp_path)
        run = to_screen("enter", "enter", "down", "down", "r", until=RestoreModal)
        assert snap_compare(app, terminal_size=size, run_before=run)

    @SIZES
    def test_start_confirmation(
        self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]
    ) -> None:
        app = app_with(tmp_path)
        run = to_screen("enter", "enter", "s", until=ConfirmModal)
        assert snap_compare(app, terminal_size=size, run_before=run)


class TestProgress:
    @SIZES
    def test_running(self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
        app = app_with(tmp_path)
        assert snap_compare(app, terminal_size=size, run_before=progress(running_events))

    @SIZES
    def test_success(self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
        app = app_with(tmp_path)
        run = progress(lambda: sc.happy_events(sc.SUCCESS))
        assert snap_compare(app, terminal_size=size, run_before=run)

    @SIZES
    def test_rolled_back(self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
        app = app_with(tmp_path)
        run = progress(lambda: sc.rollback_events(sc.ROLLED_BACK))
        assert snap_compare(app, terminal_size=size, run_before=run)


class TestStartup:
    @SIZES
    def test_journal_modal(self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]) -> None:
        app = app_with(tmp_path, journal=sc.FakeJournal())
        assert snap_compare(app, terminal_size=size, run_before=to_screen(until=JournalModal))

    @SIZES
    def test_first_run_wizard(
        self, snap_compare: Snap, tmp_path: Path, size: tuple[int, int]
    ) -> None:
        app = app_with(tmp_path, needs_setup=True)
        assert snap_compare(app, terminal_size=size, run_before=to_screen(until=WizardScreen))
