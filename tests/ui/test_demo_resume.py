"""``tui-upgrader demo`` reopened after a crash: the interrupted upgrade is kept.

The real CLI on the real engine: ``demo --headless`` is SIGKILLed by the crash
hook while applying the update (stack stopped, journal written, its release
server gone with it); ``demo --resume --headless`` must find the demo as it
was (journal, admin's data, config) and finish the upgrade, not rebuild it.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import docker
import pytest

from tests.support.engine import free_port, unique_name
from tests.support.tmux import demo_env, remove_demo
from tui_upgrader.ops.fault_points import CRASH_HOOK_ENV
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade.journal import journal_path


def _demo(
    home: Path, *flags: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_upgrader", "demo", "--headless", *flags],
        capture_output=True,
        text=True,
        env=demo_env(home, extra or {}),
        timeout=300,
        check=False,
    )


@pytest.mark.engine
def test_demo_reopens_an_interrupted_upgrade_instead_of_resetting(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    project = unique_name("hdemo")
    root = tmp_path / "demo"
    deploy = root / "deploy"
    where = ("--dir", str(root), "--project", project)
    try:
        crashed = _demo(
            tmp_path, *where, "--port", str(free_port()), extra={CRASH_HOOK_ENV: "ApplyingUpdate"}
        )
        assert crashed.returncode == -9, crashed.stderr
        assert journal_path(deploy).exists()
        config = tomllib.loads((root / "config.toml").read_text(encoding="utf-8"))
        assert config["deploy_dir"] == str(deploy) and config["project_name"] == project
        note = deploy / "data" / "admin-note.txt"
        note.write_text("written between the crash and the reopening\n", encoding="utf-8")

        resumed = _demo(tmp_path, "--resume", *where)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert "Reopened the demo in" in resumed.stdout
        assert "Building the demo" not in resumed.stdout  # nothing was reset
        assert "interrupted" in resumed.stdout.lower()  # the journal was found and described
        assert note.read_text(encoding="utf-8").startswith("written between")
        assert not journal_path(deploy).exists()
        assert str(read_state(deploy).version) == "1.1.0.1"
        reopened = tomllib.loads((root / "config.toml").read_text(encoding="utf-8"))
        assert reopened["deploy_dir"] == str(deploy) and reopened["project_name"] == project
    finally:
        remove_demo(docker_client, deploy, project)


def test_resume_without_a_demo_is_one_line_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nodemo"
    done = _demo(tmp_path, "--resume", "--dir", str(missing))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "no demo to reopen" in lines[0]
    assert not missing.exists()


def test_plain_demo_reopens_only_a_demo_with_an_interrupted_upgrade(tmp_path: Path) -> None:
    from tui_upgrader.demo.releases import MARKER
    from tui_upgrader.demo.session import interrupted_demo

    root = tmp_path / "demo"
    (root / "deploy" / ".tui-upgrader").mkdir(parents=True)
    assert not interrupted_demo(root)  # no marker: not ours, never reopened
    (root / MARKER).write_text("demo\n", encoding="utf-8")
    assert not interrupted_demo(root)  # a demo, nothing interrupted: reset as today
    journal_path(root / "deploy").write_text("{}", encoding="utf-8")
    assert interrupted_demo(root)
