"""The TUI in Simplified Chinese at 80x24: CJK characters take two cells, so a
layout that fits in English can overflow or truncate. A snapshot of each
screen, plus checks that nothing spills past the edge or is cut off."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import Label
from textual.widgets._footer import FooterKey

from tests.support.ui_drive import SCENES
from tui_upgrader.ui.screens.progress import ProgressScreen
from tui_upgrader.ui.screens.strategy import StrategyScreen

SIZE = (80, 24)


@pytest.mark.usefixtures("zh_cn")
@pytest.mark.parametrize("scene", ["strategy", "strategy-patch", "progress"])
def test_zh_cn_snapshot(
    snap_compare: Callable[..., bool], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scene: str
) -> None:
    monkeypatch.chdir(tmp_path)  # as in test_snapshots.py: backup paths relative to it
    the_scene = SCENES[scene]
    assert snap_compare(
        the_scene.build(tmp_path), terminal_size=SIZE, run_before=the_scene.run_before
    )


@pytest.mark.usefixtures("zh_cn")
async def test_zh_cn_strategy_layout_fits_80x24(tmp_path: Path) -> None:
    scene = SCENES["strategy-patch"]
    app = scene.build(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await scene.run_before(pilot)
        screen = app.screen
        assert isinstance(screen, StrategyScreen)
        # Translated, not English: the footer, the title and the section headings.
        keys = {key.description: key for key in screen.query(FooterKey)}
        assert {"备份并开始", "返回"} <= set(keys)
        assert screen.title == "升级策略（演练：此处不做任何更改）"
        titles = [str(label.render()) for label in screen.query(".section-title").results(Label)]
        assert titles[:3] == ["原因", "警告", "计划"]
        # Nothing spills past the right edge, and no footer label is cut.
        for widget in screen.query("*"):
            if widget.display and widget.region.width:
                assert widget.region.right <= SIZE[0], widget
        for description, key in keys.items():
            assert key.region.width >= cell_len(description) + cell_len(key.key_display), key
        # One-line labels show their whole text (wide characters counted as two).
        for name in ("#strategy-version-line", "#strategy-subtitle"):
            label = screen.query_one(name, Label)
            assert label.region.width >= cell_len(str(label.render())), name
        # The plan wraps inside its column instead of needing a horizontal scroll.
        body = screen.query_one("#strategy-body")
        assert body.virtual_size.width <= body.size.width


@pytest.mark.usefixtures("zh_cn")
async def test_zh_cn_progress_layout_fits_80x24(tmp_path: Path) -> None:
    scene = SCENES["progress"]
    app = scene.build(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await scene.run_before(pilot)
        screen = app.screen
        assert isinstance(screen, ProgressScreen)
        keys = {key.description: key for key in screen.query(FooterKey)}
        assert {"取消", "日志"} <= set(keys)
        for widget in screen.query("*"):
            if widget.display and widget.region.width:
                assert widget.region.right <= SIZE[0], widget
                assert widget.region.bottom <= SIZE[1], widget
        for description, key in keys.items():
            assert key.region.width >= cell_len(description) + cell_len(key.key_display), key
        # One-line labels show their whole text (wide characters counted as two).
        for label in screen.query(Label):
            text = str(label.render())
            if label.display and label.region.width and "\n" not in text:
                assert label.region.width >= cell_len(text), (label, text)
