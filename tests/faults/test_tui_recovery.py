"""Fault class 1 through the TUI: kill -9 of the upgrade, then the start-up dialog.

The real app on the real engine (``real_deps`` from the case's config, driven by
Pilot): it must open the Roll back / Resume dialog before anything else, and the
choice must leave exactly one version, as ``recover`` does.
"""

from __future__ import annotations

import argparse
import signal

import pytest

from tests.faults.case import Case
from tests.faults.invariant import check_invariant
from tests.support.ui_drive import ended, wait_until
from tui_upgrader.ops.fault_points import CRASH_HOOK_ENV
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.launch import real_deps
from tui_upgrader.ui.screens.journal import JournalModal
from tui_upgrader.ui.screens.progress import ProgressScreen

pytestmark = pytest.mark.engine

CHOICES = [
    pytest.param("b", "old", "Rolled back to 1.0.0", id="rollback"),
    pytest.param(
        "u", "new", "Upgrade resumed and completed", id="resume", marks=pytest.mark.faults_long
    ),
]


@pytest.mark.parametrize(("key", "want", "headline"), CHOICES)
async def test_kill_then_the_start_up_dialog_recovers(
    case: Case, key: str, want: str, headline: str
) -> None:
    code, _, err = case.run(
        "upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: "ApplyingUpdate:end"}
    )
    assert code == -signal.SIGKILL, err
    args = argparse.Namespace(config=case.config, deploy_dir=None, manifest=None)
    app = UpgraderApp(real_deps(args))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, JournalModal), timeout=30)
        await pilot.press(key)
        await wait_until(pilot, lambda: ended(app), timeout=180)
        screen = app.screen
        assert isinstance(screen, ProgressScreen) and screen.outcome is not None
        assert screen.outcome.headline.startswith(headline), screen.outcome
    assert check_invariant(case) == want
