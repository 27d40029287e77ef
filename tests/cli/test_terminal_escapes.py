"""Terminal control sequences in a manifest never reach the terminal raw (#25).

An unsigned (or hostile but signed) manifest's strings are printed by
``check`` and the stage lines; ESC sequences in them could retitle the
terminal, clear the screen or fake a line. Everything a command prints goes
through one escaping stream, and the log file through the log filter.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.release_trees import write_tree
from tests.support.ui_release import release_files
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.state import DeployState, write_state

EVIL = "\x1b]0;owned\x07\x1b[2J\r\x9b"


def test_control_characters_in_a_manifest_are_escaped_in_check_and_the_log(
    tmp_path: Path,
) -> None:
    src = write_tree(tmp_path / "src", release_files("1.5.0"))
    store = tmp_path / "store"
    build_release(src, version=Version.parse("1.5.0"), out=store)
    manifest = json.loads((store / "manifest.json").read_text())
    for entry in (manifest["packages"]["full"], manifest["platforms"]["x86_64"]):
        entry["url"] = f"/1.5.0/docker{EVIL}-x86_64.zip"
    (store / "manifest.json").write_text(json.dumps(manifest))
    deploy = write_tree(tmp_path / "deploy", release_files("1.4.2"))
    write_state(deploy, DeployState(Version.parse("1.4.2")))
    log_dir = tmp_path / "log"
    config = tmp_path / "config.toml"
    config.write_text(
        f'manifest = "{store / "manifest.json"}"\ndeploy_dir = "{deploy}"\n'
        f'log_dir = "{log_dir}"\nallow_unsigned = true\n'
    )
    for args in (["check"], ["check", "--json"], ["fetch"]):
        proc = subprocess.run(
            [sys.executable, "-m", "tui_upgrader", "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={"TUI_UPGRADER_ARCH": "x86_64", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            check=False,
        )
        for stream in (proc.stdout, proc.stderr):
            assert not any(c in stream for c in "\x1b\x07\r\x9b"), (args, stream)
        if args == ["check"]:
            assert "docker\\x1b]0;owned\\x07" in proc.stdout, proc.stdout
    log = (log_dir / "tui-upgrader.log").read_text()
    assert not any(c in log for c in "\x1b\x07\r\x9b")
