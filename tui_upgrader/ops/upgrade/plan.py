"""What the runner is given: the plan the admin approved and the ports it may use."""

from __future__ import annotations

from dataclasses import dataclass

from tui_upgrader.core.manifest import Manifest
from tui_upgrader.core.strategy import Decision
from tui_upgrader.ops.ports import BackupPort, DockerPort
from tui_upgrader.ops.settings import Settings


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
    backups: BackupPort | None = None
