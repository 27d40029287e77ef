"""The seam the runner and the UI depend on, and what a backup verify reports.

``DockerPort`` is implemented for real by ``ops.stack.real_docker.RealDocker`` and by
``tests.support.fakes.FakeDocker`` for fast UI/runner tests. Everything takes the
project directory explicitly because the compose file there changes during an
upgrade (old file before apply, new file after).

Backups have no seam: everyone uses ``ops.backup.store.BackupStore``, and the
tests run it for real in a temporary data dir. ``VerifyReport`` (what
``BackupStore.verify`` returns) stays here, where its users import it from.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from tui_upgrader.core.events import Emit
from tui_upgrader.core.stack import ServiceSpec, StackSnapshot, StopReport


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    """What verifying one backup found (``BackupStore.verify``)."""

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
