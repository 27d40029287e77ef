"""The one progress-rate rule shared by downloads, backups, the TUI and the printer."""

from __future__ import annotations

from tui_upgrader.core.throttle import RateGate


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_first_update_passes_then_one_per_interval_per_key() -> None:
    clock = Clock()
    gate = RateGate(0.5, clock)

    assert gate.allow("a")
    assert not gate.allow("a")
    assert gate.allow("b")  # keys are independent
    clock.t += 0.49
    assert not gate.allow("a")
    clock.t += 0.01
    assert gate.allow("a")


def test_a_final_update_always_passes_and_restarts_the_interval() -> None:
    clock = Clock()
    gate = RateGate(1.0, clock)
    gate.allow()

    assert gate.allow(final=True)
    clock.t += 0.9
    assert not gate.allow()
