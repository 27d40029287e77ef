"""Pilot flows: the whole TUI on the real runner, downloader and release server,
with FakeDocker and a tar-backed fake backup store standing in for the engine."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from tests.support.ui_drive import ended, loaded, upgrade_through_ui, wait_until
from tests.support.ui_release import ReleaseEnv, engine_app
from tui_upgrader.core.events import FORWARD_STEPS, StepEvent
from tui_upgrader.ops.state import read_state
from tui_upgrader.ui.messages import UpgradeEvent
from tui_upgrader.ui.screens.backups import BackupsScreen
from tui_upgrader.ui.screens.confirm import ConfirmModal
from tui_upgrader.ui.screens.manifest import ManifestScreen
from tui_upgrader.ui.screens.progress import ProgressScreen
from tui_upgrader.ui.screens.strategy import StrategyScreen


async def test_manifest_to_result_against_fake_docker(
    release_env: ReleaseEnv, tmp_path: Path
) -> None:
    messages: list[Message] = []
    app = engine_app(release_env, tmp_path)
    async with app.run_test(size=(80, 24), message_hook=messages.append) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        assert "1.5.0" in str(app.screen.query_one("#manifest-summary").render())
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, StrategyScreen))
        assert app.screen.query_one("#strategy-word").has_class("-full")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, BackupsScreen))
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert release_env.docker.called("down") == 0  # nothing changes before the confirm
        await pilot.press("y")
        await wait_until(pilot, lambda: ended(app))
        screen = app.screen
        assert isinstance(screen, ProgressScreen) and screen.outcome is not None
        assert screen.outcome.headline == "Upgraded 1.4.2 → 1.5.0", screen.outcome
        assert app.exit_code == 0
        await pilot.press("enter")  # back to a freshly loaded manifest
        await wait_until(pilot, lambda: loaded(app))
        assert isinstance(app.screen, ManifestScreen) and app.screen.plan is not None
        assert not app.screen.plan.decision.upgrades

    # A message bubbles (screen, then app): the hook sees it once per node.
    unique = list({id(m): m for m in messages}.values())
    started = [
        m.event.step
        for m in unique
        if isinstance(m, UpgradeEvent)
        and isinstance(m.event, StepEvent)
        and m.event.state == "started"
    ]
    assert started == list(FORWARD_STEPS)
    assert str(read_state(release_env.deploy).version) == "1.5.0.0"
    assert (release_env.deploy / "app/server.sh").read_text() == "echo 1.5.0\n"
    assert (release_env.deploy / "data/db.txt").read_text() == "rows of 1.4.2\n"
    docker = release_env.docker
    assert [c for c, _ in docker.calls if c in ("down", "up", "wait_healthy")] == [
        "down",
        "up",
        "wait_healthy",
    ]
    assert docker.called("load_image") == 1
    assert [(r.kind, r.version, r.status) for r in release_env.store.list()] == [
        ("pre-upgrade", "1.4.2.0", "completed")
    ]


async def test_cancel_before_the_stop_changes_nothing(
    release_env: ReleaseEnv, tmp_path: Path
) -> None:
    import threading

    gate = threading.Event()
    release_env.docker.hold["load_image"] = gate
    app = engine_app(release_env, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        await pilot.press("enter", "enter", "s", "y")
        await wait_until(pilot, release_env.docker.holding.is_set)
        screen = app.screen
        assert isinstance(screen, ProgressScreen) and screen.running and not screen.critical
        await pilot.press("c")
        await wait_until(pilot, lambda: ended(app))
        assert screen.outcome is not None
        assert screen.outcome.headline == "Cancelled before the stop: nothing was changed"
        assert screen.query_one("#step-stopping-services").has_class("-skipped")
    assert release_env.docker.called("down") == 0
    assert str(read_state(release_env.deploy).version) == "1.4.2.0"
    assert (release_env.deploy / "app/server.sh").read_text() == "echo 1.4.2\n"


async def test_cancel_refused_after_the_stop_and_quit_asks(
    release_env: ReleaseEnv, tmp_path: Path
) -> None:
    import threading

    gate = threading.Event()
    release_env.docker.hold["wait_healthy"] = gate
    app = engine_app(release_env, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        await pilot.press("enter", "enter", "s", "y")
        await wait_until(pilot, release_env.docker.holding.is_set)
        screen = app.screen
        assert isinstance(screen, ProgressScreen)
        await wait_until(pilot, lambda: screen.critical)
        assert screen.request_cancel() is False
        await pilot.press("c")
        assert not screen.cancel_requested
        assert any("Cancel refused" in n.message for n in app._notifications)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("n")  # stay
        await wait_until(pilot, lambda: app.screen is screen)
        gate.set()
        await wait_until(pilot, lambda: ended(app))
        assert screen.outcome is not None and screen.outcome.tone == "success"
    assert str(read_state(release_env.deploy).version) == "1.5.0.0"


async def test_failed_health_gate_rolls_back_and_says_so(
    release_env: ReleaseEnv, tmp_path: Path
) -> None:
    release_env.docker.unhealthy_gates = 1  # the new version fails, the old one passes
    app = engine_app(release_env, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        outcome = await upgrade_through_ui(pilot, timeout=30)
        assert outcome.headline == "Upgrade failed: rolled back to 1.4.2", outcome
        assert any("Log file:" in line for line in outcome.lines)
        screen = app.screen
        assert screen.query_one("#step-verifying-services").has_class("-failed")
        assert screen.query_one("#step-rolling-back").has_class("-done")
        assert app.exit_code == 1
    assert str(read_state(release_env.deploy).version) == "1.4.2.0"
    assert (release_env.deploy / "app/server.sh").read_text() == "echo 1.4.2\n"
    assert (release_env.deploy / "data/db.txt").read_text() == "rows of 1.4.2\n"
    assert release_env.docker.called("restore_snapshot") == 1
