"""The fake for fast UI and runner tests: a scriptable DockerPort.

``FakeDocker`` implements ``ops.ports.DockerPort`` without a daemon. It records
every call, emits layer and service events like the real adapter, and can be
told to be unhealthy, to fail a method, or to hold inside one until released.

Backups have no fake: the tests run the real ``ops.backup.store.BackupStore``
in their tmp dir.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tui_upgrader.core.errors import DockerError, HealthGateError
from tui_upgrader.core.events import Emit, LayerEvent, ServiceEvent
from tui_upgrader.core.i18n import _
from tui_upgrader.core.stack import ServiceImage, ServiceSpec, StackSnapshot, StopReport

DEFAULT_SERVICES = (
    ServiceSpec("app", "demo/app:1.0.0", "unless-stopped", True),
    ServiceSpec("worker", "demo/worker:1.0.0", "unless-stopped", False),
)


@dataclass
class FakeDocker:
    services: Sequence[ServiceSpec] = DEFAULT_SERVICES
    healthy: bool = True
    unhealthy_gates: int = 0  # the first N health gates fail, later ones pass
    # Per image tar: (layer id, size) pairs reported while it "loads".
    layers: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    default_layers: list[tuple[str, int]] = field(
        default_factory=lambda: [("1c2d46be6663", 4 << 20), ("9f8e7d6c5b4a", 12 << 20)]
    )
    missing_images: set[str] = field(default_factory=set)
    fail: dict[str, str] = field(default_factory=dict)  # method -> error message
    # Method name -> event; the call waits for it (or the cancel event).
    hold: dict[str, threading.Event] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    running: bool = True
    # What ``stop_checked`` reports; None: every service stopped cleanly in 0.1 s.
    stop_reports: list[StopReport] | None = None
    holding: threading.Event = field(default_factory=threading.Event)

    def _enter(self, name: str, arg: object = "", cancel: threading.Event | None = None) -> None:
        self.calls.append((name, str(arg)))
        gate = self.hold.get(name)
        if gate is not None:
            self.holding.set()
            while not gate.wait(0.02):
                if cancel is not None and cancel.is_set():
                    break
        if name in self.fail:
            error = HealthGateError if name == "wait_healthy" else DockerError
            raise error(self.fail[name])

    def called(self, name: str) -> int:
        return sum(1 for call, _ in self.calls if call == name)

    def engine_version(self) -> str:
        self._enter("engine_version")
        return "27.0.0-fake"

    def compose_services(self, project_dir: Path) -> list[ServiceSpec]:
        self._enter("compose_services", project_dir)
        return list(self.services)

    def compose_project(self, project_dir: Path) -> str:
        self._enter("compose_project", project_dir)
        return f"{project_dir.name}-project"

    def running_services(self, project_dir: Path) -> list[str]:
        self._enter("running_services", project_dir)
        return [s.name for s in self.services] if self.running else []

    def load_image(self, tar: Path, emit: Emit, cancel: threading.Event | None) -> list[str]:
        self._enter("load_image", tar.name, cancel)
        for layer, size in self.layers.get(tar.name, self.default_layers):
            for done in (0, size // 2, size):
                emit(LayerEvent(tar.stem, layer, "loading", done, size))
        return [tar.stem]

    def pull_image(self, ref: str, emit: Emit, cancel: threading.Event | None) -> None:
        self._enter("pull_image", ref, cancel)
        for layer, size in self.default_layers:
            emit(LayerEvent(ref, layer, "downloading", size, size))
            emit(LayerEvent(ref, layer, "extracting", size, size))
        self.missing_images.discard(ref)

    def image_exists(self, ref: str) -> bool:
        self._enter("image_exists", ref)
        return ref not in self.missing_images

    def snapshot(self, project_dir: Path) -> StackSnapshot:
        self._enter("snapshot", project_dir)
        return StackSnapshot(
            project_dir.name,
            tuple(
                ServiceImage(s.name, f"c-{s.name}", f"sha256:{s.name:0<64}"[:71], s.image or "")
                for s in self.services
            ),
        )

    def restore_snapshot(self, snapshot: StackSnapshot) -> None:
        self._enter("restore_snapshot", snapshot.project)

    def up(self, project_dir: Path) -> None:
        self._enter("up", project_dir)
        self.running = True

    def down(self, project_dir: Path) -> None:
        self._enter("down", project_dir)
        self.running = False

    def stop_checked(self, project_dir: Path, *, min_grace_s: float | None) -> list[StopReport]:
        self._enter("stop_checked", project_dir)
        was_running, self.running = self.running, False
        if self.stop_reports is not None:
            return list(self.stop_reports)
        grace = min_grace_s or 10.0
        return [
            StopReport(s.name, f"{s.name}-1", 0, grace, 0.1) for s in self.services if was_running
        ]

    def wait_healthy(
        self,
        project_dir: Path,
        *,
        timeout_s: float,
        settle_s: float,
        emit: Emit,
        cancel: threading.Event | None,
    ) -> float | None:
        for spec in self.services:
            emit(ServiceEvent(spec.name, "starting"))
        self._enter("wait_healthy", project_dir, cancel)
        healthy = self.healthy and self.unhealthy_gates <= 0
        self.unhealthy_gates -= 1
        for spec in self.services:
            state = "healthy" if healthy else "unhealthy"
            detail = "" if healthy else _("check failed: {output}").format(output="exit 1")
            emit(ServiceEvent(spec.name, state, detail))
        if not healthy:
            names = ", ".join(s.name for s in self.services)
            # Worded as ops.stack words it, so it follows the language like the real one.
            raise HealthGateError(
                _("services not healthy after {seconds:.1f}s: {services}").format(
                    seconds=float(timeout_s), services=names
                )
            )
        return None  # the gate's end is all a fake knows
