"""The real CLI upgrading a demo deploy dir against a given engine address."""

from __future__ import annotations

import os
import subprocess
import sys

from tui_upgrader.demo.releases import DemoLayout


def upgrade_demo(
    layout: DemoLayout, docker_host: str, *flags: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_HOST": docker_host, "TUI_UPGRADER_ARCH": "x86_64"}
    where = ["--deploy-dir", str(layout.deploy_dir), "--manifest", str(layout.manifest)]
    return subprocess.run(
        [sys.executable, "-m", "tui_upgrader", "upgrade", "--yes", *flags, *where],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
