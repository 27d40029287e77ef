"""After the stop, nothing may leave the stack down unreported.

FakeDocker + the real backup store + real files, like test_runner_fake.py. Covers:
an event sink that dies (BrokenPipeError from ``--json | head``), a full disk
under the journal, a rollback that cannot bring the old stack back, secrets in
container output, and an unverified package.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import shutil
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.support.upgrade_env import NEW_FILES, Env, make_zip, restores_seen, tree, unhealthy_once
from tui_upgrader.core.errors import BackupError, HealthGateError
from tui_upgrader.core.events import Emit, Event, LogEvent, ServiceEvent, Step, StepEvent
from tui_upgrader.ops import logsetup
from tui_upgrader.ops.state import read_state, record_upgrade
from tui_upgrader.ops.upgrade import recovery, runner
from tui_upgrader.ops.upgrade._internal import commit_or_rollback as after_stop
from tui_upgrader.ops.upgrade._internal import steps as steps_module
from tui_upgrader.ops.upgrade.journal import Journal, read_journal, write_journal
from tui_upgrader.ops.upgrade.plan import Ports
from tui_upgrader.ops.upgrade.recovery import recover

ADMIN_SECRET = "admin-value"  # OLD_FILES' .env: SECRET=admin-value


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    return Env(tmp_path)


def _upgrade(env: Env, emit: Emit | None = None, files: dict[str, str] = NEW_FILES) -> Any:
    pkg = env.tmp / "p.zip"
    manifest = env.manifest("1.1.0", pkg, make_zip(pkg, files))
    if emit is None:
        return env.run(manifest)
    from tui_upgrader.core.arch import Arch
    from tui_upgrader.core.strategy import Deployment, decide
    from tui_upgrader.ops.upgrade.plan import UpgradePlan
    from tui_upgrader.ops.upgrade.runner import run_upgrade

    current = read_state(env.deploy).version
    decision = decide(current, manifest, Deployment(current, True), Arch.X86_64)
    plan = UpgradePlan(env.settings, manifest, decision)
    return run_upgrade(plan, Ports(env.docker, env.backups), emit, threading.Event())


class DyingSink:
    """Records events until ``after`` is seen, then fails every call like a closed pipe."""

    def __init__(self, after: StepEvent) -> None:
        self.after = after
        self.events: list[Event] = []
        self.dead = False
        self.calls_after_death = 0

    def __call__(self, event: Event) -> None:
        if self.dead:
            self.calls_after_death += 1
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")
        self.events.append(event)
        if event == self.after:
            self.dead = True


def _sink_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "event output failed" in r.getMessage()]


# --- (1a) the event sink dies after the stop -----------------------------------------


def test_a_dead_event_sink_after_the_stop_does_not_stop_the_upgrade(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    sink = DyingSink(StepEvent(Step.STOPPING_SERVICES, "finished"))
    result = _upgrade(env, sink)
    assert result.success, result
    assert str(read_state(env.deploy).version) == "1.1.0.0"
    assert env.docker.running and read_journal(env.deploy) is None
    assert sink.calls_after_death == 1, "after the first failure events are dropped"
    assert len(_sink_warnings(caplog)) == 1, "logged once"
    assert "BrokenPipeError" in _sink_warnings(caplog)[0].getMessage()


def test_a_dead_event_sink_during_a_rollback_still_rolls_back(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    before = tree(env.deploy)
    unhealthy_once(env.docker, monkeypatch)
    sink = DyingSink(StepEvent(Step.VERIFYING_SERVICES, "started"))
    result = _upgrade(env, sink)
    assert result.rolled_back and result.rollback_healthy is True and result.exit_code == 1
    assert tree(env.deploy) == before
    assert env.docker.running and read_journal(env.deploy) is None
    assert len(_sink_warnings(caplog)) == 1


# --- (1b) a full disk under the journal ----------------------------------------------


def _full_disk_when(monkeypatch: pytest.MonkeyPatch, failing: Any) -> None:
    real = write_journal

    def write(deploy: Path, journal: Journal) -> None:
        if failing(journal):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(deploy, journal)

    monkeypatch.setattr(after_stop, "write_journal", write)


def test_full_disk_on_the_journal_after_the_stop_rolls_back_all_the_same(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(env.deploy)
    _full_disk_when(
        monkeypatch,
        lambda j: j.step is Step.APPLYING_UPDATE or j.extra.get(after_stop.ROLLING_BACK),
    )
    result = _upgrade(env)
    assert result.rolled_back and result.exit_code == 1, result
    assert "No space left on device" in (result.error or "")
    assert tree(env.deploy) == before
    assert env.docker.running, "the old stack is started again"
    assert str(read_state(env.deploy).version) == "1.0.0.0"
    warnings = [e for e in env.events if isinstance(e, LogEvent) and e.level == "warning"]
    assert any("could not record the rollback" in e.message for e in warnings)


def test_full_disk_on_the_commit_record_rolls_back(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(env.deploy)
    _full_disk_when(monkeypatch, lambda j: j.committed)
    result = _upgrade(env)
    assert result.rolled_back and not result.success, result
    assert tree(env.deploy) == before
    assert str(read_state(env.deploy).version) == "1.0.0.0"
    assert env.docker.running and read_journal(env.deploy) is None


def test_a_failed_cleanup_after_the_commit_is_reported_and_recover_finishes_it(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:

    def full_disk(*_a: object, **_k: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(after_stop, "record_upgrade", full_disk)
    result = _upgrade(env)
    assert not result.success and not result.rolled_back and result.exit_code == 1
    assert "recover --resume" in (result.error or "")
    journal = read_journal(env.deploy)
    assert journal is not None and journal.committed
    assert env.docker.running, "the new, healthy stack keeps running"
    monkeypatch.setattr(after_stop, "record_upgrade", record_upgrade)
    done = recover(env.settings, Ports(env.docker, env.backups), "resume", env.events.append)
    assert done.success
    assert str(read_state(env.deploy).version) == "1.1.0.0"


def test_full_disk_on_the_stop_record_changes_nothing(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(env.deploy)
    real = write_journal

    def write(deploy: Path, journal: Journal) -> None:
        if journal.stack_stopped:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(deploy, journal)

    monkeypatch.setattr(runner, "write_journal", write)
    result = _upgrade(env)
    assert not result.success and not result.rolled_back and result.exit_code == 1
    assert env.docker.called("down") == 0 and env.docker.running
    assert tree(env.deploy) == before
    assert read_journal(env.deploy) is None


# --- (1c) a rollback that cannot complete ---------------------------------------------


def test_a_rollback_that_cannot_finish_is_exit_3_with_the_command_to_run(env: Env) -> None:
    env.docker.fail["up"] = "engine refused to start containers"
    result = _upgrade(env)
    assert result.exit_code == 3 and not result.success
    assert not result.rolled_back, "rolled_back is true only when the files were put back"
    error = result.error or ""
    assert "\n" not in error
    assert error.startswith("upgrade failed: ")
    assert "rollback failed: " in error and "the stack may be down" in error
    assert "tui-upgrader recover --rollback" in error
    assert f"#{result.backup_id}" in error
    assert ("RollingBack", "failed") in env.steps()
    assert read_journal(env.deploy) is not None, "recover --rollback has a journal to work from"
    # ... and that command does finish the job once the cause is gone
    del env.docker.fail["up"]
    done = recover(env.settings, Ports(env.docker, env.backups), "rollback", env.events.append)
    assert done.rolled_back and done.rollback_healthy is True
    assert str(read_state(env.deploy).version) == "1.0.0.0"
    assert read_journal(env.deploy) is None


def test_any_unexpected_error_after_the_stop_is_the_worst_case_not_a_crash(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("bug in the rollback")

    monkeypatch.setattr(runner, "finish_upgrade", broken)
    result = _upgrade(env)
    assert result.exit_code == 3 and not result.success
    assert "RuntimeError: bug in the rollback" in (result.error or "")
    assert "the stack may be down" in (result.error or "")
    assert "tui-upgrader recover --rollback" in (result.error or "")
    assert env.events[-1] is result


# --- (2) the old stack back but not healthy ---------------------------------------------


def test_unhealthy_old_stack_fails_the_rollback_step_and_says_so(env: Env) -> None:
    env.docker.healthy = False  # the new stack and the restored one both fail their gate
    result = _upgrade(env)
    assert result.exit_code == 3
    assert not result.rolled_back, "rolled_back means a whole rollback, as exit 1 does"
    assert result.rollback_healthy is False
    assert result.put_back[0] == "the files, compose file and .env of 1.0.0.0"
    assert len(result.not_restored) == 1
    assert result.not_restored[0].startswith("the old stack was put back but is not healthy: ")
    assert ("RollingBack", "failed") in env.steps()
    assert ("RollingBack", "finished") not in env.steps()
    error = result.error or ""
    assert error.startswith("upgrade failed: services not healthy")
    assert "; rollback failed: the old stack was put back but is not healthy: " in error


def test_data_not_restored_fails_the_rollback_step(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    unhealthy_once(env.docker, monkeypatch)

    def broken_restore(*_a: object, **_k: object) -> None:
        raise BackupError("backup archive unreadable")

    monkeypatch.setattr(env.backups, "restore_archive", broken_restore)
    result = _upgrade(env)
    assert result.exit_code == 3 and not result.rolled_back
    assert ("RollingBack", "failed") in env.steps()
    assert ("RestoringBackup", "failed") in env.steps()
    error = result.error or ""
    assert "rollback failed: data/ could not be restored" in error
    assert f"backup restore {result.backup_id} --data-only" in error
    # What is back is said as plainly as what is not, and nothing claims more.
    assert result.put_back == (
        "the files, compose file and .env of 1.0.0.0",
        "the old image tags",
        "the old stack running and healthy on data/ as it was left",
    )
    assert error.endswith("put back: " + ", ".join(result.put_back))
    assert result.rollback_healthy is True


def test_an_old_journal_without_the_archive_fields_restores_data_by_id(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    restores = restores_seen(caplog)
    before = tree(env.deploy)
    _killed_after_the_stop(env, monkeypatch)
    path = env.deploy / ".tui-upgrader" / "journal.json"
    raw = json.loads(path.read_text())
    for key in ("backup_archive", "backup_sha256", "backup_catalogue"):
        assert raw.pop(key), f"the journal names the backup's {key}"
    path.write_text(json.dumps(raw))
    result = recover(env.settings, Ports(env.docker, env.backups), "rollback", env.events.append)
    assert result.rolled_back and result.exit_code == 0
    assert restores() == [f"restored backup 1 into {env.deploy} (data only: True)"]
    assert tree(env.deploy) == before


def test_an_old_journal_never_restores_another_deploy_dirs_backup_by_id(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    restores = restores_seen(caplog)
    _killed_after_the_stop(env, monkeypatch)
    path = env.deploy / ".tui-upgrader" / "journal.json"
    raw = json.loads(path.read_text())
    for key in ("backup_archive", "backup_sha256", "backup_catalogue"):
        raw.pop(key)
    path.write_text(json.dumps(raw))
    env.backups.catalogue.update(1, deploy_dir=str(env.tmp / "another-stack"))
    result = recover(env.settings, Ports(env.docker, env.backups), "rollback", env.events.append)
    assert result.exit_code == 3 and not result.rolled_back
    assert "is of another deploy dir" in (result.error or "")
    assert restores() == []


def test_a_moved_archive_is_found_by_id_only_when_its_hash_matches(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    restores = restores_seen(caplog)
    _killed_after_the_stop(env, monkeypatch)
    journal = read_journal(env.deploy)
    assert journal is not None and journal.backup_archive is not None
    Path(journal.backup_archive).rename(env.tmp / "elsewhere.tar")
    env.backups.catalogue.update(1, archive_path=env.tmp / "elsewhere.tar", sha256="0" * 64)
    result = recover(env.settings, Ports(env.docker, env.backups), "rollback", env.events.append)
    assert result.exit_code == 3 and not result.rolled_back
    assert "is another backup" in (result.error or "")
    assert restores() == []


def test_a_clean_rollback_still_reads_as_one(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    unhealthy_once(env.docker, monkeypatch)
    result = _upgrade(env)
    assert result.rolled_back and result.rollback_healthy and result.exit_code == 1
    assert ("RollingBack", "finished") in env.steps()
    assert "rollback failed" not in (result.error or "")


# --- recovery: the same rules ------------------------------------------------------------


class Killed(BaseException):
    pass


def _killed_after_the_stop(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    def hook(name: str) -> None:
        if name == Step.STARTING_SERVICES.value:
            raise Killed(name)

    monkeypatch.setattr(steps_module, "crash_point", hook)
    with pytest.raises(Killed):
        _upgrade(env)
    monkeypatch.setattr(steps_module, "crash_point", lambda name: None)


def test_recovery_with_a_dead_event_sink_still_rolls_back(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    before = tree(env.deploy)
    _killed_after_the_stop(env, monkeypatch)

    def closed_pipe(_event: Event) -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    result = recover(env.settings, Ports(env.docker, env.backups), "rollback", closed_pipe)
    assert result.rolled_back and result.rollback_healthy
    assert tree(env.deploy) == before and env.docker.running
    assert read_journal(env.deploy) is None
    assert len(_sink_warnings(caplog)) == 1


def test_recovery_with_a_full_disk_still_rolls_back(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = tree(env.deploy)
    _killed_after_the_stop(env, monkeypatch)
    _full_disk_when(monkeypatch, lambda j: True)
    result = recover(env.settings, Ports(env.docker, env.backups), "rollback", env.events.append)
    assert result.rolled_back and result.exit_code == 0, "the rollback asked for is done"
    assert tree(env.deploy) == before and env.docker.running


def test_an_unexpected_error_in_recovery_is_the_worst_case_not_a_crash(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    _killed_after_the_stop(env, monkeypatch)

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("bug in the rollback")

    monkeypatch.setattr(recovery, "rollback", broken)
    result = recover(env.settings, Ports(env.docker, env.backups), "rollback", env.events.append)
    assert result.exit_code == 3 and not result.success
    assert "the stack may be down" in (result.error or "")
    assert "tui-upgrader recover --rollback" in (result.error or "")
    assert env.events[-1] is result


# --- (3) secrets in container output -------------------------------------------------------


def _leaky_gate(env: Env, monkeypatch: pytest.MonkeyPatch, secrets: list[str]) -> None:
    """The new stack prints secrets from its environment and fails its gate; the
    old one passes."""
    calls = {"n": 0}

    def gate(project_dir: Path, *, emit: Emit, **_k: object) -> None:
        calls["n"] += 1
        if calls["n"] > 1:
            return
        said = " ".join(secrets)
        emit(ServiceEvent("app", "unhealthy", f"check failed: token {said}"))
        emit(LogEvent("error", f"app | connecting to postgres://app:{said}@db failed"))
        logging.getLogger("tui_upgrader.ops.stack._internal.health").error(
            "app | env dump %s", said
        )
        raise HealthGateError(f"services not healthy: app: exited (exit 3); last logs: {said}")

    monkeypatch.setattr(env.docker, "wait_healthy", gate)


@pytest.fixture
def file_log(tmp_path: Path, restored_logging: None) -> Path:
    """The real log file of setup_logging (the logger is put back afterwards)."""
    config = tmp_path / "config.toml"
    config.write_text(f'log_dir = "{tmp_path / "logs"}"\ndeploy_dir = "{tmp_path / "deploy"}"\n')
    return logsetup.setup_logging(argparse.Namespace(config=config))


def test_secrets_of_the_live_and_the_staged_env_are_masked_everywhere(
    env: Env, monkeypatch: pytest.MonkeyPatch, file_log: Path
) -> None:
    (env.deploy / ".env").write_text(f'SECRET={ADMIN_SECRET}\nQUOTED="quoted pass phrase"\n')
    staged_only = "release-token-4711"
    files = {**NEW_FILES, ".env": f"SECRET=release-default\nNEW_TOKEN={staged_only}\n"}
    secrets = [ADMIN_SECRET, "quoted pass phrase", staged_only]
    _leaky_gate(env, monkeypatch, secrets)
    result = _upgrade(env, files=files)
    assert result.rolled_back and result.exit_code == 1
    shown = repr(env.events) + (result.error or "") + file_log.read_text()
    for secret in secrets:
        assert secret not in shown, secret
    assert "last logs: *** *** ***" in (result.error or ""), "the output is there, masked"
    assert "postgres://app:*** *** ***@db" in repr(env.events)


# --- (5) an unverified package ---------------------------------------------------------------


def test_an_unverified_package_is_announced_as_such_never_as_verified(env: Env) -> None:
    env.settings = replace(env.settings, allow_unverified=True)
    pkg = env.tmp / "p.zip"
    make_zip(pkg, NEW_FILES)
    result = env.run(env.manifest("1.1.0", pkg, None))
    assert result.success, result
    logs = [e for e in env.events if isinstance(e, LogEvent)]
    assert not any("verified: sha256" in e.message for e in logs)
    (warning,) = [e for e in logs if "NOT verified" in e.message]
    assert warning.level == "warning"
    assert "no sha256" in warning.message and "allow_unverified" in warning.message


# --- data/ that the failed version removed is still restored ----------------------------


def test_rollback_restores_data_the_failed_version_deleted(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = env.docker.wait_healthy

    def migrate_badly_then_fail(*args: object, **kwargs: object) -> None:
        first = env.docker.called("wait_healthy") == 0
        if first:
            shutil.rmtree(env.deploy / "data")  # a botched migration
        env.docker.healthy = not first
        original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(env.docker, "wait_healthy", migrate_badly_then_fail)

    result = _upgrade(env)

    assert not result.success and result.rolled_back and result.exit_code == 1
    assert (env.deploy / "data" / "db.txt").read_text() == "precious data"
    assert ("RestoringBackup", "finished") in env.steps()
