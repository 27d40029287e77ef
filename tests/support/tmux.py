"""The installed ``tui-upgrader`` in a real terminal: tmux at 80x24, keys only.

``Terminal`` drives a tmux session with ``send-keys`` and reads it with
``capture-pane``; ``start_demo`` runs ``tui-upgrader demo`` in one with a
clean environment. Every wait polls the screen until a deadline; nothing
waits for a fixed time.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import docker
import pytest

from tests.support.engine import free_port, unique_name

COLS, ROWS = 80, 24
EXIT_LINE = re.compile(r"^\[exit (\d+)\]$", re.M)
SCRIPT = Path(sys.executable).with_name("tui-upgrader")


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

    def history(self) -> str:
        """Everything the pane printed, wrapped lines joined (for text past the screen)."""
        return self.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", self.session)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.session, *keys)

    def exit_status(self) -> int | None:
        """The process's exit code once it has ended (``run_in_tmux`` prints it).

        Printed by a wrapper shell rather than read from tmux's pane_dead_status,
        which tmux 3.3 sometimes leaves empty for a pane that did die.
        """
        found = EXIT_LINE.findall(self.history())
        return int(found[-1]) if found else None

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


def need_tmux() -> None:
    if shutil.which("tmux") is None:
        reason = "tmux is not installed (scripts/setup_engine.sh installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@dataclass
class Demo:
    term: Terminal
    root: Path
    deploy: Path
    project: str
    home: Path

    @property
    def log(self) -> Path:
        return self.home / ".local" / "state" / "tui-upgrader" / "log" / "tui-upgrader.log"


def demo_env(home: Path, extra: Mapping[str, str] = {}) -> dict[str, str]:
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
    env.update(extra)
    return env


def run_in_tmux(term: Terminal, env: Mapping[str, str], argv: Sequence[str]) -> None:
    """A new session running ``argv`` (clean environment); the pane outlives the process.

    A shell waits for it and prints ``[exit N]``; its ``trap : INT`` keeps the
    shell alive through Ctrl+C without changing what the process gets (a
    caught signal is reset to the default in the child, unlike an ignored one).
    """
    wrapper = 'trap : INT; "$@"; echo "[exit $?]"'
    command = ["env", "-i", *(f"{k}={v}" for k, v in env.items()), "sh", "-c", wrapper, "sh"]
    command += argv
    term.tmux(
        "-f", "/dev/null", "new-session", "-d", "-s", term.session,
        "-x", str(COLS), "-y", str(ROWS), *command,
    )  # fmt: skip
    term.tmux("set-option", "-t", term.session, "remain-on-exit", "on")


@contextlib.contextmanager
def started_demo(
    tmp_path: Path,
    client: docker.DockerClient,
    *,
    extra_env: Mapping[str, str] = {},
    extra_args: Sequence[str] = (),
) -> Iterator[Demo]:
    need_tmux()
    project = unique_name("tuitmux")
    home = tmp_path / "terminal-home"
    home.mkdir(exist_ok=True)
    root = tmp_path / "demo"
    argv = [str(SCRIPT), "demo", "--dir", str(root), "--port", str(free_port())]
    argv += ["--project", project, *extra_args]
    term = Terminal(socket=unique_name("tuitmux-sock"))
    run_in_tmux(term, demo_env(home, extra_env), argv)
    try:
        yield Demo(term, root, root / "deploy", project, home)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            term.tmux("kill-server")
        remove_demo(client, root / "deploy", project)


def remove_demo(client: docker.DockerClient, deploy: Path, project: str) -> None:
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


def compose_ps(deploy: Path, project: str) -> str:
    """``docker compose ps`` of the demo's project: what really runs."""
    return subprocess.run(
        ["docker", "compose", "-p", project, "ps", "--format", "{{.Service}} {{.State}}"],
        cwd=deploy,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
