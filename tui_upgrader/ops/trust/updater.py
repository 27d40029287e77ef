"""python-tuf's Updater with durable state files.

``Updater._persist_file`` writes a temp file and renames it, but never fsyncs:
after a power cut the last-seen versions (the rollback protection) could be
lost or empty. Ours goes through ``fsutil`` (fsync, 0600, durable rename).
"""

from __future__ import annotations

from pathlib import Path

from tuf.ngclient import Updater

from tui_upgrader.ops.fsutil import atomic_write_bytes


class DurableUpdater(Updater):
    def _persist_file(self, filename: str, data: bytes) -> None:
        atomic_write_bytes(Path(filename), data, 0o600)
