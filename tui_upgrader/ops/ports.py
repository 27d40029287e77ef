"""The seams the runner and the UI depend on.

``DockerPort`` is implemented for real by ``ops.stack.real_docker.RealDocker`` and by
``tests.support.fakes.FakeDocker`` for fast UI/runner tests. Everything takes the
project directory explicitly because the compose file there changes during an
upgrade (old file before apply, new file after).

``BackupPort`` is implemented by ``ops.backup.store.BackupStore`` and by
``tests.support.fakes.FakeBackupStore``. Its records are read through
``BackupRecordView`` because the fake keeps its own record type: UI snapshots
show fixed archive paths that do not exist, so the fake must be able to claim
an archive is present without a file on disk.
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from tui_upgrader.core.events import Emit
from tui_upgrader.core.stack import ServiceSpec, StackSnapshot, StopReport
from tui_upgrader.ops.settings import Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    """What verifying one backup found (``BackupPort.verify``)."""

    id: int
    status: Literal["ok", "corrupt", "missing"]
    detail: str
    expected_sha256: str | None = None
    actual_sha256: str | None = None
    members: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "detail": self.detail,
            "expected_sha256": self.expected_sha256,
            "actual_sha256": self.actual_sha256,
            "members": self.members,
        }


class DockerPort(Protocol):
    def engine_version(self) -> str:
        """The engine's version; raises EngineUnavailableError when none answers."""
        ...

    def compose_services(self, project_dir: Path) -> list[ServiceSpec]:
        """Services of the compose file in ``project_dir`` (via ``compose config``)."""
        ...

    def compose_project(self, project_dir: Path) -> str:
        """The compose project the stack in ``project_dir`` runs as."""
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

    def stop_checked(self, project_dir: Path, *, min_grace_s: float | None) -> list[StopReport]:
        """Stop (containers kept) and say how each running container ended."""
        ...

    def wait_healthy(
        self,
        project_dir: Path,
        *,
        timeout_s: float,
        settle_s: float,
        emit: Emit,
        cancel: threading.Event | None,
    ) -> float | None:
        """The health gate; raises HealthGateError naming bad services with logs.

        Returns the ``time.monotonic()`` at which every service first passed its
        check (before the settle window), or None when that is not known.
        """
        ...


class BackupRecordView(Protocol):
    """The fields of ``ops.backup.catalogue.BackupRecord`` that the runner and the UI read."""

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

    @property
    def sha256(self) -> str | None: ...

    @property
    def deploy_dir(self) -> Path | None:
        """The deploy dir it was taken of (None: not known)."""
        ...

    def archive_exists(self) -> bool: ...


class BackupPort(Protocol):
    """The backup catalogue as the runner, recovery, stand-alone backups and the UI use it."""

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
        source: Path | None = ...,
        grafts: Mapping[str, Path] | None = ...,
    ) -> BackupRecordView:
        """``source``: read the tree from this copy of ``deploy_dir`` (the pre-copy
        snapshot), ``grafts`` adding its parts kept on other filesystems."""
        ...

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

    def restore_archive(
        self,
        archive: Path,
        sha256: str,
        deploy_dir: Path,
        *,
        catalogue: Path | None = ...,
        backup_id: int | None = ...,
        data_only: bool = ...,
        emit: Emit = ...,
        cancel: threading.Event | None = ...,
    ) -> None:
        """Restore from an archive named by path, whatever this store's catalogue holds.

        For a caller that knows the archive from elsewhere (the upgrade journal,
        written under settings that may not be this store's). Nothing changes
        unless the archive hashes to ``sha256``; ``catalogue`` (the one the
        archive was recorded in) and ``backup_id`` add its record's checks when
        that catalogue is readable.
        """
        ...

    def delete(self, backup_id: int) -> None: ...

    def prune(self, keep: int, protect_id: int) -> builtins.list[int]:
        """Delete old pre-upgrade backups, never ``protect_id``; returns the ids deleted."""
        ...
