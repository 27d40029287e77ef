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
            self.kind,
            self.version,
            display.age(self.created, now),
            display.size(self.size) if self.size is not None else "-",
            self.status.replace("_", " "),
            "yes" if self.present else "MISSING",
        )


COLUMNS = (
    ("ID", "id"),
    ("Kind", "kind"),
    ("Version", "version"),
    ("Created", "created"),
    ("Size", "size"),
    ("Status", "status"),
    ("File", "file"),
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
