"""The expected downtime of the next upgrade of a deploy dir (``core.downtime``), from
its history and a stat walk of what the backup covers (no copy, nothing written)."""

from __future__ import annotations

from tui_upgrader.core.downtime import DowntimeEstimate, estimate_downtime
from tui_upgrader.ops.backup.snapshot import snapshot_of
from tui_upgrader.ops.backup.snapshot_walk import listing
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.state import read_state


def expected_downtime(settings: Settings) -> DowntimeEstimate:
    deploy = settings.deploy_dir
    history = read_state(deploy).history if deploy.is_dir() else ()
    entries = content = 0
    if deploy.is_dir():
        snapshot = snapshot_of(deploy, settings.backup_excludes, settings.data_dir)
        for part in snapshot.parts:
            found = listing(part.source, snapshot.skip(part))
            entries += len(found.entries)
            content += found.content
    return estimate_downtime(
        ((h.downtime_s, h.backup_s) for h in history),
        entries=entries,
        content_bytes=content,
        two_pass=settings.backup_precopy,
    )
