"""What a running job has said so far: the one place its progress lives.

The job's thread feeds every engine event in (``feed``); the progress screen
reads a ``RunSnapshot`` on a timer. Continuous figures (bytes, layers,
services, the overall bar) are only stored here, however fast they come: a
burst of a thousand byte counts costs the UI thread nothing until its next
tick, and then one read. Discrete events (a step, a log line) are what the
UI is told about as they happen; the end is told once, by the job thread.
No Textual here: the model is plain data behind a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tui_upgrader.core.events import (
    Event,
    LayerEvent,
    ProgressEvent,
    ResultEvent,
    ServiceEvent,
    Step,
    StepEvent,
)
from tui_upgrader.core.overall import OverallProgress, OverallView

# What the health gate says is the only source of "the services are up".
ServicesState = str  # "unknown" | "up" | "down" | "rolling-back"


@dataclass(frozen=True, slots=True)
class RunSnapshot:
    version: int  # grows with every event fed in; equal means nothing new
    transfer: ProgressEvent | None
    layers: tuple[LayerEvent, ...]
    services: tuple[ServiceEvent, ...]
    overall: OverallView
    services_state: ServicesState


class RunModel:
    def __init__(
        self,
        steps: tuple[Step, ...],
        monotonic: Callable[[], float],
        *,
        package_bytes: int | None = None,
        past_downtimes: Sequence[float | None] = (),
        services_state: ServicesState = "unknown",
    ) -> None:
        self._lock = threading.Lock()
        self._clock = monotonic
        self.overall = OverallProgress(
            steps, package_bytes=package_bytes, past_downtimes=past_downtimes
        )
        self.overall.started_at = monotonic()
        self._version = 0
        self._transfer: ProgressEvent | None = None
        self._layers: dict[tuple[str, str, str], LayerEvent] = {}
        self._services: dict[str, ServiceEvent] = {}
        self._services_state: ServicesState = services_state
        self.result: ResultEvent | None = None

    def feed(self, event: Event) -> None:
        """Any thread (the engine emits from helper threads too)."""
        now = self._clock()
        with self._lock:
            self._version += 1
            if isinstance(event, ProgressEvent):
                self._transfer = event
                self.overall.on_progress(event.step, event.done, event.total)
            elif isinstance(event, LayerEvent):
                self._layers[(event.image, event.layer, event.phase)] = event
                self.overall.on_layer(event.image, event.layer, event.done, event.total)
            elif isinstance(event, ServiceEvent):
                self._services[event.service] = event
            elif isinstance(event, StepEvent):
                self.overall.on_step(event.step, event.state, now)
                self._services_state = _services_after(self._services_state, event)
            elif isinstance(event, ResultEvent):
                self.end(event, now)

    def end(self, result: ResultEvent, now: float | None = None) -> None:
        """The job's result (fed by the engine or, if it raised, made by the job thread)."""
        if self.result is not None:
            return
        self.result = result
        if result.rolled_back:
            # The rollback's own gate: the old version is up only if it passed.
            self._services_state = "up" if result.rollback_healthy else "down"
        self.overall.on_end(
            self._clock() if now is None else now, result.downtime_s, success=result.success
        )

    def snapshot(self) -> RunSnapshot:
        now = self._clock()
        with self._lock:
            return RunSnapshot(
                self._version,
                self._transfer,
                tuple(self._layers.values()),
                tuple(self._services.values()),
                self.overall.view(now),
                self._services_state,
            )


def _services_after(state: ServicesState, event: StepEvent) -> ServicesState:
    """Only the engine's own verdicts move this: a stop, a passed gate, a rollback."""
    if event.step is Step.STOPPING_SERVICES and event.state == "started":
        return "down"
    if event.step is Step.ROLLING_BACK and event.state == "started":
        return "rolling-back"
    if event.step is Step.VERIFYING_SERVICES and event.state == "finished":
        return "up"
    if event.step is Step.VERIFYING_SERVICES and event.state == "failed":
        return "down"
    return state
