"""The overall bar's arithmetic: byte weights, ETA, expected downtime from history."""

from __future__ import annotations

import pytest

from tui_upgrader.core.events import FORWARD_STEPS, Step
from tui_upgrader.core.overall import (
    DEFAULT_DOWNTIME_S,
    DEFAULT_RATE,
    DOWNTIME_SHARE,
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


def test_the_download_moves_the_bar_by_its_share_of_the_expected_time() -> None:
    p = run()
    p.on_step(Step.CHECKING_UPDATES, "started", 0.0)
    p.on_step(Step.CHECKING_UPDATES, "finished", 0.0)
    p.on_step(Step.DOWNLOADING_UPDATE, "started", 0.0)
    p.on_progress(Step.DOWNLOADING_UPDATE, 50 * MIB, 100 * MIB)
    download = p.weight(Step.DOWNLOADING_UPDATE)
    assert download == pytest.approx(100 * MIB / DEFAULT_RATE[Step.DOWNLOADING_UPDATE])
    assert p.fraction(0.0) == pytest.approx(
        0.5 * download / sum(p.weight(s) for s in FORWARD_STEPS if s is not Step.COMPLETED)
    )


def test_the_downtime_steps_share_this_deploy_dirs_typical_downtime() -> None:
    first = run()
    assert first.weight(Step.VERIFYING_SERVICES) == pytest.approx(
        DEFAULT_DOWNTIME_S * DOWNTIME_SHARE[Step.VERIFYING_SERVICES]
    )
    known = run(past=(40.0, 60.0))
    assert known.weight(Step.VERIFYING_SERVICES) == pytest.approx(
        50.0 * DOWNTIME_SHARE[Step.VERIFYING_SERVICES]
    )


def test_the_bar_moves_through_the_downtime_with_the_clock() -> None:
    p = run(package=1 * MIB, past=(20.0,))
    for step in FORWARD_STEPS[:4]:
        p.on_step(step, "started", 0.0)
        p.on_step(step, "finished", 1.0)
    p.on_step(Step.STOPPING_SERVICES, "started", 1.0)
    p.on_step(Step.STOPPING_SERVICES, "finished", 3.0)
    p.on_step(Step.CREATING_BACKUP, "started", 3.0)
    p.on_step(Step.CREATING_BACKUP, "finished", 5.0)
    p.on_step(Step.APPLYING_UPDATE, "started", 5.0)
    p.on_step(Step.APPLYING_UPDATE, "finished", 6.0)
    p.on_step(Step.STARTING_SERVICES, "started", 6.0)
    p.on_step(Step.STARTING_SERVICES, "finished", 10.0)
    p.on_step(Step.VERIFYING_SERVICES, "started", 10.0)
    seen = [p.view(t) for t in (10.0, 12.0, 14.0, 16.0)]
    fractions = [v.fraction for v in seen]
    assert fractions == sorted(fractions) and fractions[-1] > fractions[0] + 0.1
    assert all(v.fraction < 0.99 for v in seen)
    etas = [v.eta_s or 0.0 for v in seen]
    assert etas[0] > etas[-1] > 0  # an honest countdown, not "~0 s left" throughout


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


def test_without_history_no_downtime_is_promised() -> None:
    p = run()
    p.on_step(Step.LOADING_IMAGES, "started", 0.0)
    assert downtime_line(p.view(0.2)) == ""
    p.past_downtimes = (9.0,)
    assert downtime_line(p.view(0.3)) == "Expected downtime ~9 s (past upgrades here)"


def test_a_failed_run_keeps_its_bar_short_of_full() -> None:
    p = run()
    p.on_step(Step.CHECKING_UPDATES, "started", 0.0)
    p.on_step(Step.CHECKING_UPDATES, "finished", 1.0)
    p.on_end(2.0, success=False)
    view = p.view(5.0)
    assert view.failed and view.fraction < 1.0
    assert overall_line(view).endswith("did not complete")


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
