"""The seams the runner and the UI depend on.

``DockerPort`` is implemented for real by ``ops.docker_port.RealDocker`` and by
``tests.fakes.FakeDocker`` for fast UI/runner tests. Everything takes the
project directory explicitly because the compose file there changes during an
upgrade (old file before apply, new file after).

``BackupPort`` is implemented by ``ops.backup.BackupStore`` and by
``tests.fakes.FakeBackupStore``. Its records are read through
``BackupRecordView`` because the fake keeps its own record type: UI snapshots
show fixed archive paths that do not exist, so the fake must be able to claim
an archive is present without a file on disk.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tui_upgrader.core.events import Emit
from tui_upgrader.core.stack import ServiceSpec, StackSnapshot
from tui_upgrader.ops.settings import Settings

if TYPE_CHECKING:
    # Only for annotations: importing it pulls in the archive codecs and the
    # extraction code, which the first screen of the TUI does not need.
    from tui_upgrader.ops.backup_restore import VerifyReport


class DockerPort(Protocol):
    def engine_version(self) -> str:
        """The engine's version; raises EngineUnavailableError when none answers."""
        ...

    def compose_services(self, project_dir: Path) -> list[ServiceSpec]:
        """Services of the compose file in ``project_dir`` (via ``compose config``)."""
        ...

    def running_services(self, project_dir: Path) -> list[str]:
        """Names of services with a running container."""
        ...

    def load_image(self, tar: Path, emit: Emit, cancel: threading.Event | None) -> list[str]:
        """Stream an image tar to the engine; return the (normalised) references loaded."""
        ...

    def pull_image(self, ref: str, emit: Emit, cancel: threading.Event | None) -> None:
        """Pull one image with per-layer progress."""
        ...

    def image_exists(self, ref: str) -> bool: ...

    def snapshot(self, project_dir: Path) -> StackSnapshot:
        """Service -> container, image ID and reference of what runs now."""
        ...

    def restore_snapshot(self, snapshot: StackSnapshot) -> None:
        """Re-tag every snapshot image ID under its old reference."""
        ...

    def up(self, project_dir: Path) -> None: ...

    def down(self, project_dir: Path) -> None: ...

    def wait_healthy(
        self,
        project_dir: Path,
        *,
        timeout_s: float,
        settle_s: float,
        emit: Emit,
        cancel: threading.Event | None,
    ) -> None:
        """The health gate; raises HealthGateError naming bad services with logs."""
        ...


class BackupRecordView(Protocol):
    """The fields of ``ops.catalogue.BackupRecord`` that the runner and the UI read."""

    @property
    def id(self) -> int: ...

    @property
    def created(self) -> datetime: ...

    @property
    def kind(self) -> str: ...

    @property
    def version(self) -> str | None: ...

    @property
    def size(self) -> int | None: ...

    @property
    def status(self) -> str: ...

    @property
    def archive_path(self) -> Path: ...

    def archive_exists(self) -> bool: ...


class BackupPort(Protocol):
    """The backup catalogue as the runner, recovery, ``ops.backup_stack`` and the UI use it."""

    @property
    def settings(self) -> Settings: ...

    def list(self) -> Sequence[BackupRecordView]:
        """Newest first."""
        ...

    def get(self, backup_id: int) -> BackupRecordView:
        """The record; raises an UpgraderError when there is none."""
        ...

    def create(
        self,
        deploy_dir: Path,
        *,
        kind: str,
        version: str | None,
        from_version: str | None = ...,
        to_version: str | None = ...,
        note: str = ...,
        emit: Emit = ...,
        cancel: threading.Event | None = ...,
    ) -> BackupRecordView: ...

    def verify(self, backup_id: int) -> VerifyReport: ...

    def restore(
        self,
        backup_id: int,
        deploy_dir: Path,
        *,
        data_only: bool = ...,
        emit: Emit = ...,
        cancel: threading.Event | None = ...,
    ) -> None: ...

    def delete(self, backup_id: int) -> None: ...

    def prune(self, keep: int, protect_id: int) -> builtins.list[int]:
        """Delete old pre-upgrade backups, never ``protect_id``; returns the ids deleted."""
        ...


def image_files_for_arch(images_dir: Path, docker_arch: str) -> Sequence[Path]:
    """Image tars meant for this machine: ``*-<arch>.tar`` plus plain ``*.tar``.

    Tars for another architecture (``*-arm64.tar`` on amd64) are skipped.
    """
    if not images_dir.is_dir():
        return []
    others = {"amd64", "arm64"} - {docker_arch}
    picked: list[Path] = []
    for path in sorted(images_dir.iterdir()):
        if not path.is_file() or not path.name.endswith((".tar", ".tar.gz", ".tar.xz")):
            continue
        stem = path.name.split(".tar")[0]
        if any(stem.endswith(f"-{other}") for other in others):
            continue
        picked.append(path)
    return picked
