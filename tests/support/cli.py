"""``python -m tui_upgrader ARGS`` as a child process, as an admin's shell runs it."""

from __future__ import annotations

import os
import subprocess
import sys


def run_cli(
    *args: str, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["TUI_UPGRADER_ARCH"] = "x86_64"
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "tui_upgrader", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
