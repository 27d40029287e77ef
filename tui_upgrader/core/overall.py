"""One figure for the whole operation: how far along, how long still, how long down.

Pure arithmetic over the events the engine emits and a monotonic clock; the
run model (``core.run_model``) feeds it on the job's thread and the progress
screen reads ``view`` on a timer.

Every step is weighted by the seconds it is expected to take, so the bar
moves at the pace of the clock through a whole run, the downtime included:

- a finished step weighs what it really took;
- a step that moves bytes weighs its bytes at its measured rate (a default
  rate until measured); before it reports a total, the package size stands in
  for the download, extraction and image loading;
- the steps of the downtime (stop, backup, apply, start, health gate) share
  this deploy dir's typical downtime (median of the recent upgrades here;
  ``DEFAULT_DOWNTIME_S`` on a first run);
- anything else weighs a few seconds.

Inside a step, progress is its bytes when it reports them, else the time it
has run against what it was expected to take (held below 100 % until it
ends). A job that failed or was cancelled never shows a full bar.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tui_upgrader.core.events import Step, StepState
from tui_upgrader.core.i18n import _

MIB = 1024 * 1024
# Bytes per second until a step measures its own rate.
DEFAULT_RATE = {
    Step.DOWNLOADING_UPDATE: 20 * MIB,
    Step.EXTRACTING_UPDATE: 100 * MIB,
    Step.LOADING_IMAGES: 60 * MIB,
    Step.CREATING_BACKUP: 80 * MIB,
    Step.RESTORING_BACKUP: 80 * MIB,
}
BYTE_STEPS = frozenset(DEFAULT_RATE)
# Steps whose bytes are not known before they report them: estimated from the package size.
ESTIMATED_FROM_PACKAGE = frozenset(
    {Step.DOWNLOADING_UPDATE, Step.EXTRACTING_UPDATE, Step.LOADING_IMAGES}
)
# Each downtime step's share of the expected downtime (the health gate is the longest).
DOWNTIME_SHARE = {
    Step.STOPPING_SERVICES: 0.2,
    Step.CREATING_BACKUP: 0.15,
    Step.APPLYING_UPDATE: 0.05,
    Step.STARTING_SERVICES: 0.2,
    Step.VERIFYING_SERVICES: 0.4,
}
DOWNTIME_STEPS = frozenset(DOWNTIME_SHARE)
DEFAULT_DOWNTIME_S = 20.0  # a first run: nothing measured here yet
OTHER_STEP_S = {Step.ROLLING_BACK: 20.0, Step.RESTORING_BACKUP: 10.0}
DEFAULT_STEP_S = 1.0
DEFAULT_BASE = 64 * MIB  # when the package size is unknown
MIN_RATE_WINDOW_S = 0.5  # a rate measured over less says nothing yet
HELD_BELOW = 0.9  # a step timed by the clock never shows done before it is
HISTORY_WINDOW = 5  # the newest downtimes that predict the next one


def expected_downtime(past: Iterable[float | None]) -> float | None:
    """Median of the newest recorded downtimes of this deploy dir, None without any."""
    known = [d for d in past if d is not None and d >= 0]
    if not known:
        return None
    return statistics.median(known[-HISTORY_WINDOW:])


@dataclass(frozen=True, slots=True)
class OverallView:
    fraction: float  # 0..1
    elapsed_s: float
    eta_s: float | None  # None: not running any more
    expected_downtime_s: float | None  # shown once the stop is near or under way
    down_s: float | None  # downtime so far, once the stop began
    finished: bool
    failed: bool = False  # ended without success: never a full bar


@dataclass(slots=True)
class _StepState:
    state: StepState | None = None
    done: int = 0
    total: int | None = None
    started: float | None = None
    ended: float | None = None


@dataclass(slots=True)
class OverallProgress:
    steps: tuple[Step, ...]
    package_bytes: int | None = None
    past_downtimes: Sequence[float | None] = ()
    started_at: float = 0.0
    _state: dict[Step, _StepState] = field(default_factory=dict)
    _layers: dict[tuple[str, str], tuple[int, int | None]] = field(default_factory=dict)
    _down_from: float | None = None
    _down_until: float | None = None
    _ended_at: float | None = None
    _downtime: float | None = None
    _success: bool = True
    _shown: float = 0.0
    _now: float = 0.0

    def __post_init__(self) -> None:
        self._state = {step: _StepState() for step in self.steps}

    # --- feeding -------------------------------------------------------------------

    def on_step(self, step: Step, state: StepState, now: float) -> None:
        entry = self._state.setdefault(step, _StepState())
        entry.state = state
        if state == "started":
            entry.started = now
        else:
            entry.ended = now
        if step is Step.STOPPING_SERVICES and state == "started" and self._down_from is None:
            self._down_from = now
        if step is Step.VERIFYING_SERVICES and state == "finished":
            self._down_until = now

    def on_progress(self, step: Step, done: int, total: int | None) -> None:
        entry = self._state.setdefault(step, _StepState())
        entry.done, entry.total = done, total

    def on_layer(self, image: str, layer: str, done: int, total: int | None) -> None:
        """Layer bytes count towards LoadingImages (all images together)."""
        self._layers[(image, layer)] = (done, total)
        entry = self._state.setdefault(Step.LOADING_IMAGES, _StepState())
        entry.done = sum(d if t is None else min(d, t) for d, t in self._layers.values())
        totals = [t for _, t in self._layers.values()]
        entry.total = sum(t for t in totals if t) if all(t is not None for t in totals) else None

    def on_end(self, now: float, downtime_s: float | None = None, *, success: bool = True) -> None:
        """The result arrived; ``downtime_s`` is the engine's own figure, when it has one."""
        self._ended_at = now
        self._success = success
        if self._down_from is not None and self._down_until is None:
            self._down_until = now
        self._downtime = downtime_s

    # --- reading ---------------------------------------------------------------------

    @property
    def base(self) -> int:
        return self.package_bytes if self.package_bytes else DEFAULT_BASE

    @property
    def typical_downtime(self) -> float:
        return expected_downtime(self.past_downtimes) or DEFAULT_DOWNTIME_S

    def _rate(self, step: Step, entry: _StepState) -> float:
        if entry.started is not None and entry.done > 0:
            end = entry.ended if entry.ended is not None else self._now
            if end - entry.started >= MIN_RATE_WINDOW_S:
                return max(1.0, entry.done / (end - entry.started))
        return float(DEFAULT_RATE[step])

    def _expected(self, step: Step, entry: _StepState) -> float:
        """Seconds the step is expected to take from its start to its end."""
        if entry.state in ("finished", "skipped", "failed") and entry.started is not None:
            return max(0.0, (entry.ended or entry.started) - entry.started)
        if entry.state == "skipped":
            return 0.0
        if step in BYTE_STEPS and entry.total:
            return entry.total / self._rate(step, entry)
        if step in DOWNTIME_SHARE:
            return self.typical_downtime * DOWNTIME_SHARE[step]
        if step in ESTIMATED_FROM_PACKAGE:
            return self.base / self._rate(step, entry)
        return OTHER_STEP_S.get(step, DEFAULT_STEP_S)

    def _in_step(self, entry: _StepState, expected: float) -> float:
        if entry.state is None:
            return 0.0
        if entry.state in ("finished", "skipped", "failed"):
            return 1.0
        if entry.total:
            return min(1.0, entry.done / entry.total)
        if entry.started is None or expected <= 0:
            return 0.0
        return min(HELD_BELOW, (self._now - entry.started) / expected)

    def _parts(self, now: float) -> list[tuple[float, float]]:
        """(expected seconds, fraction done) per step; a step past its time weighs more."""
        self._now = now
        parts = []
        for step in self.steps:
            if step is Step.COMPLETED:
                continue
            entry = self._state[step]
            expected = self._expected(step, entry)
            fraction = self._in_step(entry, expected)
            if entry.state == "started" and entry.started is not None and not entry.total:
                expected = max(expected, (now - entry.started) / HELD_BELOW)
            parts.append((expected, fraction))
        return parts

    def fraction(self, now: float | None = None) -> float:
        parts = self._parts(self._now if now is None else now)
        total = sum(w for w, _ in parts)
        if total <= 0:
            return 0.0
        return min(1.0, sum(w * f for w, f in parts) / total)

    def weight(self, step: Step) -> float:
        return self._expected(step, self._state.get(step) or _StepState())

    def _stop_near(self) -> bool:
        """The step right before the first downtime step has begun (or the stop has)."""
        if self._down_from is not None:
            return True
        for index, step in enumerate(self.steps):
            if step in DOWNTIME_STEPS:
                before = self.steps[index - 1] if index else None
                return before is not None and self._state[before].state is not None
        return False

    def view(self, now: float) -> OverallView:
        end = self._ended_at if self._ended_at is not None else now
        elapsed = max(0.0, end - self.started_at)
        ended = self._ended_at is not None
        parts = self._parts(end)
        total = sum(w for w, _ in parts)
        raw = min(1.0, sum(w * f for w, f in parts) / total) if total > 0 else 0.0
        if ended and self._success:
            raw = 1.0
        elif not ended:
            raw = min(raw, 0.99)  # full only when the engine says it succeeded
        # A step that turns out longer than expected grows the whole: the raw
        # fraction then drops. The bar holds still instead of going backwards.
        self._shown = max(self._shown, raw)
        expected = expected_downtime(self.past_downtimes) if self._stop_near() else None
        down = self._downtime
        if down is None and self._down_from is not None:
            until = self._down_until if self._down_until is not None else end
            down = max(0.0, until - self._down_from)
        eta = None if ended else sum(w * (1 - f) for w, f in parts)
        return OverallView(
            self._shown, elapsed, eta, expected, down, ended, ended and not self._success
        )


def _clock(seconds: float, *, running: bool = True) -> str:
    # Whole seconds under a minute while running: the line then changes once a
    # second; the final figures keep their tenths.
    from tui_upgrader.core.display import duration

    if running and seconds < 60:
        return _("{seconds} s").format(seconds=int(seconds))
    return duration(seconds)


def overall_line(view: OverallView) -> str:
    """``42% · 12 s elapsed · ~20 s left``"""
    running = not view.finished
    elapsed = _clock(view.elapsed_s, running=running)
    parts = [f"{int(view.fraction * 100)}%", _("{time} elapsed").format(time=elapsed)]
    if running:
        parts.append(
            _("~{time} left").format(time=_clock(view.eta_s))
            if view.eta_s is not None
            else _("estimating…")
        )
    elif view.failed:
        parts.append(_("did not complete"))
    return " · ".join(parts)


def downtime_line(view: OverallView) -> str:
    """``Downtime 3 s of ~8 s expected``, ``Expected downtime ~8 s ...`` or "" (nothing known)."""
    running = not view.finished
    if view.down_s is not None:
        text = _("Downtime {time}").format(time=_clock(view.down_s, running=running))
        if view.expected_downtime_s is not None and running:
            text += _(" of ~{time} expected").format(time=_clock(view.expected_downtime_s))
        return text
    if view.expected_downtime_s is not None:
        return _("Expected downtime ~{time} (past upgrades here)").format(
            time=_clock(view.expected_downtime_s)
        )
    return ""
