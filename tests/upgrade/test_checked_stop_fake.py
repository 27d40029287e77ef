"""The checked stop, first installs and the project in stage lines, on the fakes (#24).

The real engine side (a PostgreSQL killed with an open session) is in
tests/examples/test_postgres_engine.py and tests/stack/test_stopping_engine.py.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.upgrade_env import NEW_FILES, Env, make_zip, tree
from tui_upgrader.core.events import LogEvent, ResultEvent, StepEvent
from tui_upgrader.core.stack import StopReport
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.notify.message import result_notice
from tui_upgrader.ops.state import read_state

KILLED = StopReport("db", "p-db-1", 137, 10.0, 10.2, killed=True)
SLOW = StopReport("app", "p-app-1", 0, 10.0, 9.1)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    return Env(tmp_path)


def _upgrade(env: Env) -> ResultEvent:
    pkg = env.tmp / "p.zip"
    return env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))


def _warnings(env: Env) -> list[str]:
    return [e.message for e in env.events if isinstance(e, LogEvent) and e.level == "warning"]


def test_a_killed_service_is_named_in_every_channel_and_the_upgrade_goes_on(env: Env) -> None:
    env.docker.stop_reports = [SLOW, KILLED]
    result = _upgrade(env)
    assert result.success, result
    assert result.unclean_stop == ("db",)
    assert result.to_json()["unclean_stop"] == ["db"]
    warnings = _warnings(env)
    assert any("db (killed after its 10 s grace period, exit 137)" in w for w in warnings)
    assert any("slow stop: app (took 9.1 s of its 10 s grace period)" in w for w in warnings)
    assert result.backup_id is not None
    note = env.backups.get(result.backup_id).note
    assert note.startswith("crash-consistent: db (killed")
    notice = result_notice(result, env.deploy, env.tmp / "log")
    assert notice is not None and notice.severity == "warning"
    assert "unclean stop: db killed during the stop" in notice.body
    # read before removal: stop_checked, then down
    names = [c for c, _ in env.docker.calls]
    assert names.index("stop_checked") < names.index("down")


def test_refuse_starts_the_unchanged_old_stack_again_and_fails(env: Env) -> None:
    env.settings = replace(env.settings, unclean_stop="refuse")
    env.backups = BackupStore(env.settings)
    env.docker.stop_reports = [KILLED]
    before = tree(env.deploy)
    result = _upgrade(env)
    assert not result.success and result.rolled_back and result.exit_code == 1
    assert "unclean_stop" in (result.error or "") and "db" in (result.error or "")
    assert result.unclean_stop == ("db",)
    assert tree(env.deploy) == before
    assert str(read_state(env.deploy).version) == "1.0.0.0"
    assert env.docker.running and env.docker.called("up") == 1
    assert env.backups.list() == [], "no backup of a crashed stack is taken"


def test_a_clean_stop_says_nothing_and_the_result_has_an_empty_list(env: Env) -> None:
    result = _upgrade(env)
    assert result.success and result.to_json()["unclean_stop"] == []
    assert not any("not shut down cleanly" in w or "slow stop" in w for w in _warnings(env))
    assert result.backup_id is not None and env.backups.get(result.backup_id).note == ""


def test_a_first_install_takes_no_backup_of_the_empty_deploy_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    env = Env(tmp_path)
    env.deploy = tmp_path / "fresh"
    env.deploy.mkdir()
    env.settings = replace(env.settings, deploy_dir=env.deploy)
    result = _upgrade(env)
    assert result.success and result.from_version is None, result
    assert result.backup_id is None and result.to_json()["backup_id"] is None
    assert env.backups.list() == []
    skipped = [e for e in env.events if isinstance(e, StepEvent) and e.state == "skipped"]
    assert [e.step.value for e in skipped] == ["CreatingBackup"]


def test_the_started_line_names_the_compose_project_not_the_deploy_dir(env: Env) -> None:
    _upgrade(env)
    started = [
        e.message
        for e in env.events
        if isinstance(e, LogEvent) and "containers started" in e.message
    ]
    assert started == ["🚀 containers started for project deploy-project"]
