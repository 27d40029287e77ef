"""The UI's pure parts: coalescing, throttling, speed/ETA, outcomes, plan text, palette."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support import ui_scenarios as sc
from tests.support import ui_scripted as sx
from tests.support.results import result_event
from tests.support.ui_drive import wait_until
from tui_upgrader.core.errors import EXIT_FAILED, EXIT_OK, EXIT_ROLLBACK_FAILED
from tui_upgrader.core.events import (
    FORWARD_STEPS,
    LayerEvent,
    ProgressEvent,
    ResultEvent,
    ServiceEvent,
    Step,
    StepEvent,
)
from tui_upgrader.core.run_model import RunModel
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ui.backup_rows import rows_from_records
from tui_upgrader.ui.operations import Operation, describe
from tui_upgrader.ui.planview import plan_steps, touched
from tui_upgrader.ui.screens.backups import BackupsScreen
from tui_upgrader.ui.screens.journal import journal_lines
from tui_upgrader.ui.screens.manifest_view import summary_lines
from tui_upgrader.ui.widgets.big_text import render_big
from tui_upgrader.ui.widgets.layer_list import layer_line
from tui_upgrader.ui.widgets.status_line import Timing, status_text
from tui_upgrader.ui.widgets.transfer_bar import RateMeter

DL = Step.DOWNLOADING_UPDATE


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_the_run_model_keeps_the_newest_figures_and_counts_what_it_was_fed() -> None:
    clock = Clock()
    model = RunModel(FORWARD_STEPS, clock)
    for done in range(0, 1000, 10):  # a burst: stored, nothing posted anywhere
        model.feed(ProgressEvent(DL, done, 1000))
    model.feed(LayerEvent("img", "l1", "loading", 5, 9))
    model.feed(LayerEvent("img", "l1", "loading", 9, 9))
    snap = model.snapshot()
    assert snap.version == 102
    assert snap.transfer == ProgressEvent(DL, 990, 1000)
    assert snap.layers == (LayerEvent("img", "l1", "loading", 9, 9),)
    assert model.snapshot().version == snap.version  # nothing new, nothing to draw


def test_the_run_model_says_services_up_only_after_the_health_gate() -> None:
    model = RunModel(FORWARD_STEPS, Clock())
    assert model.snapshot().services_state == "unknown"
    model.feed(StepEvent(Step.STOPPING_SERVICES, "started"))
    assert model.snapshot().services_state == "down"
    model.feed(StepEvent(Step.STARTING_SERVICES, "finished"))
    model.feed(ServiceEvent("web", "healthy"))  # one service's verdict is not the gate's
    assert model.snapshot().services_state == "down"
    model.feed(StepEvent(Step.VERIFYING_SERVICES, "failed"))
    model.feed(StepEvent(Step.ROLLING_BACK, "started"))
    assert model.snapshot().services_state == "rolling-back"
    assert "services up" not in status_text(
        Timing(down_from=1.0),
        5.0,
        running=True,
        critical=True,
        cancelling=False,
        services=model.snapshot().services_state,
    )
    model.feed(StepEvent(Step.VERIFYING_SERVICES, "finished"))
    assert model.snapshot().services_state == "up"


def test_a_failed_or_cancelled_job_never_shows_a_full_bar() -> None:
    clock = Clock()
    model = RunModel(FORWARD_STEPS, clock)
    model.feed(StepEvent(Step.CHECKING_UPDATES, "finished"))
    clock.t = 3.0
    model.end(ResultEvent.failure(RuntimeError("cancelled")))
    view = model.snapshot().overall
    assert view.finished and view.failed and view.fraction < 1.0


def test_rate_meter_speed_and_eta_from_the_clock() -> None:
    meter = RateMeter(window_s=3.0)
    assert meter.rate() is None
    for second in range(6):
        meter.add(float(second), second * 10_000_000)
    assert meter.rate() == pytest.approx(10_000_000)
    assert meter.eta(50_000_000, 100_000_000) == pytest.approx(5.0)
    meter.add(6.0, 0)  # the server ignored Range: the transfer restarted
    assert meter.rate() is None


def _op() -> Operation:
    title = "Upgrade 1.4.2 → 1.5.0 (full)"
    return Operation(
        "upgrade", title, FORWARD_STEPS, lambda e, c: sx.SUCCESS, Step.STOPPING_SERVICES
    )


@pytest.mark.parametrize(
    ("result", "cancelled", "stopped", "tone", "headline", "code"),
    [
        (sx.SUCCESS, False, True, "success", "Upgraded 1.4.2 → 1.5.0", EXIT_OK),
        (
            sx.ROLLED_BACK,
            False,
            True,
            "failure",
            "Upgrade failed: rolled back to 1.4.2",
            EXIT_FAILED,
        ),
        (
            result_event(
                success=False,
                from_version="1.4.2.0",
                to_version="1.5.0.0",
                backup_id=5,
                error="rollback failed too: boom",
                exit_code=EXIT_ROLLBACK_FAILED,
            ),
            False,
            True,
            "danger",
            "Upgrade failed and the rollback failed too",
            EXIT_ROLLBACK_FAILED,
        ),
        (
            result_event(
                success=False,
                from_version="1.4.2.0",
                to_version="1.5.0.0",
                error="cancelled",
                exit_code=1,
            ),
            True,
            False,
            "failure",
            "Cancelled before the stop: nothing was changed",
            EXIT_FAILED,
        ),
        (
            result_event(
                success=False,
                from_version="1.4.2.0",
                to_version="1.5.0.0",
                error="sha256 mismatch",
                exit_code=1,
            ),
            False,
            False,
            "failure",
            "Upgrade failed",
            EXIT_FAILED,
        ),
    ],
)
def test_outcomes(
    result: ResultEvent, cancelled: bool, stopped: bool, tone: str, headline: str, code: int
) -> None:
    log = Path("/var/log/x.log")
    outcome = describe(_op(), result, log, cancelled=cancelled, stopped=stopped)
    assert (outcome.tone, outcome.headline, outcome.exit_code) == (tone, headline, code)
    assert f"Log file: {log}" in outcome.lines
    if not stopped and not cancelled:
        assert "Nothing was stopped or changed." in outcome.lines
    if tone == "danger":
        assert any("restore backup #5" in line for line in outcome.lines)


def test_plan_marks_the_downtime_window_and_a_skipped_backup() -> None:
    plan, settings = sc.make_plan(), Settings(deploy_dir=Path("/srv/demo"))
    steps = plan_steps(plan.decision, settings, make_backup=False)
    assert [s.step for s in steps] == list(FORWARD_STEPS)
    down = [s.step for s in steps if s.downtime]
    assert down[0] is Step.STOPPING_SERVICES and down[-1] is Step.VERIFYING_SERVICES
    backup = next(s for s in steps if s.step is Step.CREATING_BACKUP)
    assert backup.skipped and "SKIPPED" in backup.text
    patch = sc.patch_plan()
    lines = touched(patch.decision, settings, ["app"])
    assert "replace app/server.js" in lines and "delete  app/legacy.js" in lines
    assert "services: app" in lines


def test_journal_lines_and_backup_rows(tmp_path: Path) -> None:
    lines = journal_lines(sc.interrupted_journal(), sc.NOW)
    assert lines[0].startswith("Upgrade 1.4.2 → 1.5.0, started 2026-06-04 09:12 UTC")
    assert "Pre-upgrade backup: #5." in lines
    records = sc.backup_store(tmp_path / "data").list()
    rows = rows_from_records(reversed(records))
    assert [r.id for r in rows] == [4, 3, 2, 1]  # newest first, whatever the input order
    assert rows[-1].cells(sc.NOW)[-2] == "MISSING"
    assert rows[0].cells(sc.NOW + timedelta(hours=1))[3] == "8 hours ago"


def test_big_text_is_three_rows() -> None:
    rows = render_big("full").split("\n")
    assert len(rows) == 3 and rows[0].startswith("█▀▀▀")


async def test_palette_offers_the_screen_actions(tmp_path: Path) -> None:
    app = sc.build_app(tmp_path, store=sc.backup_store(tmp_path / "data"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: getattr(app.screen, "plan", None) is not None)
        await pilot.press("enter", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupsScreen))
        screen = app.screen
        assert isinstance(screen, BackupsScreen)
        await wait_until(pilot, lambda: bool(screen.rows))
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("Start", "New", "Verify", "Restore", "Delete", "Back", "Backups"):
            assert wanted in titles, titles
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Back")
        await command.callback()
        await wait_until(pilot, lambda: not isinstance(app.screen, BackupsScreen))


def test_a_layer_finished_without_a_reported_size_reads_done() -> None:
    assert layer_line(LayerEvent("img", "abc", "extracting", 0, 0)).endswith("━ done")
    assert "50%" in layer_line(LayerEvent("img", "abc", "extracting", 5, 10))


def test_a_partly_failed_rollback_lists_what_is_and_is_not_back() -> None:
    op = Operation("recover", "Roll back", (Step.ROLLING_BACK,), lambda e, c: sx.SUCCESS, None)
    result = result_event(
        success=False,
        from_version="1.0.0.0",
        to_version="1.1.0.0",
        backup_id=3,
        error="upgrade failed: the upgrade was interrupted; rollback failed: data/ could not be "
        "restored from backup #3 (gone); put back: the files of 1.0.0.0, the old image tags",
        rollback_healthy=True,
        exit_code=EXIT_ROLLBACK_FAILED,
        put_back=("the files of 1.0.0.0", "the old image tags"),
        not_restored=("data/ could not be restored from backup #3 (gone)",),
        cause="upgrade failed: the upgrade was interrupted",
    )
    outcome = describe(op, result, Path("/l"), cancelled=False, stopped=True)
    assert (outcome.tone, outcome.exit_code) == ("danger", EXIT_ROLLBACK_FAILED)
    assert outcome.headline == "Recovery failed and the rollback failed too"
    assert outcome.lines[:3] == (
        "Error: upgrade failed: the upgrade was interrupted",
        "NOT restored: data/ could not be restored from backup #3 (gone)",
        "Put back: the files of 1.0.0.0, the old image tags.",
    )


def test_a_resume_that_ended_in_a_rollback_is_not_a_success() -> None:
    op = Operation("recover", "Resume", FORWARD_STEPS, lambda e, c: sx.SUCCESS, None)
    result = result_event(
        success=False,
        from_version="1.0.0.0",
        to_version="1.1.0.0",
        backup_id=3,
        rolled_back=True,
        error="services not healthy",
        rollback_healthy=True,
        exit_code=EXIT_FAILED,
    )
    outcome = describe(op, result, Path("/l"), cancelled=False, stopped=True)
    assert (outcome.tone, outcome.exit_code) == ("failure", EXIT_FAILED)
    assert outcome.headline == "Recovery failed: rolled back to 1.0.0"


def test_an_unclean_stop_is_a_line_of_the_outcome() -> None:
    result = replace(sx.SUCCESS, unclean_stop=("db",))
    outcome = describe(_op(), result, Path("/l"), cancelled=False, stopped=True)
    assert outcome.tone == "success"
    assert any(
        "Not shut down cleanly during the stop (killed): db" in line for line in outcome.lines
    )


@pytest.mark.parametrize(
    ("arch_source", "wanted"),
    [("engine", "engine: x86_64"), ("TUI_UPGRADER_ARCH", "TUI_UPGRADER_ARCH: x86_64"),
     ("machine", "this machine: x86_64")],
)  # fmt: skip
def test_the_manifest_screen_says_where_the_architecture_came_from(
    arch_source: str, wanted: str
) -> None:
    """#19: the engine's architecture is not "this machine" (ssh://, a VM engine)."""
    plan = sc.make_plan()
    decision = replace(plan.decision, arch_source=arch_source)
    lines = summary_lines(plan.manifest, decision, plan.source, sc.NOW)
    assert lines[1].endswith(f"{plan.source} · {wanted}"), lines[1]
