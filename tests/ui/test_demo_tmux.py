"""The real ``tui-upgrader demo`` in a real terminal: tmux at 80x24, keys only.

The process is the installed console script (argument parsing, logging set-up,
the demo's release server, the real engine and compose), driven with
``send-keys`` and read with ``capture-pane``: what an admin on an 80x24 SSH
terminal sees, through a whole upgrade and a restore of its backup. Every wait
polls the screen until a deadline; nothing waits for a fixed time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support.tmux import ROWS, Demo, started_demo
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.state import read_state

pytestmark = pytest.mark.engine

OVERALL = re.compile(r"Overall (\d+)%")


@pytest.fixture
def demo(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[Demo]:
    with started_demo(tmp_path, docker_client) as running:
        yield running


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

    # --- every screen shows the state as it is now (#20 item 2) -----------------------
    term.keys("Enter")
    term.wait_for("Backups", "#1  pre-upgrade  1.0.0")
    term.keys("Escape")
    reloaded = term.wait_for("Release manifest", "Installed 1.0.0", timeout=60)
    assert "Installed 1.1.0.1" not in reloaded
