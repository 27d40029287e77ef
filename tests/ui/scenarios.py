"""Demo-like, deterministic fixtures shared by the UI tests, snapshots and screenshots.

Everything time-based comes from a FrozenClock, plans are built with the real
``decide`` (no network), and the runner is scripted so a snapshot can be taken
at an exact point of an upgrade.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.fakes import FakeBackupRecord, FakeBackupStore, FakeDocker
from tui_upgrader.core.arch import Arch
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
from tui_upgrader.core.manifest import parse_manifest
from tui_upgrader.core.strategy import Deployment, decide
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.planning import Plan
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade_types import Ports, UpgradePlan
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.deps import FrozenClock, JournalLike, UiDeps

NOW = datetime(2026, 6, 4, 9, 30, tzinfo=UTC)
SOURCE = "http://127.0.0.1:8765/manifest.json"
SHA = "3f" * 32
NOTES = """\
## What's new in 1.5.0

- **Faster start-up**: the app container is ready in half the time.
- New `worker` service for background jobs.
- Config: `MAX_UPLOAD_MB` is now read from `.env` (default 64).

### Upgrade notes

The database schema changes; a pre-upgrade backup is made before the apply step.
"""


def manifest_doc(version: str = "1.5.0", **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "version": version,
        "release_date": "2026-06-01T10:00:00Z",
        "release_notes": NOTES,
        "packages": {"full": {"url": "/releases/1.5.0/full.zip", "hash": SHA, "size": 48 << 20}},
        "platforms": {
            "x86_64": {"url": f"/releases/{version}/x86_64.zip", "hash": f"sha256:{SHA}",
                       "size": 46 << 20},
            "aarch64": {"url": f"https://mirror.example.org/{version}/aarch64.zip",
                        "hash": "external", "size": 45 << 20},
        },
    }  # fmt: skip
    doc.update(extra)
    return doc


def patch_section(version: str) -> dict[str, Any]:
    return {
        "x86_64": {
            "url": f"/releases/{version}/patch-x86_64.zip",
            "hash": f"sha256:{SHA}",
            "size": 3 << 20,
            "notes": "hotfix for the upload limit",
            "operations": {
                "replace": {"files": ["app/server.js", "config/app.toml"], "directories": []},
                "delete": {"files": ["app/legacy.js"], "directories": []},
            },
        }
    }


def make_plan(installed: str | None = "1.4.2", doc: dict[str, Any] | None = None) -> Plan:
    manifest = parse_manifest(doc or manifest_doc())
    current = Version.parse(installed) if installed else None
    decision = decide(current, manifest, Deployment(current, installed is not None), Arch.X86_64)
    return Plan(manifest=manifest, decision=decision, source=SOURCE)


def patch_plan() -> Plan:
    return make_plan("1.5.0", manifest_doc("1.5.0.1", patch=patch_section("1.5.0.1")))


def blocked_plan() -> Plan:
    return make_plan("1.2.0", manifest_doc(min_version="1.4.0"))


BACKUPS_DIR = Path("/var/lib/tui-upgrader/backups")


def backup_records(root: Path = BACKUPS_DIR) -> list[FakeBackupRecord]:
    """A catalogue with fixed paths; ``exists`` says which archives are "on disk"."""

    def rec(
        i: int,
        days: float,
        kind: str,
        version: str,
        status: str = "completed",
        present: bool = True,
    ) -> FakeBackupRecord:
        path = root / f"{i:04d}-{kind}-{version}.tar.zst"
        size = 210_000_000 + i * 3_100_000
        created = NOW - timedelta(days=days)
        return FakeBackupRecord(i, created, kind, version, size, status, path, present)

    return [
        rec(1, 40, "manual", "1.3.0", present=False),
        rec(2, 12, "pre-upgrade", "1.4.0"),
        rec(3, 5.2, "pre-upgrade", "1.4.1", status="failed"),
        rec(4, 0.3, "manual", "1.4.2"),
    ]


# --- scripted engine ---------------------------------------------------------------


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


def happy_events(result: ResultEvent) -> list[Event]:
    ev: list[Event] = [
        *step_events(FORWARD_STEPS[:1]),
        StepEvent(Step.DOWNLOADING_UPDATE, "started"),
    ]
    ev += [*download_events(), StepEvent(Step.DOWNLOADING_UPDATE, "finished")]
    ev += [*step_events([Step.EXTRACTING_UPDATE]), StepEvent(Step.LOADING_IMAGES, "started")]
    ev += [*layer_events(), StepEvent(Step.LOADING_IMAGES, "finished")]
    ev += step_events(FORWARD_STEPS[4:8])
    ev += [
        StepEvent(Step.VERIFYING_SERVICES, "started"),
        ServiceEvent("app", "healthy"),
        ServiceEvent("worker", "running"),
        StepEvent(Step.VERIFYING_SERVICES, "finished"),
    ]
    ev += [*step_events(FORWARD_STEPS[9:]), LogEvent("info", "upgrade committed"), result]
    return ev  # fmt: skip


def rollback_events(result: ResultEvent) -> list[Event]:
    ev = happy_events(result)
    cut = ev.index(StepEvent(Step.VERIFYING_SERVICES, "started")) + 1
    return [
        *ev[:cut],
        ServiceEvent("app", "unhealthy", "healthcheck: connection refused"),
        ServiceEvent("worker", "running"),
        StepEvent(Step.VERIFYING_SERVICES, "failed"),
        LogEvent("error", "upgrade failed after the stop: app unhealthy; rolling back"),
        StepEvent(Step.ROLLING_BACK, "started"),
        ServiceEvent("app", "healthy"),
        StepEvent(Step.ROLLING_BACK, "finished"),
        result,
    ]


SUCCESS = ResultEvent(True, "1.4.2.0", "1.5.0.0", 5, False, None, downtime_s=14.2)
ROLLED_BACK = ResultEvent(False, "1.4.2.0", "1.5.0.0", 5, True,
                          "services not healthy within 120 s: app", downtime_s=41.7,
                          rollback_healthy=True, exit_code=1)  # fmt: skip


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
    result = ResultEvent(False, "1.4.2.0", "1.5.0.0", None, False, str(error), exit_code=1)
    emit(result)
    return result


@dataclass
class FakeJournal:
    step: Step = Step.APPLYING_UPDATE
    from_version: str | None = "1.4.2.0"
    to_version: str = "1.5.0.0"
    started_at: str = "2026-06-04T09:12:00+00:00"
    backup_id: int | None = 5


def build_app(
    tmp: Path,
    *,
    plan: Plan | None = None,
    runner: Callable[..., ResultEvent] | None = None,
    docker: FakeDocker | None = None,
    store: FakeBackupStore | None = None,
    journal: JournalLike | None = None,
    load_plan: Callable[[Settings, bool], Plan] | None = None,
    settings: Settings | None = None,
    **overrides: Any,
) -> UpgraderApp:
    """An app on fakes; nothing touches the network, Docker or the real clock."""
    the_plan = plan or make_plan()
    the_docker = docker or FakeDocker()
    the_store = store if store is not None else FakeBackupStore(tmp / "backups", now=NOW)
    values: dict[str, Any] = {
        "settings": settings
        or Settings(
            manifest=SOURCE,
            deploy_dir=Path("/srv/demo"),
            # Fixed, never written to: the paths appear on screen.
            data_dir=Path("/var/lib/tui-upgrader"),
            cache_dir=Path("/var/cache/tui-upgrader"),
            log_dir=Path("/var/log/tui-upgrader"),
        ),
        "docker": lambda _s: the_docker,
        "run_upgrade": runner or ScriptedRunner(happy_events(SUCCESS)),
        "backups": lambda _s: the_store,
        "read_journal": lambda _d: journal,
        "load_plan": load_plan or (lambda _s, _f: the_plan),
        "clock": FrozenClock(NOW),
        "log_path": Path("/var/log/tui-upgrader/tui-upgrader.log"),
        "config_file": Path("/home/admin/.config/tui-upgrader/config.toml"),
    }
    values.update(overrides)
    return UpgraderApp(UiDeps(**values))


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
