"""Backups of a deploy dir: create, list, verify, restore, delete, prune; the catalogue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_upgrader.ops.lazy_face import lazy_face

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.catalogue import BackupRecord as BackupRecord
    from tui_upgrader.ops.backup.store import BackupStore as BackupStore

__getattr__ = lazy_face(
    __name__,
    {
        "BackupStore": "store",
        "BackupRecord": "catalogue",
    },
)
