"""``tui-upgrader demo`` reopened after a crash: the interrupted upgrade is kept.

The real CLI on the real engine: ``demo --headless`` is SIGKILLed by the crash
hook while applying the update (stack stopped, journal written, its release
server gone with it). Reopened (``resume_demo``, as ``demo --resume``), the
TUI shows the interrupted-upgrade dialog first; plain ``demo --headless`` then
finds the demo as it was (journal, admin's data, config) and finishes the
upgrade instead of rebuilding it; ``demo --resume --headless`` after that
keeps the upgraded demo as it is.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

import docker
import pytest

from tests.support.engine import free_port, unique_name
from tests.support.tmux import demo_env, remove_demo
from tests.support.ui_drive import wait_until
from tui_upgrader.demo.session import resume_demo
from tui_upgrader.ops.fault_points import CRASH_HOOK_ENV
from tui_upgrader.ops.stack.real_docker import RealDocker
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade.journal import journal_path
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.launch import real_deps
from tui_upgrader.ui.screens.journal import JournalModal


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
async def test_demo_reopens_an_interrupted_upgrade_instead_of_resetting(
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

        # The TUI on the reopened demo: the interrupted-upgrade dialog comes first.
        session = resume_demo(RealDocker(project_name=project), root=root, say=lambda _t: None)
        try:
            assert session.settings.project_name == project
            app = UpgraderApp(
                real_deps(argparse.Namespace(), settings=session.settings, needs_setup=False)
            )
            async with app.run_test(size=(100, 30)) as pilot:
                await wait_until(pilot, lambda: isinstance(app.screen, JournalModal), timeout=30)
        finally:
            session.server.shutdown()
        assert journal_path(deploy).exists()  # left to recover below

        # Plain `demo` (no --resume) on it: reopened too, said in one line, and finished.
        resumed = _demo(tmp_path, *where)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert resumed.stdout.count("An upgrade was interrupted in this demo") == 1
        assert "Reopened the demo in" in resumed.stdout
        assert "Building the demo" not in resumed.stdout  # nothing was reset
        assert "interrupted" in resumed.stdout.lower()  # the journal was found and described
        assert note.read_text(encoding="utf-8").startswith("written between")
        assert not journal_path(deploy).exists()
        assert str(read_state(deploy).version) == "1.1.0.1"
        again = _demo(tmp_path, "--resume", *where)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "Building the demo" not in again.stdout
        assert str(read_state(deploy).version) == "1.1.0.1" and note.is_file()
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
