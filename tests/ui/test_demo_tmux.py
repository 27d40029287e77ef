"""The real ``tui-upgrader demo`` in a real terminal: tmux at 80x24, keys only.

The process is the installed console script (argument parsing, logging set-up,
the demo's release server, the real engine and compose), driven with
``send-keys`` and read with ``capture-pane``: what an admin on an 80x24 SSH
terminal sees, through a whole upgrade and a restore of its backup. Every wait
polls the screen until a deadline; nothing waits for a fixed time.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest

from tests.support.engine import free_port, unique_name
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.state import read_state

pytestmark = pytest.mark.engine

COLS, ROWS = 80, 24
SCRIPT = Path(sys.executable).with_name("tui-upgrader")
OVERALL = re.compile(r"Overall (\d+)%")


@dataclass
class Terminal:
    socket: str
    session: str = "demo"
    seen: list[str] = field(default_factory=list)

    def tmux(self, *args: str) -> str:
        run = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return run.stdout

    def screen(self) -> str:
        text = self.tmux("capture-pane", "-p", "-t", self.session)
        self.seen.append(text)
        return text

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def wait(self, what: str, check: Callable[[str], bool], timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if check(text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; the screen:\n{text}")
            # The poll interval of a deadline-bounded condition, not a synchronisation.
            time.sleep(0.03)

    def wait_for(self, *needles: str, timeout: float = 60) -> str:
        return self.wait(" and ".join(needles), lambda t: all(n in t for n in needles), timeout)


def _need_tmux() -> None:
    if shutil.which("tmux") is None:
        reason = "tmux is not installed (scripts/setup_engine.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@dataclass
class Demo:
    term: Terminal
    deploy: Path
    project: str


@pytest.fixture
def demo(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[Demo]:
    _need_tmux()
    project = unique_name("tuitmux")
    home = tmp_path / "terminal-home"
    home.mkdir()
    root = tmp_path / "demo"
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "COLORTERM": "truecolor",
    }
    for key in ("DOCKER_HOST", "DOCKER_CONFIG", "TUI_UPGRADER_ARCH"):
        if key in os.environ:
            env[key] = os.environ[key]
    command = [
        "env",
        "-i",
        *(f"{k}={v}" for k, v in env.items()),
        str(SCRIPT),
        "demo",
        "--dir",
        str(root),
        "--port",
        str(free_port()),
        "--project",
        project,
    ]
    term = Terminal(socket=unique_name("tuitmux-sock"))
    term.tmux(
        "-f", "/dev/null", "new-session", "-d", "-s", term.session,
        "-x", str(COLS), "-y", str(ROWS), *command,
    )  # fmt: skip
    term.tmux("set-option", "-t", term.session, "remain-on-exit", "on")
    try:
        yield Demo(term, root / "deploy", project)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            term.tmux("kill-server")
        _remove_demo(docker_client, root / "deploy", project)


def _remove_demo(client: docker.DockerClient, deploy: Path, project: str) -> None:
    """Only what this test created: its project's containers, network and images."""
    if deploy.is_dir():
        subprocess.run(
            ["docker", "compose", "-p", project, "down", "--timeout", "2"],
            cwd=deploy,
            capture_output=True,
            check=False,
        )
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith((f"{project}/", f"tui-upgrader/previous:{project}-")):
                with contextlib.suppress(docker.errors.DockerException):
                    client.images.remove(tag, force=True)


def overall_values(screens: list[str]) -> list[int]:
    return [int(m.group(1)) for text in screens for m in OVERALL.finditer(text)]


def test_demo_upgrade_and_restore_in_a_real_80x24_terminal(demo: Demo) -> None:
    term = demo.term
    term.wait_for("Release manifest", "Installed 1.0.0", "Offered 1.1.0.1", timeout=180)
    term.keys("Enter")
    term.wait_for("Strategy (dry run", "full")
    term.keys("Enter")
    term.wait_for("Backups", "Ready: 1.0.0 → 1.1.0.1 (full)")
    term.keys("s")
    term.wait_for("Start the upgrade?")
    term.keys("y")
    start = len(term.seen)

    # --- the progress screen, stage by stage ------------------------------------------
    term.wait_for("Upgrade 1.0.0 → 1.1.0.1 (full)", "Overall ")
    loading = term.wait(
        "the image layers",
        lambda t: "All 1 image" in t and "web:1.1.0 " in t,
        timeout=120,
    )
    assert "Load images" in loading
    loaded = term.wait(
        "every layer loaded",
        lambda t: (
            re.search(r"All 1 image\s+━+ 100%\s+(\d+)/\1 ", t) is not None or "Upgraded 1.0.0" in t
        ),
        timeout=120,
    )
    gate = term.wait(
        "the health gate's services",
        lambda t: re.search(r"web\s+\S+\s+restarts \d+\s+waited \d+ s", t) is not None,
        timeout=120,
    )
    assert "worker" in gate
    done = term.wait_for(
        "Upgraded 1.0.0 → 1.1.0.1", "Pre-upgrade backup #1.", "⏎ Continue", timeout=120
    )
    assert re.search(r"Overall 100% · [\d.]+ s elapsed\s", done), done
    assert re.search(r"Downtime [\d.]+ s\s", done), done

    during = term.seen[start:]
    values = overall_values(during)
    assert values == sorted(values), f"the overall bar went backwards: {values}"
    assert values[-1] == 100
    assert len({v for v in values if 0 < v < 100}) >= 2, values  # it moved on the way
    assert re.search(r"All 1 image\s+━+ 100%", loaded) or "Upgraded 1.0.0" in loaded
    # The log: timestamped stage lines, no echo of the step list.
    log_text = "\n".join(during)
    assert re.search(r"\d\d:\d\d:\d\d 📥 download starts: http://127\.0\.0\.1:", log_text)
    assert re.search(r"\d\d:\d\d:\d\d 💚 health gate passed", log_text)
    assert "▶ Check" not in log_text and "✔ Download" not in log_text
    for text in during:  # nothing drawn past the 80x24 terminal
        lines = text.rstrip("\n").split("\n")
        assert len(lines) <= ROWS
    assert read_state(demo.deploy).version == Version.parse("1.1.0.1")

    # --- restore the pre-upgrade backup -----------------------------------------------
    term.keys("Enter")
    term.wait_for("Release manifest", "Installed 1.1.0.1")
    term.keys("b")
    term.wait_for("Backups", "#1  pre-upgrade  1.0.0")
    term.keys("r")
    term.wait_for("Restore backup #1?")
    term.keys("y")
    restore_from = len(term.seen)
    term.wait_for("Restore backup #1", "Stop services")
    restored = term.wait_for("Restored backup #1; services are healthy", "⏎ Continue", timeout=120)
    assert re.search(r"Overall 100% · [\d.]+ s elapsed\s", restored), restored
    restore_log = "\n".join(term.seen[restore_from:])
    assert "🛑 stopping services" in restore_log or "🛑 containers stopped" in restore_log
    assert read_state(demo.deploy).version == Version.parse("1.0.0")
