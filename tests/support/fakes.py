"""Fakes for fast UI and runner tests: a scriptable DockerPort and a small backup store.

``FakeDocker`` implements ``ops.ports.DockerPort`` without a daemon. It records
every call, emits layer and service events like the real adapter, and can be
told to be unhealthy, to fail a method, or to hold inside one until released.

``FakeBackupStore`` writes real tar archives of the deploy dir and keeps its
catalogue in memory; it implements ``ops.ports.BackupPort``. Its records are
``FakeBackupRecord``s so a test can say an archive is present without a file
(the snapshots show fixed paths); its verify answers with the real
``VerifyReport``. Tests that must prove data really comes back use the real
``ops.backup.store.BackupStore``.
"""

from __future__ import annotations

import builtins
import hashlib
import shutil
import tarfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui_upgrader.core.errors import BackupError, DockerError, HealthGateError
from tui_upgrader.core.events import Emit, LayerEvent, ServiceEvent, discard
from tui_upgrader.core.i18n import _
from tui_upgrader.core.stack import ServiceImage, ServiceSpec, StackSnapshot, StopReport
from tui_upgrader.ops.ports import VerifyReport
from tui_upgrader.ops.settings import Settings

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


# --- backups ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FakeBackupRecord:
    id: int
    created: datetime
    kind: str
    version: str | None
    size: int | None
    status: str
    archive_path: Path
    exists: bool | None = None  # None = look at the file
    sha256: str | None = None
    deploy_dir: Path | None = None
    note: str = ""

    @property
    def present(self) -> bool:
        return self.archive_path.is_file() if self.exists is None else self.exists

    def archive_exists(self) -> bool:
        return self.present


class FakeBackupStore:
    """Real tar archives of the deploy dir under ``root``; catalogue in memory."""

    def __init__(
        self,
        root: Path,
        records: Iterable[FakeBackupRecord] = (),
        *,
        data_paths: tuple[str, ...] = ("data",),
        now: datetime | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or Settings(health_timeout_s=5, health_settle_s=0)
        self.root = root
        self.records = {r.id: r for r in records}
        self.data_paths = data_paths
        self.now = now or datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
        self.calls: list[tuple[str, object]] = []
        self._lock = threading.Lock()

    def list(self) -> list[FakeBackupRecord]:
        self.calls.append(("list", None))
        # Newest first like the real catalogue; ids break ties (``now`` is fixed).
        return sorted(self.records.values(), key=lambda r: (r.created, r.id), reverse=True)

    def create(
        self,
        deploy_dir: Path,
        *,
        kind: str,
        version: str | None,
        from_version: str | None = None,
        to_version: str | None = None,
        note: str = "",
        emit: Emit = discard,
        cancel: threading.Event | None = None,
        source: Path | None = None,
        grafts: Mapping[str, Path] | None = None,
    ) -> FakeBackupRecord:
        self.calls.append(("create", kind))
        with self._lock:
            new_id = max(self.records, default=0) + 1
        self.root.mkdir(parents=True, exist_ok=True)
        archive = self.root / f"backup-{new_id}.tar"
        with tarfile.open(archive, "w") as tar:
            for child in sorted(deploy_dir.iterdir()):
                if child.name != ".tui-upgrader":
                    tar.add(child, arcname=child.name)
        record = FakeBackupRecord(
            new_id,
            self.now,
            kind,
            version,
            archive.stat().st_size,
            "completed",
            archive,
            sha256=hashlib.sha256(archive.read_bytes()).hexdigest(),
            deploy_dir=deploy_dir.resolve(),
            note=note,
        )
        self.records[new_id] = record
        return record

    def verify(self, backup_id: int) -> VerifyReport:
        """Checks presence and status only; the archive is not read through."""
        self.calls.append(("verify", backup_id))
        record = self._get(backup_id)
        if not record.present:
            return VerifyReport(
                id=backup_id, status="missing", detail=f"{record.archive_path} does not exist"
            )
        if record.status != "completed":
            return VerifyReport(
                id=backup_id, status="corrupt", detail=f"backup {backup_id} is {record.status}"
            )
        return VerifyReport(id=backup_id, status="ok", detail="archive intact")

    def restore(
        self,
        backup_id: int,
        deploy_dir: Path,
        *,
        data_only: bool = False,
        emit: Emit = discard,
        cancel: threading.Event | None = None,
    ) -> None:
        self.calls.append(("restore", (backup_id, data_only)))
        self._extract(self._get(backup_id).archive_path, deploy_dir, data_only)

    def restore_archive(
        self,
        archive: Path,
        sha256: str,
        deploy_dir: Path,
        *,
        catalogue: Path | None = None,
        backup_id: int | None = None,
        data_only: bool = False,
        emit: Emit = discard,
        cancel: threading.Event | None = None,
    ) -> None:
        """By path, whatever ``records`` holds; refused unless the file hashes to ``sha256``."""
        self.calls.append(("restore_archive", (archive, data_only)))
        if not archive.is_file():
            raise BackupError(f"backup archive {archive} does not exist")
        actual = hashlib.sha256(archive.read_bytes()).hexdigest()
        if actual != sha256:
            raise BackupError(f"{archive} is corrupt (sha256 {actual}, expected {sha256})")
        self._extract(archive, deploy_dir, data_only)

    def _extract(self, archive: Path, deploy_dir: Path, data_only: bool) -> None:
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            tops = {m.name.split("/", 1)[0] for m in members}
            if data_only:
                tops &= set(self.data_paths)
                members = [m for m in members if m.name.split("/", 1)[0] in tops]
            for top in tops:
                target = deploy_dir / top
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
            tar.extractall(deploy_dir, members=members, filter="data")

    def delete(self, backup_id: int) -> None:
        self.calls.append(("delete", backup_id))
        record = self.records.pop(backup_id)
        record.archive_path.unlink(missing_ok=True)

    def prune(self, keep: int, protect_id: int) -> builtins.list[int]:
        self.calls.append(("prune", keep))
        return []

    def get(self, backup_id: int) -> FakeBackupRecord:
        return self._get(backup_id)

    def _get(self, backup_id: int) -> FakeBackupRecord:
        try:
            return self.records[backup_id]
        except KeyError:
            raise BackupError(f"no backup #{backup_id}") from None

    def mark(self, backup_id: int, **changes: Any) -> None:
        self.records[backup_id] = replace(self.records[backup_id], **changes)
