"""The log dir and the state dirs through the real CLI (#25, #26 item 5): made
0700 one level at a time, refused when reached through a link or owned by
another user, and a dir that cannot be made is one line, exit 2, never a traceback."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

# sysfs refuses mkdir to everyone, root included (modes cannot make a dir
# unwritable for root, who runs the tests).
UNWRITABLE = Path("/sys/tui-upgrader-hleft-test")


def _run(tmp: Path, **dirs: Path) -> subprocess.CompletedProcess[str]:
    values = {"log_dir": tmp / "log", "data_dir": tmp / "data", "deploy_dir": tmp / "deploy"}
    values.update(dirs)
    config = tmp / "config.toml"
    config.write_text("".join(f'{key} = "{value}"\n' for key, value in values.items()))
    return subprocess.run(
        [sys.executable, "-m", "tui_upgrader", "--config", str(config), "backup", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "HOME": str(tmp / "home")},
    )


def _one_line_refusal(proc: subprocess.CompletedProcess[str], wanted: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("tui-upgrader: error: ") and wanted in proc.stderr, proc.stderr


def test_a_new_log_dir_is_made_private_level_by_level(tmp_path: Path) -> None:
    log = tmp_path / "a" / "b" / "log"
    proc = _run(tmp_path, log_dir=log)
    assert proc.returncode == 0, proc.stderr
    for level in (tmp_path / "a", tmp_path / "a" / "b", log):
        assert stat.S_IMODE(level.stat().st_mode) == 0o700, level
    assert stat.S_IMODE((log / "tui-upgrader.log").stat().st_mode) == 0o600


def test_a_log_dir_reached_through_a_symlink_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "link").symlink_to(elsewhere)
    proc = _run(tmp_path, log_dir=tmp_path / "link" / "log")
    _one_line_refusal(proc, "symbolic link")
    assert list(elsewhere.iterdir()) == [], "nothing is made through the link"


def test_a_log_dir_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("needs root to give the dir to another uid (CI runs as root)")
    log = tmp_path / "log"
    log.mkdir(mode=0o777)
    os.chown(log, 4242, 4242)
    _one_line_refusal(_run(tmp_path, log_dir=log), "owned by uid 4242")
    assert not (log / "tui-upgrader.log").exists()


@pytest.mark.parametrize("key", ["log_dir", "data_dir"])
def test_a_dir_that_cannot_be_made_is_one_line_exit_2(tmp_path: Path, key: str) -> None:
    assert not UNWRITABLE.exists()
    _one_line_refusal(_run(tmp_path, **{key: UNWRITABLE}), str(UNWRITABLE))
