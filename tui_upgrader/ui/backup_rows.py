"""Backup catalogue rows as the Backups screen shows them (built in a worker)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tui_upgrader.core import display
from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.core.versions import Version


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


def _present(record: Any) -> bool:
    # The catalogue may say so itself; otherwise look (we are in a worker).
    for name in ("archive_exists", "present", "file_present"):
        value = getattr(record, name, None)
        if callable(value):
            value = value()
        if isinstance(value, bool):
            return value
    path = getattr(record, "archive_path", None)
    return isinstance(path, Path) and path.is_file()


def _version(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        with contextlib.suppress(UpgraderError):
            return Version.parse(value).short
    return str(getattr(value, "short", value))


def rows_from_records(records: Iterable[Any]) -> list[BackupRow]:
    rows = [
        BackupRow(
            id=int(r.id),
            kind=str(r.kind),
            version=_version(r.version),
            created=r.created,
            size=r.size,
            status=str(r.status),
            present=_present(r),
            path=Path(r.archive_path),
        )
        for r in records
    ]
    rows.sort(key=lambda row: (row.created, row.id), reverse=True)
    return rows
