"""Backup catalogue rows as the Backups screen shows them (built in a worker)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tui_upgrader.core import display
from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.versions import Version

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.catalogue import BackupRecord


@dataclass(frozen=True, slots=True)
class BackupRow:
    id: int
    kind: str
    version: str
    created: datetime
    size: int | None
    status: str
    present: bool
    path: Path
    deploy_dir: Path  # the deploy dir it was taken of
    ours: bool = True  # taken of this deploy dir

    def cells(self, now: datetime) -> tuple[str, ...]:
        return (
            f"#{self.id}",
            display.backup_word(self.kind),
            self.version,
            display.age(self.created, now),
            display.size(self.size) if self.size is not None else "-",
            display.backup_word(self.status),
            _("yes") if self.present else _("MISSING"),
            display.short_path(self.deploy_dir, 28),
        )


# (msgid, column key): the screen translates the headings when it builds the table.
COLUMNS = (
    (N_("ID"), "id"),
    (N_("Kind"), "kind"),
    (N_("Version"), "version"),
    (N_("Created"), "created"),
    (N_("Size"), "size"),
    (N_("Status"), "status"),
    (N_("File"), "file"),
    (N_("Deploy dir"), "deploy"),
)


def _version(value: str | None) -> str:
    if value is None:
        return "-"
    with contextlib.suppress(UpgraderError):
        return Version.parse(value).short
    return value


def rows_from_records(
    records: Iterable[BackupRecord], deploy_dir: Path | None = None
) -> list[BackupRow]:
    """Rows newest first; ``ours`` compares each record's deploy dir with ``deploy_dir``."""
    from tui_upgrader.ops.deploy_dirs import same_dir

    rows = [
        BackupRow(
            id=r.id,
            kind=r.kind,
            version=_version(r.version),
            created=r.created,
            size=r.size,
            status=r.status,
            # Looks at the disk for real records: we are in a worker.
            present=r.archive_exists(),
            path=r.archive_path,
            deploy_dir=r.deploy_dir,
            ours=deploy_dir is None or same_dir(r.deploy_dir, deploy_dir),
        )
        for r in records
    ]
    rows.sort(key=lambda row: (row.created, row.id), reverse=True)
    return rows
