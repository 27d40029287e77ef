"""Driving the app to a given screen: shared by the snapshot tests and make_screenshots.py.

Each ``Scene`` names a screen state, builds a deterministic app for it
(ui_scenarios.py) and knows the keys that lead there.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

from tests.support import ui_scenarios as sc
from tests.support import ui_scripted as sx
from tui_upgrader.core.errors import ManifestError, NetworkError
from tui_upgrader.core.events import Event, Step, StepEvent
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.operations import Outcome
from tui_upgrader.ui.screens.backups import BackupsScreen
from tui_upgrader.ui.screens.confirm import ConfirmModal, RestoreModal
from tui_upgrader.ui.screens.error import ErrorModal
from tui_upgrader.ui.screens.journal import JournalModal
from tui_upgrader.ui.screens.manifest import ManifestScreen
from tui_upgrader.ui.screens.progress import ProgressScreen
from tui_upgrader.ui.screens.strategy import StrategyScreen
from tui_upgrader.ui.screens.wizard import WizardScreen

RunBefore = Callable[[Pilot[Any]], Awaitable[None]]
FIRST_SCREENS = (ErrorModal, JournalModal, WizardScreen)


async def wait_until(pilot: Pilot[Any], check: Callable[[], bool], timeout: float = 15) -> None:
    """Poll with a deadline (never a bare sleep as synchronisation)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; screen is {pilot.app.screen!r}")
        await pilot.pause(0.02)


def loaded(app: UpgraderApp) -> bool:
    return isinstance(app.screen, ManifestScreen) and app.screen.plan is not None


def ended(app: UpgraderApp) -> bool:
    """A progress screen shows its result."""
    return isinstance(app.screen, ProgressScreen) and not app.screen.running


def settled(app: UpgraderApp) -> bool:
    """The first screen is up: a loaded manifest, a problem shown in place, or a modal."""
    screen = app.screen
    if isinstance(screen, ManifestScreen):
        return screen.plan is not None or screen.problem is not None
    return isinstance(screen, FIRST_SCREENS)


def to_screen(*keys: str, until: type[Any]) -> RunBefore:
    async def run(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, UpgraderApp)
        await wait_until(pilot, lambda: settled(app))
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


async def upgrade_through_ui(
    pilot: Pilot[Any], *, make_backup: bool = True, timeout: float = 600
) -> Outcome:
    """Manifest -> strategy -> backups -> start -> confirm -> result, by keys only.

    For the flow against the real engine: build the app with
    ``UpgraderApp(real_deps(argparse.Namespace(), settings=..., needs_setup=False))``.
    """
    app = pilot.app
    assert isinstance(app, UpgraderApp)
    await wait_until(pilot, lambda: loaded(app), timeout)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, StrategyScreen))
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, BackupsScreen))
    if not make_backup:
        await pilot.press("p")
    await pilot.press("s")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
    await pilot.press("y")
    await wait_until(pilot, lambda: ended(app), timeout)
    screen = app.screen
    assert isinstance(screen, ProgressScreen) and screen.outcome is not None
    return screen.outcome


def progress(events: Callable[[], list[Event]]) -> RunBefore:
    async def run(pilot: Pilot[Any]) -> None:
        await to_screen("enter", "enter", "s", "y", until=ProgressScreen)(pilot)
        app = pilot.app
        assert isinstance(app, UpgraderApp)
        screen = app.screen
        assert isinstance(screen, ProgressScreen)
        await wait_until(pilot, lambda: screen.started)
        sx.feed(app, events())
        await pilot.pause()

    return run


def running_events() -> list[Event]:
    happy = sx.happy_events(sx.SUCCESS)
    cut = happy.index(StepEvent(Step.LOADING_IMAGES, "started")) + 1
    return [*happy[: cut + 1], *sx.layer_events(0.45)[:2]]


def app_with(tmp: Path, **kw: Any) -> UpgraderApp:
    # The backups screens print archive paths: relative to the cwd, they read
    # "data/backups/..." on every run of a test whose cwd is ``tmp`` (the snapshots).
    store = sc.backup_store(Path(os.path.relpath(tmp / "data")))
    kw.setdefault("runner", sx.parked_runner())
    return sc.build_app(tmp, store=store, **kw)


def _bad_manifest(_s: Any, _f: bool) -> Any:
    raise ManifestError("platforms.x86_64.hash", "expected 'sha256:<64 hex digits>'")


def _server_down(_s: Any, _f: bool) -> Any:
    raise NetworkError("http://updates.example.com/manifest.json: connection refused")


@dataclass(frozen=True)
class Scene:
    name: str
    app: dict[str, Any]
    run_before: RunBefore

    def build(self, tmp: Path) -> UpgraderApp:
        values = {k: (v() if callable(v) and k != "load_plan" else v) for k, v in self.app.items()}
        return app_with(tmp, **values)


STRATEGY = to_screen("enter", until=StrategyScreen)
RESTORE = to_screen("enter", "enter", "down", "down", "r", until=RestoreModal)

SCENES: dict[str, Scene] = {
    s.name: s
    for s in (
        Scene("manifest", {}, to_screen(until=ManifestScreen)),
        Scene("manifest-patch", {"plan": sc.patch_plan}, to_screen(until=ManifestScreen)),
        Scene("manifest-unsigned", {"plan": sc.unsigned_plan}, to_screen(until=ManifestScreen)),
        Scene("manifest-invalid", {"load_plan": _bad_manifest}, to_screen(until=ManifestScreen)),
        Scene("error-unreachable", {"load_plan": _server_down}, to_screen(until=ErrorModal)),
        Scene("strategy", {}, STRATEGY),
        Scene("strategy-patch", {"plan": sc.patch_plan}, STRATEGY),
        Scene("strategy-blocked", {"plan": sc.blocked_plan}, STRATEGY),
        Scene("backups", {}, to_screen("enter", "enter", until=BackupsScreen)),
        Scene("restore-modal", {}, RESTORE),
        Scene("start-confirm", {}, to_screen("enter", "enter", "s", until=ConfirmModal)),
        Scene("progress", {}, progress(running_events)),
        Scene("result-success", {}, progress(lambda: sx.happy_events(sx.SUCCESS))),
        Scene("result-rollback", {}, progress(lambda: sx.rollback_events(sx.ROLLED_BACK))),
        Scene("journal", {"journal": sc.interrupted_journal()}, to_screen(until=JournalModal)),
        Scene("first-run", {"needs_setup": True}, to_screen(until=WizardScreen)),
    )
}  # fmt: skip


def painted(app: App[Any]) -> str:
    """The screen as painted, as plain text (what a terminal would show)."""
    console = Console(
        width=app.size.width, height=app.size.height, file=io.StringIO(), record=True,
        force_terminal=True, legacy_windows=False, safe_box=False,
    )  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)
