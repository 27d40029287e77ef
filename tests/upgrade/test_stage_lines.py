"""Stage lines (issue 14 item 4): each stage writes one marked line, in order,
in the event stream and in the log file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.support.upgrade_env import NEW_FILES, Env, make_zip, unhealthy_once
from tui_upgrader.core.events import LogEvent
from tui_upgrader.core.stages import STAGES, Stage


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    return Env(tmp_path)


def stages_seen(env: Env) -> list[Stage]:
    by_start: dict[str, Stage] = {}
    for stage, text in STAGES.items():
        by_start.setdefault(text.mark + " " + text.template.split("{")[0], stage)
    seen: list[Stage] = []
    for event in env.events:
        if isinstance(event, LogEvent) and event.mark:
            matches = [s for start, s in by_start.items() if event.message.startswith(start)]
            assert len(matches) == 1, event.message
            seen.append(matches[0])
    return seen


def test_a_full_upgrade_marks_every_stage_in_order(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    pkg = env.tmp / "docker-x86_64.zip"
    sha = make_zip(pkg, NEW_FILES)
    with caplog.at_level(logging.INFO, logger="tui_upgrader.stages"):
        result = env.run(env.manifest("1.1.0", pkg, sha))
    assert result.success, result
    assert stages_seen(env) == [
        Stage.STRATEGY_BEGIN,
        Stage.STRATEGY_FULL,
        Stage.DOWNLOAD_START,
        Stage.DOWNLOAD_DONE,
        Stage.LOAD_EXEC,
        Stage.LOAD_PARSED,
        Stage.STOP,
        Stage.STOPPED,
        Stage.BACKUP_START,
        Stage.BACKUP_DONE,
        Stage.START,
        Stage.STARTED,
        Stage.HEALTH_OK,
        Stage.UPGRADE_DONE,
    ]
    # The log file gets the same marked lines (one record each).
    logged = [r.getMessage() for r in caplog.records if r.name == "tui_upgrader.stages"]
    marked = [e.message for e in env.events if isinstance(e, LogEvent) and e.mark]
    assert logged == marked
    done = next(m for m in marked if m.startswith("✅ download complete"))
    assert sha in done
    assert any(m.startswith("✅ backup created, id ") for m in marked)
    # Step starts and ends are step events, never log lines.
    assert not any("▶" in m or m.startswith("✔") for m in marked)


def test_a_failed_health_gate_marks_the_rollback_and_its_actions(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = env.tmp / "p.zip"
    unhealthy_once(env.docker, monkeypatch)
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert result.rolled_back
    seen = stages_seen(env)
    assert seen[seen.index(Stage.STARTED) + 1 :] == [
        Stage.HEALTH_FAILED,
        Stage.ROLLBACK_START,
        Stage.ROLLBACK_ACTION,  # stopping the new containers
        Stage.ROLLBACK_ACTION,  # files
        Stage.ROLLBACK_ACTION,  # data/ from the backup
        Stage.ROLLBACK_ACTION,  # image tags
        Stage.ROLLBACK_ACTION,  # starting the old stack
        Stage.HEALTH_OK,
        Stage.ROLLBACK_DONE,
    ]
    failed = [e for e in env.events if isinstance(e, LogEvent) and e.mark == "❌"]
    assert failed and failed[0].level == "error"
