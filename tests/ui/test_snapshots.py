"""Snapshot tests of every screen at 80x24 and 120x36 (sync, deterministic).

Time is a FrozenClock, the runner is parked and the progress screen is fed
events on the UI thread, backup paths are relative to the test's tmp dir (its
cwd here), and the input cursor does not blink (conftest). The scenes live in
tests/support/ui_drive.py, shared with tests/make_screenshots.py. Regenerate
on purpose only:
``pytest tests/ui/test_snapshots.py --snapshot-update``, then look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.ui_drive import SCENES

SIZES = {"80x24": (80, 24), "120x36": (120, 36)}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scene", SCENES)
def test_screen(
    snap_compare: Callable[..., bool],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scene: str,
    size: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    the_scene = SCENES[scene]
    app = the_scene.build(tmp_path)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=the_scene.run_before)
