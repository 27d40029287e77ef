"""python-tuf's Updater with durable state files.

``Updater._persist_file`` writes a temp file and renames it, but never fsyncs:
after a power cut the last-seen versions (the rollback protection) could be
lost or empty. Ours goes through ``fsutil`` (fsync, 0600, durable rename),
and skips a file that already holds exactly these bytes: the Updater
re-persists the bootstrap root on every start, and each fsync costs a disk
flush on every ``check``.
"""

from __future__ import annotations

from pathlib import Path

from tuf.ngclient import Updater

from tui_upgrader.ops.fsutil import atomic_write_bytes


class DurableUpdater(Updater):
    def _persist_file(self, filename: str, data: bytes) -> None:
        path = Path(filename)
        try:
            if path.stat().st_size == len(data) and path.read_bytes() == data:
                return
        except OSError:
            pass  # missing or unreadable: write it
        atomic_write_bytes(path, data, 0o600)
