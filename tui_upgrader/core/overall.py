"""One figure for the whole operation: how far along, how long still, how long down.

Pure arithmetic over the events the engine emits and a monotonic clock; the
progress screen feeds it and renders what ``view`` returns.

Steps are weighted by what they move: the download by the package's bytes,
extraction by the bytes it writes, image loading by the images' bytes (all
layers of all images). Until a step reports its own total, it is estimated
from the package size, which is the best figure known before it runs (image
tars are most of a package). Steps that move no bytes (stop, apply, start,
health gate...) each weigh a small fixed share, so the bar still moves for them
without drowning the transfers.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tui_upgrader.core.events import Step, StepState
from tui_upgrader.core.i18n import _

BYTE_STEPS = frozenset(
    {
        Step.DOWNLOADING_UPDATE,
        Step.EXTRACTING_UPDATE,
        Step.LOADING_IMAGES,
        Step.CREATING_BACKUP,
        Step.RESTORING_BACKUP,
    }
)
# Steps whose bytes are not known before they report them: estimated from the
# package size. A backup's size is unrelated to the package: fixed weight until known.
ESTIMATED_FROM_PACKAGE = frozenset(
    {Step.DOWNLOADING_UPDATE, Step.EXTRACTING_UPDATE, Step.LOADING_IMAGES}
)
DOWNTIME_STEPS = frozenset(
    {
        Step.STOPPING_SERVICES,
        Step.CREATING_BACKUP,
        Step.APPLYING_UPDATE,
        Step.STARTING_SERVICES,
        Step.VERIFYING_SERVICES,
    }
)
FIXED_SHARE = 0.04  # of the package size, per step that moves no bytes
DEFAULT_BASE = 64 * 1024 * 1024  # when the package size is unknown
MIN_FRACTION_FOR_ETA = 0.03
MIN_ELAPSED_FOR_ETA = 1.0
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
    eta_s: float | None  # None: not enough seen yet to say
    expected_downtime_s: float | None  # shown once the stop is near or under way
    down_s: float | None  # downtime so far, once the stop began
    finished: bool


@dataclass(slots=True)
class _StepState:
    state: StepState | None = None
    done: int = 0
    total: int | None = None


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
    _shown: float = 0.0

    def __post_init__(self) -> None:
        self._state = {step: _StepState() for step in self.steps}

    # --- feeding -------------------------------------------------------------------

    def on_step(self, step: Step, state: StepState, now: float) -> None:
        entry = self._state.setdefault(step, _StepState())
        entry.state = state
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

    def on_end(self, now: float, downtime_s: float | None = None) -> None:
        """The result arrived; ``downtime_s`` is the engine's own figure, when it has one."""
        self._ended_at = now
        if self._down_from is not None and self._down_until is None:
            self._down_until = now
        self._downtime = downtime_s

    # --- reading ---------------------------------------------------------------------

    @property
    def base(self) -> int:
        return self.package_bytes if self.package_bytes else DEFAULT_BASE

    def weight(self, step: Step) -> float:
        entry = self._state.get(step)
        if step in BYTE_STEPS and entry is not None and entry.total:
            return float(entry.total)
        if step in ESTIMATED_FROM_PACKAGE:
            return float(self.base)
        return self.base * FIXED_SHARE

    def _step_fraction(self, step: Step) -> float:
        entry = self._state.get(step)
        if entry is None or entry.state is None:
            return 0.0
        if entry.state in ("finished", "skipped"):
            return 1.0
        if entry.total:
            return min(1.0, entry.done / entry.total)
        return 0.0

    def fraction(self) -> float:
        weights = {step: self.weight(step) for step in self.steps if step is not Step.COMPLETED}
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        done = sum(w * self._step_fraction(step) for step, w in weights.items())
        return min(1.0, done / total)

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
        # A step that reports more bytes than estimated grows the whole: the raw
        # fraction then drops. The bar holds still instead of going backwards.
        self._shown = max(self._shown, 1.0 if self._ended_at is not None else self.fraction())
        fraction = self._shown
        expected = expected_downtime(self.past_downtimes) if self._stop_near() else None
        down = self._downtime
        if down is None and self._down_from is not None:
            until = self._down_until if self._down_until is not None else end
            down = max(0.0, until - self._down_from)
        eta: float | None = None
        if (
            self._ended_at is None
            and fraction >= MIN_FRACTION_FOR_ETA
            and elapsed >= MIN_ELAPSED_FOR_ETA
        ):
            eta = elapsed * (1 - fraction) / fraction
        if self._ended_at is None and expected is not None and self._down_until is None:
            # The downtime still to come is better known from history than
            # from a byte rate that says nothing about a health gate.
            eta = max(eta or 0.0, expected - (down or 0.0))
        return OverallView(fraction, elapsed, eta, expected, down, self._ended_at is not None)


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
