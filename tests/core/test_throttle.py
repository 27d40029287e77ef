"""The one progress-rate rule shared by downloads, backups, the TUI and the printer."""

from __future__ import annotations

from tui_upgrader.core.throttle import RateGate


def test_first_update_passes_then_one_per_interval_per_key() -> None:
    now = [100.0]
    gate = RateGate(0.5, lambda: now[0])

    assert gate.allow("a")
    assert not gate.allow("a")
    assert gate.allow("b")  # keys are independent
    now[0] += 0.49
    assert not gate.allow("a")
    now[0] += 0.01
    assert gate.allow("a")


def test_a_final_update_always_passes_and_restarts_the_interval() -> None:
    now = [100.0]
    gate = RateGate(1.0, lambda: now[0])
    gate.allow()

    assert gate.allow(final=True)
    now[0] += 0.9
    assert not gate.allow()
