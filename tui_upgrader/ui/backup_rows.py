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
    from tui_upgrader.ops.ports import BackupRecordView


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

    def cells(self, now: datetime) -> tuple[str, ...]:
        return (
            f"#{self.id}",
            display.backup_word(self.kind),
            self.version,
            display.age(self.created, now),
            display.size(self.size) if self.size is not None else "-",
            display.backup_word(self.status),
            _("yes") if self.present else _("MISSING"),
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
)


def _version(value: str | None) -> str:
    if value is None:
        return "-"
    with contextlib.suppress(UpgraderError):
        return Version.parse(value).short
    return value


def rows_from_records(records: Iterable[BackupRecordView]) -> list[BackupRow]:
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
        )
        for r in records
    ]
    rows.sort(key=lambda row: (row.created, row.id), reverse=True)
    return rows
