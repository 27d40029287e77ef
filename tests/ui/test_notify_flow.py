"""The TUI notifies too: the same hook as the CLI, seen from a real receiver."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from tests.support.receiver import NotifyReceiver
from tests.support.ui_drive import upgrade_through_ui
from tests.support.ui_release import ReleaseEnv, engine_app


async def test_a_rollback_in_the_tui_is_announced(
    release_env: ReleaseEnv, tmp_path: Path, notify_receiver: NotifyReceiver
) -> None:
    settings = dataclasses.replace(
        release_env.settings, notify=(notify_receiver.url("form", "tui"),)
    )
    release_env.docker.unhealthy_gates = 1  # the new version fails, the old one passes
    app = engine_app(dataclasses.replace(release_env, settings=settings), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        outcome = await upgrade_through_ui(pilot, timeout=60)
        assert outcome.headline == "Upgrade failed: rolled back to 1.4.2", outcome
        assert app.exit_code == 1

    (message,) = notify_receiver.wait_for(1)
    form = message.form()
    assert form["title"].endswith(": failed, rolled back; the old stack is healthy")
    assert "version: 1.4.2.0 -> 1.5.0.0" in form["message"].splitlines()
    assert f"log: {settings.log_dir / 'tui-upgrader.log'}" in form["message"].splitlines()
