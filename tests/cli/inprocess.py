"""Run the CLI in-process (``cli.main``) in a private world: HOME and the XDG dirs
under tmp, a deploy dir at 0.0.13, a config that allows unsigned and unverified
releases. ``run_cli`` also proves that nothing on disk changed (the log excepted)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui_upgrader.cli import main


def _tree(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath).is_relative_to(skip):
            continue
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p.is_relative_to(skip):  # the log file is the tool's own
                continue
            st = p.lstat()
            found[str(p)] = (st.st_size, st.st_mtime_ns)
    return found


def make_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var, sub in (("HOME", "home"), ("XDG_CONFIG_HOME", "cfg"), ("XDG_DATA_HOME", "data"),
                     ("XDG_CACHE_HOME", "cache"), ("XDG_STATE_HOME", "state")):  # fmt: skip
        monkeypatch.setenv(var, str(tmp_path / sub))
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    monkeypatch.delenv("TUI_UPGRADER_CONFIG", raising=False)
    deploy = tmp_path / "deploy"
    (deploy / ".tui-upgrader").mkdir(parents=True)
    (deploy / "docker-compose.yml").write_text("services: {}\n")
    (deploy / ".tui-upgrader" / "state.toml").write_text('version = "0.0.13"\n')
    (tmp_path / "u.toml").write_text(
        f'allow_unsigned = true\nallow_unverified = true\ndeploy_dir = "{deploy}"\n'
    )
    (tmp_path / "afile").write_text("x")
    return tmp_path


def run_cli(world: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    before = _tree(world, world / "state")
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    after = _tree(world, world / "state")
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    # The manifest under test is written by the test itself, before the run.
    assert not changed, (argv, sorted(changed)[:5])
    return code, err


def assert_refusal_shape(argv: list[str], code: int, err: str) -> None:
    assert code in (0, 2), (argv, code, err[:500])
    assert "Traceback" not in err, err[:500]
    lines = err.splitlines()
    if code == 2:
        assert len(lines) == 1, (argv, err[:500])
    assert all(len(line) < 2000 for line in lines), argv
