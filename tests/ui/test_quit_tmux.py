"""Quit and Ctrl+C in the critical section, in a real 80x24 terminal (issue #20 item 1).

The demo's upgrade is held at the start of StartingServices (the stack is
stopped) by the test pause hook, released by a file this test creates. While
it is held the admin quits and presses Ctrl+C twice; then the test checks what
really happened: the terminal came back at once with the one line that says
the job continues in this process, every interrupt was refused with that
line, the upgrade finished (exit code, installed version, ``docker compose
ps``, the log) and no traceback or false "nothing was stopped" was printed.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import docker
import pytest

from tests.support.tmux import Demo, Terminal, compose_ps, started_demo
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.state import read_state

pytestmark = pytest.mark.engine

HELD = "StartingServices"
CONTINUES = re.compile(r"the job continues in this process \(PID (\d+)\)")
REFUSED = "interrupts are refused. Follow it with: tail -f "


def _pause_env(release: Path) -> dict[str, str]:
    return {
        "TUI_UPGRADER_TEST_PAUSE_AT": HELD,
        "TUI_UPGRADER_TEST_PAUSE_UNTIL": str(release),
    }


def _wait_held(demo: Demo, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    needle = f"test pause hook holding at {HELD}"
    while not (demo.log.exists() and needle in demo.log.read_text(errors="replace")):
        if time.monotonic() > deadline:
            raise AssertionError(f"the upgrade never reached {HELD}:\n{demo.term.screen()}")
        time.sleep(0.05)  # poll interval of a deadline-bounded condition


def _wait_refused(term: Terminal, times: int) -> None:
    term.wait(f"{times} refusals", lambda _text: term.history().count(REFUSED) >= times)


def _wait_exit(demo: Demo, timeout: float = 120) -> int:
    deadline = time.monotonic() + timeout
    while (status := demo.term.exit_status()) is None:
        if time.monotonic() > deadline:
            # What still holds the terminal (the process, or a child it left behind).
            tty = demo.term.tmux("display-message", "-p", "-t", demo.term.session, "#{pane_tty}")
            every = subprocess.run(
                ["ps", "-eo", "pid,ppid,stat,tty,args"], capture_output=True, text=True, check=False
            ).stdout.splitlines()
            name = tty.strip().removeprefix("/dev/")
            ps = "\n".join(line for line in every if f" {name} " in line)
            raise AssertionError(f"the process did not end:\n{ps}\n{demo.term.history()}")
        time.sleep(0.05)
    return status


def _assert_finished(demo: Demo, printed: str) -> None:
    assert "Traceback" not in printed, printed
    assert "nothing was stopped" not in printed, printed
    assert read_state(demo.deploy).version == Version.parse("1.1.0.1")
    running = compose_ps(demo.deploy, demo.project)
    assert re.search(r"^web running$", running, re.M), running
    log = demo.log.read_text(errors="replace")
    assert "health gate passed" in log, log[-2000:]


def test_quit_then_ctrl_c_twice_while_the_stack_is_stopped(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    release = tmp_path / "release-the-pause"
    with started_demo(tmp_path, docker_client, extra_env=_pause_env(release)) as demo:
        term = demo.term
        term.wait_for("Release manifest", "Installed 1.0.0", "Offered 1.1.0.1", timeout=180)
        term.keys("Enter")
        term.wait_for("Strategy (dry run")
        term.keys("Enter")
        term.wait_for("Backups", "Ready: 1.0.0 → 1.1.0.1")
        term.keys("s")
        term.wait_for("Start the upgrade?")
        term.keys("y")
        _wait_held(demo)
        term.wait_for("critical section: cancel locked")

        term.keys("C-q")
        term.wait_for("Quit during the upgrade?")
        term.keys("y")
        # The terminal is back at once, with the line (the job is still held).
        term.wait("the terminal back", lambda _t: CONTINUES.search(term.history()) is not None)
        assert term.exit_status() is None
        pid = CONTINUES.search(term.history())
        assert pid is not None
        for presses in (1, 2):
            term.keys("C-c")
            _wait_refused(term, presses + 1)
        assert term.exit_status() is None  # still finishing, not killed

        release.touch()
        status = _wait_exit(demo)
        printed = term.history()
        assert status == 0, printed
        assert "tui-upgrader: Upgraded 1.0.0 → 1.1.0.1" in printed, printed
        assert f"tail -f {demo.log}" in printed
        _assert_finished(demo, printed)
        log = demo.log.read_text(errors="replace")
        assert "quit confirmed during the critical section" in log


def test_headless_ctrl_c_twice_while_the_stack_is_stopped(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    release = tmp_path / "release-the-pause"
    with started_demo(
        tmp_path, docker_client, extra_env=_pause_env(release), extra_args=["--headless"]
    ) as demo:
        term = demo.term
        _wait_held(demo)
        for presses in (1, 2):
            term.keys("C-c")
            _wait_refused(term, presses)
        assert CONTINUES.search(term.history()) is not None
        assert term.exit_status() is None
        release.touch()
        status = _wait_exit(demo)
        printed = term.history()
        assert status == 0, printed
        assert "Upgraded 1.0.0.0 -> 1.1.0.1." in printed, printed
        _assert_finished(demo, printed)
