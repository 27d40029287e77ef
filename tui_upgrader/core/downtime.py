"""The expected stop window, said before anything is stopped.

Two parts: what this deploy dir's own upgrades took besides the backup (stop,
apply, start, until every service first passed: the median of the recorded
``downtime_s - backup_s``), and the backup's share inside the stop, from the
size of what it will have to look at: with the pre-copy, the final pass's stat
walk (one ``lstat`` per entry) plus a little copying; without it, every byte
through tar + zstd.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from tui_upgrader.core.i18n import _

# Measured on the 2-core CI machine under load (README "Downtime"): the final pass's
# walk over 100,000 entries took 1.4-2.4 s, a cold tar + zstd ran at 150-220 MB/s.
STAT_S_PER_ENTRY = 20e-6
COLD_BYTES_PER_S = 150e6
CHANGED_SHARE = 0.01  # of the bytes, written by the stack between pre-copy and stop
HISTORY_WINDOW = 5


@dataclass(frozen=True, slots=True)
class DowntimeEstimate:
    total_s: float | None  # None: no upgrade of this deploy dir recorded yet
    backup_s: float
    rest_s: float | None
    entries: int
    content_bytes: int
    two_pass: bool


def estimate_downtime(
    past: Iterable[tuple[float | None, float | None]],
    *,
    entries: int,
    content_bytes: int,
    two_pass: bool,
) -> DowntimeEstimate:
    """``past``: (downtime_s, backup_s) of this deploy dir's recorded runs, oldest first."""
    rests = [d - (b or 0.0) for d, b in past if d is not None and d >= 0]
    rest = statistics.median(rests[-HISTORY_WINDOW:]) if rests else None
    if two_pass:
        backup = entries * STAT_S_PER_ENTRY + content_bytes * CHANGED_SHARE / COLD_BYTES_PER_S
    else:
        backup = entries * STAT_S_PER_ENTRY + content_bytes / COLD_BYTES_PER_S
    total = None if rest is None else max(0.0, rest) + backup
    return DowntimeEstimate(total, backup, rest, entries, content_bytes, two_pass)


def estimate_line(estimate: DowntimeEstimate) -> str:
    from tui_upgrader.core.display import duration, size

    if estimate.two_pass:
        backup = _("final pass over {entries} entries ~{time}").format(
            entries=estimate.entries, time=duration(estimate.backup_s)
        )
    else:
        backup = _("cold backup of {size} ~{time}").format(
            size=size(estimate.content_bytes), time=duration(estimate.backup_s)
        )
    if estimate.total_s is None:
        return _(
            "Expected downtime: {backup}, plus stop, start and health checks "
            "(no past upgrade here to tell)"
        ).format(backup=backup)
    assert estimate.rest_s is not None
    return _("Expected downtime ~{total}: {backup} + {rest} as past upgrades here").format(
        total=duration(estimate.total_s), backup=backup, rest=duration(estimate.rest_s)
    )
