"""Layer rows: totals per image and overall, finished layers folded, live rows capped."""

from __future__ import annotations

from tui_upgrader.core.events import LayerEvent
from tui_upgrader.core.layer_table import LayerTable

MIB = 1024 * 1024


def test_thirty_layers_fold_into_a_handful_of_rows() -> None:
    table = LayerTable()
    for i in range(30):
        done = MIB if i < 18 else (MIB // 2 if i < 20 else 0)
        table.add(LayerEvent("app:2", f"layer{i:02d}", "loading", done, MIB))
    rows = table.rows(max_layer_rows=4)
    kinds = [r.kind for r in rows]
    assert kinds == ["total", "image", "layer", "layer", "layer", "layer", "more"]
    total, image = rows[0], rows[1]
    assert (total.done, total.total) == (19 * MIB, 30 * MIB)
    assert (image.layers_done, image.layers) == (18, 30)
    assert [r.label for r in rows[2:4]] == ["layer18", "layer19"]  # the live ones first seen
    assert rows[-1].label == "8 more layers waiting"


def test_totals_add_up_across_images_and_unknown_sizes_stay_unknown() -> None:
    table = LayerTable()
    table.add(LayerEvent("app", "a", "loading", 5, 10))
    table.add(LayerEvent("db", "b", "downloading", 3, 30))
    total = table.rows()[0]
    assert (total.label, total.done, total.total, total.layers) == ("2 images", 8, 40, 2)
    table.add(LayerEvent("db", "c", "downloading", 7, None))
    assert table.rows()[0].total is None
    assert table.rows()[0].done == 15


def test_a_layer_finished_without_a_size_counts_as_done() -> None:
    table = LayerTable()
    table.add(LayerEvent("app", "a", "extracting", 0, 0))
    rows = table.rows()
    assert [r.kind for r in rows] == ["total", "image"]
    assert rows[1].layers_done == 1
