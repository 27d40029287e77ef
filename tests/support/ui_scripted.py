"""A scripted engine for the UI tests: event sequences, a stand-in runner, and a
way to feed a progress screen on the UI thread with a frozen clock."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from tui_upgrader.core.errors import CancelledError
from tui_upgrader.core.events import (
    FORWARD_STEPS,
    Emit,
    Event,
    LayerEvent,
    LogEvent,
    ProgressEvent,
    ResultEvent,
    ServiceEvent,
    Step,
    StepEvent,
)
from tui_upgrader.core.i18n import _
from tui_upgrader.core.stages import Stage, stage_event
from tui_upgrader.core.trust import SIGNED_TARGETS
from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.deps import FrozenClock


def step_events(steps: Sequence[Step], state: str = "finished") -> list[Event]:
    out: list[Event] = []
    for step in steps:
        out.append(StepEvent(step, "started"))
        out.append(StepEvent(step, state))  # type: ignore[arg-type]
    return out


def download_events(total: int = 46 << 20) -> list[Event]:
    return [ProgressEvent(Step.DOWNLOADING_UPDATE, done, total, "x86_64.zip")
            for done in (0, total // 4, total // 2, total)]  # fmt: skip


def layer_events(done_fraction: float = 1.0) -> list[Event]:
    out: list[Event] = []
    for image, layers in (
        ("demo/app:1.5.0", (("a3f1c2d4e5b6", 8 << 20), ("77be01c9d0aa", 24 << 20))),
        ("demo/worker:1.5.0", (("c0ffee123456", 6 << 20),)),
    ):
        for layer, size in layers:
            out.append(LayerEvent(image, layer, "loading", int(size * done_fraction), size))
    return out  # fmt: skip


URL = "http://127.0.0.1:8765/releases/1.5.0/x86_64.zip"
SHA = "3f" * 32


def happy_events(result: ResultEvent) -> list[Event]:
    ev: list[Event] = [
        StepEvent(Step.CHECKING_UPDATES, "started"),
        stage_event(Stage.STRATEGY_BEGIN, current="1.4.2", target="1.5.0"),
        stage_event(Stage.STRATEGY_FULL, reason="1.4.2 -> 1.5.0 changes the release"),
        StepEvent(Step.CHECKING_UPDATES, "finished"),
        StepEvent(Step.DOWNLOADING_UPDATE, "started"),
        stage_event(Stage.DOWNLOAD_START, url=URL, size="46.0 MiB"),
        stage_event(Stage.DOWNLOAD_RESUME, offset=12582912, url=URL),
        stage_event(Stage.DOWNLOAD_META, path="/var/cache/x86_64.zip.part.json"),
    ]
    ev += [
        *download_events(),
        stage_event(
            Stage.DOWNLOAD_DONE, size="46.0 MiB", sha256=SHA, verified_by=_(SIGNED_TARGETS)
        ),
        StepEvent(Step.DOWNLOADING_UPDATE, "finished"),
    ]
    ev += [
        *step_events([Step.EXTRACTING_UPDATE]),
        StepEvent(Step.LOADING_IMAGES, "started"),
        stage_event(Stage.LOAD_EXEC, tar="app.tar", size="32.0 MiB"),
    ]
    ev += [
        *layer_events(),
        stage_event(Stage.LOAD_PARSED, names="demo/app:1.5.0"),
        StepEvent(Step.LOADING_IMAGES, "finished"),
    ]
    ev += [
        StepEvent(Step.STOPPING_SERVICES, "started"),
        stage_event(Stage.STOPPED, services="app, worker"),
        StepEvent(Step.STOPPING_SERVICES, "finished"),
        StepEvent(Step.CREATING_BACKUP, "started"),
        stage_event(Stage.BACKUP_DONE, backup_id=5, path="/var/lib/backups/0005.tar.zst"),
        StepEvent(Step.CREATING_BACKUP, "finished"),
        *step_events([Step.APPLYING_UPDATE]),
        StepEvent(Step.STARTING_SERVICES, "started"),
        stage_event(Stage.STARTED, project="demo"),
        StepEvent(Step.STARTING_SERVICES, "finished"),
    ]
    ev += [
        StepEvent(Step.VERIFYING_SERVICES, "started"),
        ServiceEvent("app", "starting", _("health check pending")),
        ServiceEvent("app", "healthy"),
        ServiceEvent("worker", "running"),
        stage_event(Stage.HEALTH_OK, waited="2.4 s", services="app, worker"),
        StepEvent(Step.VERIFYING_SERVICES, "finished"),
    ]
    ev += [
        *step_events(FORWARD_STEPS[9:]),
        stage_event(Stage.UPGRADE_DONE, from_version="1.4.2", to_version="1.5.0"),
        result,
    ]
    return ev


def rollback_events(result: ResultEvent) -> list[Event]:
    ev = happy_events(result)
    cut = ev.index(StepEvent(Step.VERIFYING_SERVICES, "started")) + 1
    return [
        *ev[:cut],
        ServiceEvent("app", "restarting", _("{count} restarts").format(count=2), restarts=2),
        ServiceEvent("app", "unhealthy", "healthcheck: connection refused", restarts=2),
        ServiceEvent("worker", "running"),
        stage_event(Stage.HEALTH_FAILED, reason="app: unhealthy (connection refused)"),
        StepEvent(Step.VERIFYING_SERVICES, "failed"),
        stage_event(Stage.ROLLBACK_START, reason="services not healthy: app"),
        StepEvent(Step.ROLLING_BACK, "started"),
        stage_event(Stage.ROLLBACK_ACTION, action=_("putting back the previous files")),
        stage_event(Stage.ROLLBACK_ACTION, action=_("restoring the previous image tags")),
        LogEvent(
            "warning", _("could not stop the new containers cleanly: {exc}").format(exc="timeout")
        ),
        stage_event(Stage.ROLLBACK_ACTION, action=_("starting the previous stack")),
        ServiceEvent("app", "healthy"),
        stage_event(Stage.ROLLBACK_DONE, version="1.4.2"),
        StepEvent(Step.ROLLING_BACK, "finished"),
        result,
    ]


SUCCESS = ResultEvent(
    success=True,
    from_version="1.4.2.0",
    to_version="1.5.0.0",
    backup_id=5,
    rolled_back=False,
    error=None,
    downtime_s=14.2,
)
ROLLED_BACK = ResultEvent(
    success=False,
    from_version="1.4.2.0",
    to_version="1.5.0.0",
    backup_id=5,
    rolled_back=True,
    error="services not healthy within 120 s: app",
    downtime_s=41.7,
    rollback_healthy=True,
    exit_code=1,
)


@dataclass
class ScriptedRunner:
    """A ``run_upgrade`` stand-in: emits ``events``; may hold before an event index."""

    events: list[Event]
    hold_at: int | None = None
    release: threading.Event = field(default_factory=threading.Event)
    holding: threading.Event = field(default_factory=threading.Event)
    plans: list[UpgradePlan] = field(default_factory=list)

    def __call__(
        self, plan: UpgradePlan, ports: Ports, emit: Emit, cancel: threading.Event
    ) -> ResultEvent:
        self.plans.append(plan)
        result = self.events[-1]
        assert isinstance(result, ResultEvent)
        for index, event in enumerate(self.events):
            if index == self.hold_at:
                self.holding.set()
                while not self.release.wait(0.02):
                    if cancel.is_set() and not _after_stop(self.events[:index]):
                        return _cancelled(emit)
            emit(event)
        return result


def _after_stop(events: Sequence[Event]) -> bool:
    return StepEvent(Step.STOPPING_SERVICES, "started") in events


def _cancelled(emit: Emit) -> ResultEvent:
    error = CancelledError("cancelled by the user before anything was stopped")
    emit(StepEvent(Step.LOADING_IMAGES, "failed"))
    result = ResultEvent(
        success=False,
        from_version="1.4.2.0",
        to_version="1.5.0.0",
        backup_id=None,
        rolled_back=False,
        error=str(error),
        exit_code=1,
    )
    emit(result)
    return result


# --- feeding a progress screen by hand (deterministic timing) ------------------------

STEP_SECONDS = {
    Step.CHECKING_UPDATES: 0.4,
    Step.DOWNLOADING_UPDATE: 2.0,
    Step.EXTRACTING_UPDATE: 3.1,
    Step.LOADING_IMAGES: 2.0,
    Step.STOPPING_SERVICES: 4.2,
    Step.CREATING_BACKUP: 6.3,
    Step.APPLYING_UPDATE: 0.8,
    Step.STARTING_SERVICES: 1.9,
    Step.VERIFYING_SERVICES: 1.0,
    Step.CLEANING_UP: 0.3,
    Step.ROLLING_BACK: 9.6,
}


def pace(event: Event) -> float:
    """Seconds of (frozen) time that pass before ``event`` arrives."""
    if isinstance(event, ProgressEvent | LayerEvent):
        return 2.5
    if isinstance(event, StepEvent) and event.state != "started":
        return STEP_SECONDS.get(event.step, 0.0)
    if isinstance(event, ServiceEvent):
        return 1.2
    return 0.0


def feed(app: UpgraderApp, events: Sequence[Event]) -> None:
    """Apply ``events`` to the active progress screen on the UI thread, advancing the clock."""
    from tui_upgrader.ui.screens.progress import ProgressScreen

    screen = app.screen
    assert isinstance(screen, ProgressScreen), screen
    clock = app.deps.clock
    assert isinstance(clock, FrozenClock)
    for event in events:
        clock.advance(pace(event))
        screen.apply_event(event)


def parked_runner() -> ScriptedRunner:
    """Emits nothing until released or cancelled: the test feeds the screen itself."""
    return ScriptedRunner([SUCCESS], hold_at=0)
