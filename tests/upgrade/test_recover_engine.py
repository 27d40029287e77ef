"""``recover`` on the real engine after a SIGKILL (#15).

- Run from another settings environment (its own config, data dir, HOME and
  XDG dirs, whose catalogue even holds a *different* backup under the same id),
  the rollback restores data/ from the archive the journal names.
- A rollback whose data/ restore fails is exit 3 and says what is and is not
  back, alike in text, in ``--json`` and in the TUI's start-up dialog.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support.engine_env import EngineEnv
from tests.support.ui_drive import ended, wait_until
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.fault_points import CRASH_HOOK_ENV
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade.journal import read_journal
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.launch import real_deps
from tui_upgrader.ui.screens.journal import JournalModal
from tui_upgrader.ui.screens.progress import ProgressScreen

pytestmark = pytest.mark.engine

RESULT_KEYS = {
    "type", "success", "from_version", "to_version", "backup_id", "rolled_back", "error",
    "unclean_stop", "downtime_s", "settle_s",
}  # fmt: skip


@pytest.fixture
def env(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[EngineEnv]:
    with EngineEnv.installed(tmp_path, docker_client) as e:
        yield e


def _data(deploy: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(deploy)): p.read_bytes()
        for p in sorted((deploy / "data").rglob("*"))
        if p.is_file()
    }


def _killed_while_the_new_stack_runs(env: EngineEnv) -> None:
    """SIGKILL once 1.1.0 is started, then data/ changed as a migrating release would."""
    store = env.tmp / "store110"
    build_release(env.layout.sources["1.1.0"], version=Version.parse("1.1.0"), out=store)
    # The cold path: these cases are about the pre-upgrade *archive* the journal names
    # (the two-pass path's snapshot recovery: tests/faults/test_kill_two_pass.py).
    env.write_config(store / "manifest.json", backup_precopy=False)
    code, _, _ = env.cli("upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: "StartingServices:end"})
    assert code == -signal.SIGKILL
    data = env.deploy / "data"
    victim = next(p for p in sorted(data.rglob("*")) if p.is_file())
    victim.write_bytes(b"migrated by 1.1.0\n")
    (data / "added-by-1.1.0").write_text("new\n")


def _other_environment(env: EngineEnv) -> dict[str, str]:
    """Another admin shell: its own config, data dir, HOME and XDG dirs; ``env.cli``
    uses its config from now on. Returns the process environment to run under."""
    other = env.tmp / "other"
    process_env = {
        "HOME": str(other / "home"),
        "XDG_CONFIG_HOME": str(other / "xdg-config"),
        "XDG_DATA_HOME": str(other / "xdg-data"),
        "XDG_STATE_HOME": str(other / "xdg-state"),
        "XDG_CACHE_HOME": str(other / "xdg-cache"),
    }
    values = {
        "deploy_dir": str(env.deploy),
        "project_name": env.project,
        "data_dir": str(other / "state"),
        "cache_dir": str(other / "cache"),
        "health_timeout_s": 40,
        "health_settle_s": 1,
    }
    other.mkdir()
    env.config = other / "config.toml"
    env.config.write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))
    return process_env


def test_recovery_under_other_settings_restores_data_from_the_journals_archive(
    env: EngineEnv,
) -> None:
    data_before = _data(env.deploy)
    tree_before = env.tree()
    _killed_while_the_new_stack_runs(env)
    journal = read_journal(env.deploy)
    assert journal is not None and journal.backup_id == 1
    assert journal.backup_archive and Path(journal.backup_archive).is_absolute()
    archive = Path(journal.backup_archive)
    assert journal.backup_sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert journal.backup_catalogue == str((env.tmp / "state" / "catalogue.sqlite3").resolve())
    assert _data(env.deploy) != data_before

    process_env = _other_environment(env)
    # The other catalogue holds a backup #1 too, of another deploy dir: by id alone,
    # recovery would have put that one's data/ in place.
    decoy = env.tmp / "decoy"
    (decoy / "data").mkdir(parents=True)
    (decoy / "data" / "decoy.txt").write_text("not this stack's data\n")
    code, events, err = env.cli(
        "backup", "create", "--json", "--deploy-dir", str(decoy), env=process_env
    )
    assert code == 0, err
    assert events[-1]["backup"]["id"] == journal.backup_id

    code, events, err = env.cli("recover", "--rollback", "--json", env=process_env)
    assert code == 0, err
    result = events[-1]
    assert set(result) == RESULT_KEYS
    assert result["rolled_back"] is True and result["error"] is None
    assert _data(env.deploy) == data_before, "data/ byte for byte from the journal's archive"
    assert env.tree() == tree_before
    assert str(read_state(env.deploy).version) == "1.0.0.0"
    assert all(c.status == "running" for c in env.containers().values())
    assert read_journal(env.deploy) is None


def _spoil_the_backup(env: EngineEnv) -> None:
    journal = read_journal(env.deploy)
    assert journal is not None and journal.backup_archive is not None
    with open(journal.backup_archive, "ab") as archive:
        archive.write(b"not what was hashed")


def _assert_data_left_as_it_was(env: EngineEnv, data_killed: dict[str, bytes]) -> None:
    assert _data(env.deploy) == data_killed, "a refused restore leaves data/ as it was"
    assert str(read_state(env.deploy).version) == "1.0.0.0"
    assert all(c.status == "running" for c in env.containers().values())


@pytest.mark.parametrize("mode", ["text", "json"])
def test_a_rollback_whose_data_restore_fails_is_exit_3_and_says_so(
    env: EngineEnv, mode: str
) -> None:
    _killed_while_the_new_stack_runs(env)
    data_killed = _data(env.deploy)
    _spoil_the_backup(env)
    if mode == "json":
        code, events, err = env.cli("recover", "--rollback", "--json")
        assert code == 3, err
        result = events[-1]
        assert set(result) == RESULT_KEYS
        assert result["success"] is False and result["rolled_back"] is False
        assert result["backup_id"] == 1
        error = result["error"]
    else:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui_upgrader",
                "recover",
                "--rollback",
                "--config",
                str(env.config),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "TUI_UPGRADER_ARCH": "x86_64"},
            timeout=300,
        )
        assert proc.returncode == 3, proc.stderr
        out = proc.stdout
        assert "[ FAILED] RollingBack" in out and "[ FAILED] RestoringBackup" in out
        assert "Rolled back to" not in out and "is healthy." not in out
        error = out.strip().splitlines()[-1]
        assert error.startswith("Upgrade failed: the upgrade was interrupted; rollback failed: ")
    assert "data/ could not be restored from backup #1" in error
    assert "put back: the files, compose file and .env of 1.0.0.0, the old image tags" in error
    assert "on data/ as it was left" in error
    _assert_data_left_as_it_was(env, data_killed)


async def test_the_tui_start_up_dialog_reports_a_failed_data_restore_as_exit_3(
    env: EngineEnv,
) -> None:
    _killed_while_the_new_stack_runs(env)
    data_killed = _data(env.deploy)
    _spoil_the_backup(env)
    app = UpgraderApp(real_deps(argparse.Namespace(config=env.config), needs_setup=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, JournalModal))
        journal = read_journal(env.deploy)
        assert journal is not None
        text = " ".join(str(w.render()) for w in app.screen.query(".dialog-line"))
        assert f"Pre-upgrade backup: #1, {journal.backup_archive}." in text
        await pilot.press("b")
        await wait_until(pilot, lambda: ended(app), timeout=120)
        screen = app.screen
        assert isinstance(screen, ProgressScreen) and screen.outcome is not None
        outcome = screen.outcome
        assert (outcome.tone, outcome.exit_code) == ("danger", 3)
        assert outcome.headline == "Recovery failed and the rollback failed too"
        lines = "\n".join(outcome.lines)
        assert "NOT restored: data/ could not be restored from backup #1" in lines
        assert "Put back: the files, compose file and .env of 1.0.0.0" in lines
        assert "Rolled back" not in outcome.headline and "passed its health gate" not in lines
        shown = str(screen.query_one("#result-lines").render())
        assert "NOT restored: data/" in shown
    _assert_data_left_as_it_was(env, data_killed)
