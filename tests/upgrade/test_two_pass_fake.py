"""The upgrade with the pre-copy snapshot (the default), against FakeDocker: every path, fast.

Real files and a real snapshot on disk; tests/faults runs the same on a real engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fakes import FakeDocker
from tests.support.upgrade_env import NEW_FILES, Env, make_zip, restores_seen, tree, unhealthy_once
from tui_upgrader.core.errors import BackupError
from tui_upgrader.core.events import LogEvent, ProgressEvent, Step
from tui_upgrader.ops.backup.snapshot import MOUNT_SNAPSHOT, Snapshot, snapshot_root
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade.journal import read_journal


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    return Env(tmp_path, precopy=True)


def _logs(env: Env) -> str:
    return "\n".join(e.message for e in env.events if isinstance(e, LogEvent))


def _no_snapshot_left(env: Env) -> None:
    assert not snapshot_root(env.deploy).exists()
    assert not any(p.name == MOUNT_SNAPSHOT for p in env.deploy.glob("*/*"))
    assert read_journal(env.deploy) is None


def _new_version_writes_data(docker: FakeDocker, deploy: Path, mp: pytest.MonkeyPatch) -> None:
    """Its first start migrates data/ (as a real new release would)."""
    original = docker.up

    def up(project_dir: Path) -> None:
        if docker.called("up") == 0:
            (deploy / "data" / "db.txt").write_text("migrated by 1.1.0")
            (deploy / "data" / "v2.idx").write_text("new index")
        original(project_dir)

    mp.setattr(docker, "up", up)


def test_two_pass_upgrade_copies_before_the_stop_and_archives_after_the_commit(
    env: Env,
) -> None:
    pkg = env.tmp / "docker-x86_64.zip"
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert result.success, result
    logs = _logs(env)
    assert "pre-copy done" in logs and "final pass:" in logs
    assert "written and verified" in logs
    # The pre-copy ran before the stop, the archive after the new stack's gate.
    assert [(r.id, r.kind) for r in env.backups.list()] == [(result.backup_id, "pre-upgrade")]
    assert result.backup_id is not None
    assert env.backups.get(result.backup_id).status == "completed"
    assert result.downtime_s is not None and result.settle_s is not None
    assert any(
        isinstance(e, ProgressEvent) and e.step is Step.CREATING_BACKUP and e.label == "pre-copy"
        for e in env.events
    )
    history = read_state(env.deploy).history
    assert history[-1].backup_id == result.backup_id and not history[-1].rolled_back
    _no_snapshot_left(env)


def test_a_failed_upgrade_puts_data_back_from_the_snapshot_and_records_the_outage(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    restores = restores_seen(caplog)
    before = tree(env.deploy)
    unhealthy_once(env.docker, monkeypatch)
    _new_version_writes_data(env.docker, env.deploy, monkeypatch)
    pkg = env.tmp / "docker-x86_64.zip"
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert result.rolled_back and not result.success, result
    assert tree(env.deploy) == before
    assert "data/ put back from the pre-copy snapshot" in _logs(env)
    assert restores() == []  # no archive extracted
    assert result.downtime_s is not None and result.downtime_s >= 0
    state = read_state(env.deploy)
    assert str(state.version) == "1.0.0.0"
    assert state.history[-1].rolled_back and state.history[-1].downtime_s is not None
    assert result.to_json()["downtime_s"] is not None
    _no_snapshot_left(env)


def test_no_room_for_the_snapshot_takes_the_cold_path_with_one_line(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_room(self: Snapshot) -> list[object]:
        raise BackupError(f"not enough free space on the filesystem of {self.deploy_dir}")

    monkeypatch.setattr(Snapshot, "check_space", no_room)
    pkg = env.tmp / "docker-x86_64.zip"
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert result.success, result
    warning = [e.message for e in env.events if isinstance(e, LogEvent) and e.level == "warning"]
    assert any("takes the cold backup after the stop" in w for w in warning), warning
    assert "final pass" not in _logs(env)
    assert result.backup_id is not None
    _no_snapshot_left(env)


def test_a_cancel_during_the_precopy_stops_nothing_and_leaves_no_snapshot(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    cancel = threading.Event()
    original = Snapshot.precopy

    def cancelled_precopy(self: Snapshot, *args: object, **kwargs: object) -> object:
        cancel.set()
        return original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Snapshot, "precopy", cancelled_precopy)
    pkg = env.tmp / "docker-x86_64.zip"
    before = tree(env.deploy)
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)), cancel=cancel)
    assert not result.success and "cancel" in (result.error or "")
    assert env.docker.called("down") == 0
    assert tree(env.deploy) == before
    _no_snapshot_left(env)
