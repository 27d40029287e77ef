"""Help and the footer (issue #20 item 12): ? and F1 open the keys panel, Esc closes
it, and the footer offers only keys that do something now."""

from __future__ import annotations

from pathlib import Path

from tests.support import ui_scenarios as sc
from tests.support import ui_scripted as sx
from tests.support.ui_drive import loaded, wait_until
from tui_upgrader.core.errors import ManifestError
from tui_upgrader.core.events import Step, StepEvent
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade.planning import Plan
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.screens.manifest import ManifestScreen
from tui_upgrader.ui.screens.progress import ProgressScreen
from tui_upgrader.ui.screens.strategy import StrategyScreen


def footer_actions(app: UpgraderApp) -> set[str]:
    """The actions the footer shows: bindings that are shown and enabled now."""
    return {
        active.binding.action
        for active in app.screen.active_bindings.values()
        if active.binding.show and active.enabled
    }


def panel_open(app: UpgraderApp) -> bool:
    return bool(app.screen.query("HelpPanel"))


async def test_question_mark_and_f1_open_the_keys_and_esc_closes_them(tmp_path: Path) -> None:
    app = sc.build_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            await wait_until(pilot, lambda: panel_open(app))
            await pilot.press("escape")
            await wait_until(pilot, lambda: not panel_open(app))
            assert isinstance(app.screen, ManifestScreen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, StrategyScreen))
        await pilot.press("f1")
        await wait_until(pilot, lambda: panel_open(app))
        await pilot.press("escape")  # closes the panel, does not leave the screen
        await wait_until(pilot, lambda: not panel_open(app))
        assert isinstance(app.screen, StrategyScreen)
        await pilot.press("escape")  # now Esc is the screen's: back
        await wait_until(pilot, lambda: isinstance(app.screen, ManifestScreen))


async def test_the_footer_hides_keys_that_do_nothing_now(tmp_path: Path) -> None:
    def broken(_settings: Settings, _force: bool) -> Plan:
        raise ManifestError("services[0].sha256", "expected 64 hex chars")

    app = sc.build_app(tmp_path, load_plan=broken)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ManifestScreen)
        await wait_until(pilot, lambda: screen.problem is not None)
        assert "next" not in footer_actions(app)  # no "⏎ Strategy" on a bad manifest
        assert "reload" in footer_actions(app)

    nothing = sc.build_app(tmp_path, plan=sc.make_plan(installed="1.5.0.0"))
    async with nothing.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: loaded(nothing))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(nothing.screen, StrategyScreen))
        assert "next" not in footer_actions(nothing)  # nothing to do: no "Backups & start"


async def test_cancel_is_not_offered_once_the_stack_is_stopped(tmp_path: Path) -> None:
    app = sc.build_app(tmp_path, runner=sx.parked_runner())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        await pilot.press("enter", "enter", "s", "y")
        await wait_until(pilot, lambda: isinstance(app.screen, ProgressScreen))
        screen = app.screen
        assert isinstance(screen, ProgressScreen)
        await wait_until(pilot, lambda: screen.started)
        assert "cancel_job" in footer_actions(app)
        screen.apply_event(StepEvent(Step.STOPPING_SERVICES, "started"))
        await pilot.pause()
        assert screen.critical
        assert "cancel_job" not in footer_actions(app)
