"""The overall bar's arithmetic: byte weights, ETA, expected downtime from history."""

from __future__ import annotations

import pytest

from tui_upgrader.core.events import FORWARD_STEPS, Step
from tui_upgrader.core.overall import (
    FIXED_SHARE,
    OverallProgress,
    downtime_line,
    expected_downtime,
    overall_line,
)

MIB = 1024 * 1024


def run(package: int = 100 * MIB, past: tuple[float, ...] = ()) -> OverallProgress:
    return OverallProgress(FORWARD_STEPS, package_bytes=package, past_downtimes=past)


def test_nothing_done_is_zero_and_every_step_done_is_one() -> None:
    p = run()
    assert p.fraction() == 0.0
    for step in FORWARD_STEPS:
        p.on_step(step, "started", 1.0)
        p.on_step(step, "finished", 2.0)
    assert p.fraction() == pytest.approx(1.0)


def test_the_download_moves_the_bar_by_its_share_of_the_bytes() -> None:
    p = run()
    p.on_step(Step.CHECKING_UPDATES, "finished", 0.0)
    p.on_step(Step.DOWNLOADING_UPDATE, "started", 0.0)
    p.on_progress(Step.DOWNLOADING_UPDATE, 50 * MIB, 100 * MIB)
    # three byte steps of ~100 MiB each plus seven fixed steps of 4 % each
    total = 3 * 100 + 7 * 100 * FIXED_SHARE
    expected = (100 * FIXED_SHARE + 50) / total
    assert p.fraction() == pytest.approx(expected)


def test_layer_bytes_replace_the_estimate_for_loading_images() -> None:
    p = run(package=10 * MIB)
    p.on_step(Step.LOADING_IMAGES, "started", 0.0)
    p.on_layer("app", "l1", 100 * MIB, 200 * MIB)
    p.on_layer("db", "l2", 0, 200 * MIB)
    assert p.weight(Step.LOADING_IMAGES) == 400 * MIB
    # 100 of 400 MiB loaded; the images dominate a 10 MiB package
    assert 0.2 < p.fraction() < 0.25
    p.on_layer("db", "l3", 5, None)  # a layer of unknown size: total unknown again
    assert p.weight(Step.LOADING_IMAGES) == 10 * MIB


def test_the_eta_needs_some_progress_and_then_scales_with_what_is_left() -> None:
    p = run()
    assert p.view(0.5).eta_s is None
    p.on_step(Step.DOWNLOADING_UPDATE, "started", 0.0)
    p.on_progress(Step.DOWNLOADING_UPDATE, 100 * MIB, 100 * MIB)
    view = p.view(10.0)
    assert view.eta_s == pytest.approx(10.0 * (1 - view.fraction) / view.fraction)


def test_expected_downtime_is_the_median_of_the_newest_five() -> None:
    assert expected_downtime([]) is None
    assert expected_downtime([None, None]) is None
    assert expected_downtime([100.0, 1.0, 2.0, 3.0, 4.0, 50.0]) == 3.0


def test_expected_downtime_shows_only_once_the_stop_is_near() -> None:
    p = run(past=(8.0, 12.0))
    p.on_step(Step.DOWNLOADING_UPDATE, "started", 0.0)
    assert p.view(1.0).expected_downtime_s is None
    p.on_step(Step.LOADING_IMAGES, "started", 2.0)
    assert p.view(2.0).expected_downtime_s == 10.0
    p.on_step(Step.STOPPING_SERVICES, "started", 3.0)
    view = p.view(5.0)
    assert view.down_s == 2.0
    assert view.eta_s is not None and view.eta_s >= 10.0 - 2.0
    assert downtime_line(view) == "Downtime 2 s of ~10 s expected"
    assert overall_line(view).startswith(f"{int(view.fraction * 100)}% · 5 s elapsed · ~")


def test_the_end_freezes_the_clock_and_fills_the_bar() -> None:
    p = run()
    p.on_step(Step.STOPPING_SERVICES, "started", 2.0)
    p.on_end(7.5)
    view = p.view(100.0)
    assert view.finished and view.fraction == 1.0 and view.eta_s is None
    assert view.elapsed_s == 7.5 and view.down_s == 5.5
    assert overall_line(view) == "100% · 7.5 s elapsed"
    assert downtime_line(view) == "Downtime 5.5 s"


def test_without_history_nothing_is_promised() -> None:
    p = run()
    p.on_step(Step.LOADING_IMAGES, "started", 0.0)
    assert downtime_line(p.view(0.2)) == ""
    assert overall_line(p.view(0.2)).endswith("estimating…")
    p.past_downtimes = (9.0,)
    assert downtime_line(p.view(0.3)) == "Expected downtime ~9 s (past upgrades here)"


def test_a_step_bigger_than_its_estimate_never_moves_the_bar_backwards() -> None:
    p = run(package=10 * MIB)
    p.on_step(Step.DOWNLOADING_UPDATE, "started", 0.0)
    p.on_progress(Step.DOWNLOADING_UPDATE, 10 * MIB, 10 * MIB)
    p.on_step(Step.DOWNLOADING_UPDATE, "finished", 1.0)
    before = p.view(1.0).fraction
    p.on_step(Step.LOADING_IMAGES, "started", 2.0)
    p.on_layer("app", "l1", 0, 500 * MIB)  # the images are 50 times the estimate
    assert p.fraction() < before
    assert p.view(2.0).fraction == before
    p.on_layer("app", "l1", 500 * MIB, 500 * MIB)
    assert p.view(3.0).fraction > before
