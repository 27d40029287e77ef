"""``tui-upgrader backup ...``: output shapes, confirmation, and the stack around it."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pty
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.support.backup_trees import make_tree, snapshot
from tests.support.fakes import FakeDocker
from tui_upgrader import cli
from tui_upgrader.commands.backup import execute
from tui_upgrader.core.errors import (
    BackupError,
    CancelledError,
    InputError,
    OperationError,
    UncleanStopError,
)
from tui_upgrader.core.stack import StopReport
from tui_upgrader.ops.backup.snapshot import snapshot_root
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade._internal.stop_mark import left_stopped
from tui_upgrader.ops.upgrade.backup_with_stop import create_backup
from tui_upgrader.ops.upgrade.journal import deploy_lock, new_journal, write_journal
from tui_upgrader.ops.upgrade.restore_with_stop import restore_backup

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(settings: Settings, tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'deploy_dir = "{settings.deploy_dir}"\ndata_dir = "{settings.data_dir}"\n')
    return path


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_upgrader", "--config", str(config), "backup", *args],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _args(action: str, backup_id: int | None = None, **flags: Any) -> argparse.Namespace:
    defaults = {
        "json": True,
        "yes": False,
        "data_only": False,
        "stop": False,
        "start": False,
        "note": "",
        "all": False,
        "other_deploy_dir": False,
    }
    return argparse.Namespace(action=action, id=backup_id, **{**defaults, **flags})


def _execute(
    args: argparse.Namespace,
    settings: Settings,
    store: BackupStore,
    docker: FakeDocker,
    stdin: Any = None,
) -> tuple[int, Any]:
    out = io.StringIO()
    code = execute(
        args,
        settings,
        store,
        docker,
        stdin=stdin or io.StringIO(),
        stdout=out,
        stderr=io.StringIO(),
    )
    return code, json.loads(out.getvalue())


def test_list_json_over_the_real_cli(config: Path, settings: Settings, store: BackupStore) -> None:
    empty = _cli(config, "list", "--json")
    assert empty.returncode == 0 and json.loads(empty.stdout) == {"backups": []}
    make_tree(settings.deploy_dir)
    made = store.create(settings.deploy_dir, kind="manual", version="1.4.2.3", note="hello")

    shown = _cli(config, "list", "--json")

    assert shown.returncode == 0, shown.stderr
    (entry,) = json.loads(shown.stdout)["backups"]
    assert entry == {
        "id": made.id,
        "created": made.created.isoformat(),
        "kind": "manual",
        "status": "completed",
        "version": "1.4.2.3",
        "from_version": None,
        "to_version": None,
        "deploy_dir": str(settings.deploy_dir),
        "archive_path": str(made.archive_path),
        "file_present": True,
        "size": made.size,
        "file_count": 9,
        "content_bytes": made.content_bytes,
        "codec": "zstd",
        "sha256": made.sha256,
        "note": "hello",
        "error": None,
        "finished": made.finished.isoformat() if made.finished else None,
    }
    text = _cli(config, "list")
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].split() == [
        "ID",
        "KIND",
        "VERSION",
        "CREATED",
        "SIZE",
        "STATUS",
        "FILE",
        "DEPLOY",
        "DIR",
    ]
    assert text.stdout.splitlines()[1].split()[:3] == [str(made.id), "manual", "1.4.2.3"]


def test_restore_without_a_terminal_or_yes_refuses(
    config: Path, settings: Settings, store: BackupStore
) -> None:
    make_tree(settings.deploy_dir)
    made = store.create(settings.deploy_dir, kind="manual", version=None)
    (settings.deploy_dir / "app" / "run.sh").write_text("live")

    for action in ("restore", "delete"):
        proc = _cli(config, action, str(made.id))
        assert proc.returncode == 2, proc.stderr
        assert "needs confirmation: pass --yes (no terminal to ask on)" in proc.stderr
    assert (settings.deploy_dir / "app" / "run.sh").read_text() == "live"
    assert made.archive_path.exists()


def test_usage_errors_exit_2(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--config", str(config), "backup", "restore"]) == 2
    assert "give the backup ID" in capsys.readouterr().err
    assert cli.main(["--config", str(config), "backup", "list", "--data-only"]) == 2
    assert cli.main(["--config", str(config), "backup", "verify", "999"]) == 2


def test_create_refuses_a_running_stack_without_stop(
    settings: Settings, store: BackupStore
) -> None:
    make_tree(settings.deploy_dir)
    docker = FakeDocker(running=True)

    with pytest.raises(BackupError, match=r"is running \(app, worker\).*pass --stop") as caught:
        _execute(_args("create"), settings, store, docker)

    assert caught.value.exit_code == 1
    assert store.list() == []
    assert docker.called("down") == 0


def test_create_with_stop_stops_backs_up_and_starts_again(
    settings: Settings, store: BackupStore
) -> None:
    make_tree(settings.deploy_dir)
    docker = FakeDocker(running=True)

    code, out = _execute(_args("create", stop=True), settings, store, docker)

    assert code == 0
    assert out["stopped"] == ["app", "worker"] and out["restarted"] is True
    assert out["backup"]["status"] == "completed" and out["backup"]["kind"] == "manual"
    assert [c for c, _ in docker.calls] == [
        "running_services",
        "stop_checked",
        "down",
        "up",
        "wait_healthy",
    ]
    assert docker.running


def test_restore_stops_the_stack_first(settings: Settings, store: BackupStore) -> None:
    make_tree(settings.deploy_dir)
    made = store.create(settings.deploy_dir, kind="manual", version=None)
    docker = FakeDocker(running=True)
    seen: list[bool] = []
    original = store.restore

    def spying_restore(*a: Any, **kw: Any) -> None:
        seen.append(docker.running)
        original(*a, **kw)

    store.restore = spying_restore  # type: ignore[method-assign]

    code, out = _execute(_args("restore", made.id, yes=True), settings, store, docker)

    assert code == 0 and seen == [False]
    assert out == {
        "restored": made.id,
        "deploy_dir": str(settings.deploy_dir),
        "data_only": False,
        "stopped": ["app", "worker"],
        "started": False,
    }
    assert not docker.running  # not started again without --start

    _execute(_args("restore", made.id, yes=True, start=True), settings, store, docker)
    assert docker.running and docker.called("wait_healthy") == 1


def test_a_restore_whose_start_fails_says_the_restore_was_done(
    settings: Settings, store: BackupStore
) -> None:
    make_tree(settings.deploy_dir)
    (settings.deploy_dir / "compose.yaml").write_text("services: {app: {image: x}}\n")
    made = store.create(settings.deploy_dir, kind="manual", version=None)
    (settings.deploy_dir / "app" / "run.sh").write_text("changed after the backup")
    docker = FakeDocker(healthy=False)
    with pytest.raises(OperationError, match=f"backup {made.id} was restored into ") as caught:
        _execute(_args("restore", made.id, yes=True, start=True), settings, store, docker)
    assert "did not come up healthy: services not healthy" in caught.value.message
    assert caught.value.exit_code == 1
    assert (settings.deploy_dir / "app" / "run.sh").read_text() == "#!/bin/sh\necho hi\n"


def test_corrupt_backup_is_refused_before_the_stack_is_stopped(
    settings: Settings, store: BackupStore
) -> None:
    make_tree(settings.deploy_dir)
    made = store.create(settings.deploy_dir, kind="manual", version=None)
    data = bytearray(made.archive_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    made.archive_path.write_bytes(bytes(data))
    live = snapshot(settings.deploy_dir)
    docker = FakeDocker(running=True)

    with pytest.raises(BackupError, match="cannot be restored"):
        _execute(_args("restore", made.id, yes=True), settings, store, docker)

    assert "down" not in [c for c, _ in docker.calls] and docker.running
    assert snapshot(settings.deploy_dir) == live


def test_failed_restore_puts_the_stack_back(
    settings: Settings, store: BackupStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(settings.deploy_dir)
    made = store.create(settings.deploy_dir, kind="manual", version=None)
    live = snapshot(settings.deploy_dir)
    docker = FakeDocker(running=True)

    def full_disk(*_a: object, **_k: object) -> None:
        raise BackupError("restore: no space left on device; the deploy dir was not touched")

    monkeypatch.setattr(store, "restore", full_disk)
    with pytest.raises(BackupError, match="was not touched"):
        _execute(_args("restore", made.id, yes=True), settings, store, docker)

    assert [c for c, _ in docker.calls][-2:] == ["up", "wait_healthy"] and docker.running
    assert snapshot(settings.deploy_dir) == live


def _terminal(answer: str) -> Any:
    master, slave = pty.openpty()
    os.write(master, answer.encode())
    return os.fdopen(slave, "r"), master


@pytest.mark.parametrize("answer", ["y\n", "n\n"])
def test_confirmation_on_a_terminal(settings: Settings, store: BackupStore, answer: str) -> None:
    make_tree(settings.deploy_dir)
    made = store.create(settings.deploy_dir, kind="manual", version=None)
    stdin, master = _terminal(answer)
    try:
        if answer == "y\n":
            code, out = _execute(_args("delete", made.id), settings, store, FakeDocker(), stdin)
            assert code == 0 and out == {"deleted": made.id}
            assert store.list() == [] and not made.archive_path.exists()
        else:
            with pytest.raises(CancelledError, match="nothing was changed"):
                _execute(_args("delete", made.id), settings, store, FakeDocker(), stdin)
            assert [r.id for r in store.list()] == [made.id]
    finally:
        stdin.close()
        os.close(master)


def test_verify_json_and_exit_code(settings: Settings, store: BackupStore) -> None:
    make_tree(settings.deploy_dir)
    made = store.create(settings.deploy_dir, kind="manual", version=None)

    code, out = _execute(_args("verify", made.id), settings, store, FakeDocker())
    assert code == 0 and out["status"] == "ok" and out["actual_sha256"] == made.sha256

    made.archive_path.unlink()
    code, out = _execute(_args("verify", made.id), settings, store, FakeDocker())
    assert code == 1 and out["status"] == "missing"


def test_flags_that_do_not_apply_are_refused(settings: Settings, store: BackupStore) -> None:
    with pytest.raises(InputError, match="--stop only applies to `backup create`"):
        _execute(_args("restore", 1, stop=True), settings, store, FakeDocker())


def test_a_failed_restart_does_not_hide_the_backup_that_was_made(
    settings: Settings, store: BackupStore
) -> None:
    make_tree(settings.deploy_dir)
    docker = FakeDocker(running=True, fail={"wait_healthy": "app: unhealthy after 60 s"})
    out, err = io.StringIO(), io.StringIO()

    code = execute(
        _args("create", stop=True),
        settings,
        store,
        docker,
        stdin=io.StringIO(),
        stdout=out,
        stderr=err,
    )

    assert code == 1
    shown = json.loads(out.getvalue())
    (record,) = store.list()
    assert shown["backup"]["id"] == record.id and record.status == "completed"
    assert shown["restarted"] is False
    assert shown["restart_error"] == "app: unhealthy after 60 s"
    (warning,) = err.getvalue().splitlines()
    assert f"backup {record.id} was made" in warning and "unhealthy" in warning


def test_a_failed_backup_keeps_its_error_when_the_restart_fails_too(
    settings: Settings, store: BackupStore
) -> None:
    make_tree(settings.deploy_dir)
    docker = FakeDocker(running=True, fail={"up": "engine went away"})
    cancel = threading.Event()
    stop = docker.down

    def down_then_cancel(project_dir: Path) -> None:
        stop(project_dir)
        cancel.set()  # the admin's Ctrl+C lands once the stack is down

    docker.down = down_then_cancel  # type: ignore[method-assign]
    # The cold path: cancelled while the backup is written inside the stop. (A cancel
    # before the stop stops nothing and records nothing.)
    store = BackupStore(replace(settings, backup_precopy=False))

    with pytest.raises(CancelledError, match="cancelled"):
        create_backup(store, docker, settings.deploy_dir, stop=True, version=None, cancel=cancel)

    assert docker.called("up") == 1  # the restart was still tried
    (record,) = store.list()
    assert record.status == "failed"


@pytest.mark.parametrize("action", ["create", "restore"])
@pytest.mark.parametrize("upgrade", ["interrupted", "running"])
def test_backup_and_restore_keep_out_of_an_upgrade(
    config: Path,
    settings: Settings,
    store: BackupStore,
    capsys: pytest.CaptureFixture[str],
    action: str,
    upgrade: str,
) -> None:
    make_tree(settings.deploy_dir)
    made = store.create(settings.deploy_dir, kind="manual", version=None)
    if upgrade == "interrupted":
        write_journal(settings.deploy_dir, new_journal("full", "1.4.2.3", "1.5.0.0"))
        (settings.deploy_dir / "app" / "run.sh").write_text("half-applied")
    before = snapshot(settings.deploy_dir)
    backup_id = [str(made.id)] if action == "restore" else []
    argv = ["--config", str(config), "backup", action, *backup_id, "--json", "--yes"]

    with contextlib.ExitStack() as stack:
        if upgrade == "running":
            stack.enter_context(deploy_lock(settings.deploy_dir))  # what the upgrade holds
        code = cli.main(argv)

    assert code == 2
    (line,) = capsys.readouterr().err.splitlines()
    if upgrade == "interrupted":
        assert "was interrupted" in line and "`tui-upgrader recover --rollback`" in line
    else:
        assert f"another tui-upgrader (pid {os.getpid()})" in line
    assert [r.id for r in store.list()] == [made.id]
    assert snapshot(settings.deploy_dir) == before  # taking the lock writes nothing either


def test_backups_are_scoped_to_their_deploy_dir(
    config: Path, settings: Settings, store: BackupStore, tmp_path: Path
) -> None:
    """A typo'd --deploy-dir neither lists nor restores another deploy dir's backups."""
    make_tree(settings.deploy_dir)
    made = store.create(settings.deploy_dir, kind="manual", version="1.4.2.3")
    typo = tmp_path / "deploy-typo"

    mine = _cli(config, "list", "--json")
    assert [b["id"] for b in json.loads(mine.stdout)["backups"]] == [made.id]
    other = _cli(config, "--deploy-dir", str(typo), "list", "--json")
    assert other.returncode == 0 and json.loads(other.stdout) == {"backups": []}
    every = _cli(config, "--deploy-dir", str(typo), "list", "--all", "--json")
    assert [b["deploy_dir"] for b in json.loads(every.stdout)["backups"]] == [
        str(settings.deploy_dir)
    ]

    refused = _cli(config, "--deploy-dir", str(typo), "restore", str(made.id), "--yes")
    assert refused.returncode == 2, refused.stderr
    assert f"taken of {settings.deploy_dir}, not of {typo}" in refused.stderr
    assert "--other-deploy-dir" in refused.stderr
    assert not typo.exists()  # nothing was created or changed


def test_restoring_another_deploy_dirs_backup_needs_its_own_flag(
    settings: Settings, store: BackupStore, tmp_path: Path
) -> None:
    make_tree(settings.deploy_dir)
    made = store.create(settings.deploy_dir, kind="manual", version=None)
    elsewhere = tmp_path / "other"
    make_tree(elsewhere)
    (elsewhere / "app" / "run.sh").write_text("the other one")
    moved = Settings(deploy_dir=elsewhere, data_dir=settings.data_dir)
    docker = FakeDocker(running=False)

    with pytest.raises(InputError, match="add --other-deploy-dir"):
        _execute(_args("restore", made.id, yes=True), moved, store, docker)
    assert (elsewhere / "app" / "run.sh").read_text() == "the other one"

    args = _args("restore", made.id, yes=True, other_deploy_dir=True)
    code, out = _execute(args, moved, store, docker)
    assert code == 0 and out["deploy_dir"] == str(elsewhere)
    assert (elsewhere / "app" / "run.sh").read_text() != "the other one"


def test_command_line_paths_are_resolved_against_the_cwd_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = cli.parse_args(["--deploy-dir", "A", "--manifest", "rel/m.json", "backup", "create"])
    assert args.deploy_dir == tmp_path / "A"
    assert args.manifest == str(tmp_path / "rel" / "m.json")
    url = cli.parse_args(["--manifest", "https://example.invalid/m.json"])
    assert url.manifest == "https://example.invalid/m.json"


@pytest.mark.parametrize("precopy", [True, False], ids=["two-pass", "cold"])
def test_a_cancel_before_the_stop_stops_nothing_and_records_nothing(
    settings: Settings, precopy: bool
) -> None:
    make_tree(settings.deploy_dir)
    docker = FakeDocker(running=True)
    cancel = threading.Event()
    cancel.set()  # Ctrl+C while the pre-copy ran (or before it)
    store = BackupStore(replace(settings, backup_precopy=precopy))

    with pytest.raises(CancelledError, match="cancelled"):
        create_backup(store, docker, settings.deploy_dir, stop=True, version=None, cancel=cancel)

    assert docker.called("down") == 0
    assert store.list() == []
    assert not snapshot_root(settings.deploy_dir).exists()


KILLED = StopReport("db", "db-1", 137, 10.0, 10.2, killed=True)


def test_a_service_killed_by_the_stop_is_named_in_the_manual_backups_note(
    settings: Settings, store: BackupStore
) -> None:
    make_tree(settings.deploy_dir)
    docker = FakeDocker(running=True, stop_reports=[KILLED])

    made = create_backup(store, docker, settings.deploy_dir, stop=True, version=None, note="mine")

    note = store.get(made.record.id).note
    assert note.startswith("mine; crash-consistent: db (killed after its 10 s grace period")
    assert docker.called("stop_checked") == 1 and docker.called("up") == 1


def test_unclean_stop_refuse_makes_no_backup_and_starts_the_stack_again(
    settings: Settings,
) -> None:
    make_tree(settings.deploy_dir)
    docker = FakeDocker(running=True, stop_reports=[KILLED])
    store = BackupStore(replace(settings, unclean_stop="refuse"))

    with pytest.raises(UncleanStopError, match="db"):
        create_backup(store, docker, settings.deploy_dir, stop=True, version=None)

    assert store.list() == []
    assert docker.called("up") == 1  # as it was found: running
    assert left_stopped(settings.deploy_dir) == []
    assert not snapshot_root(settings.deploy_dir).exists()


def test_a_restore_goes_on_after_a_service_killed_by_its_stop(settings: Settings) -> None:
    """What the kill left is about to be replaced: named, never a refusal."""
    make_tree(settings.deploy_dir)
    store = BackupStore(replace(settings, unclean_stop="refuse"))
    made = create_backup(
        store, FakeDocker(running=False), settings.deploy_dir, stop=False, version=None
    )
    (settings.deploy_dir / "data" / "db" / "rows.sql").write_bytes(b"changed after the backup")
    lines: list[str] = []
    docker = FakeDocker(running=True, stop_reports=[KILLED])

    restore_backup(
        store,
        docker,
        made.record.id,
        settings.deploy_dir,
        data_only=False,
        start=False,
        emit=lambda e: lines.append(str(getattr(e, "message", ""))),
    )

    assert (
        settings.deploy_dir / "data" / "db" / "rows.sql"
    ).read_bytes() != b"changed after the backup"
    assert any("db (killed after" in line for line in lines), lines
