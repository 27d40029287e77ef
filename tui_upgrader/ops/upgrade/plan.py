"""What the runner is given: the plan the admin approved and the ports it may use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui_upgrader.core.manifest import Manifest
from tui_upgrader.core.strategy import Decision
from tui_upgrader.ops.ports import DockerPort
from tui_upgrader.ops.settings import Settings

if TYPE_CHECKING:
    # Annotation only: the UI loads this module early, the store (and zstandard)
    # only when a backup or an upgrade runs.
    from tui_upgrader.ops.backup.store import BackupStore


@dataclass(frozen=True, slots=True)
class UpgradePlan:
    settings: Settings
    manifest: Manifest
    decision: Decision
    make_backup: bool = True  # False only with --no-backup --yes (or the UI's explicit choice)


@dataclass(frozen=True, slots=True)
class Ports:
    docker: DockerPort
    # None = the real catalogue for the plan's settings (ops.backup.store.BackupStore).
    backups: BackupStore | None = None
