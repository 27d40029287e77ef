"""Columns line up by terminal cells in zh_CN: a CJK character takes two cells,
so rows padded with ``len`` would push every later column right."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.support.ui_drive import SCENES, painted
from tui_upgrader.core.cells import crop_left, fit, fit_right
from tui_upgrader.core.events import ServiceEvent
from tui_upgrader.core.layer_table import Row
from tui_upgrader.ui.widgets.layer_list import row_line
from tui_upgrader.ui.widgets.service_list import service_line


def _column(line: str, mark: str) -> int:
    """The cell where ``mark`` starts in ``line``."""
    return cell_len(line[: line.index(mark)])


def test_fit_counts_cells() -> None:
    assert fit("健康", 6) == "健康  " and cell_len(fit("健康", 6)) == 6
    assert cell_len(fit("不健康的服务", 5)) == 5  # cut, never wider
    assert fit_right("完成", 6) == "  完成"
    assert crop_left("仓库/镜像:1.1.0", 10) == "…像:1.1.0" + " " * (10 - cell_len("…像:1.1.0"))
    assert cell_len(crop_left("registry.example.org/web:1.1.0", 20)) == 20


@pytest.mark.usefixtures("zh_cn")
def test_layer_rows_align_with_cjk_phases() -> None:
    rows = [
        Row("layer", "a3f1c2d4e5b6", 10, 100, "loading"),
        Row("layer", "77be01c9d0aa", 50, 100, "extracting"),
        Row("layer", "c0ffee123456", 50, 100, "downloading"),
        Row("layer", "deadbeef0000", 0, 0, "loading"),
    ]
    lines = [row_line(row) for row in rows]
    assert "加载中" in lines[0] and "解压中" in lines[1]
    bars = {_column(line, "━") if "━" in line else _column(line, "╺") for line in lines}
    assert len(bars) == 1, lines
    image = row_line(Row("image", "仓库/很长的镜像名称/应用:1.5.0", 10, 100, layers=2))
    total = row_line(Row("total", "2 个镜像", 10, 100, layers=2))
    assert _column(image, "━") == _column(total, "━") == 21, (image, total)


@pytest.mark.usefixtures("zh_cn")
def test_service_rows_align_with_cjk_states() -> None:
    lines = [
        service_line(ServiceEvent("app", "healthy"), 4),
        service_line(ServiceEvent("worker", "restarting", restarts=2), 10),
        service_line(ServiceEvent("数据库", "unhealthy"), 12),
    ]
    assert "健康" in lines[0] and "重启中" in lines[1] and "不健康" in lines[2]
    assert len({_column(line, "重启 ") for line in lines}) == 1, lines


@pytest.mark.usefixtures("zh_cn")
@pytest.mark.parametrize(
    ("scene", "row_word", "column_mark"),
    [("progress", "加载中", "━"), ("result-rollback", "已等", "重启 ")],
)
async def test_the_progress_rows_align_at_80x24(
    tmp_path: Path, scene: str, row_word: str, column_mark: str
) -> None:
    the_scene = SCENES[scene]
    app = the_scene.build(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await the_scene.run_before(pilot)
        await pilot.pause()
        rows = [line for line in painted(app).splitlines() if row_word in line]
    assert len(rows) == 2, rows
    assert len({_column(line, column_mark) for line in rows}) == 1, rows
