"""Honest downtime: from the start of the stop to the moment every service first passed.

The start of the stop is recorded in the journal (wall clock), so a run that
resumes or rolls back after a kill still counts the whole outage, the time the
process was dead included. The health gate's settle window (services already
serving, watched for a relapse) is reported beside it, never inside it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from tui_upgrader.core.i18n import _
from tui_upgrader.ops.state import record_outage
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade.journal import Journal

logger = logging.getLogger(__name__)

STOP_STARTED = "stop_started"  # journal.extra: time.time() when the stop began
BACKUP_S = "backup_s"  # journal.extra: seconds the backup took inside the stop


@dataclass(frozen=True, slots=True)
class Outage:
    downtime_s: float | None
    settle_s: float | None


def mark_stop(journal: Journal) -> None:
    """Before the journal write that precedes the stop."""
    journal.extra.setdefault(STOP_STARTED, time.time())


def as_wall(monotonic_at: float | None) -> float:
    """A ``time.monotonic()`` instant (None: now) on the wall clock."""
    now = time.time()
    return now if monotonic_at is None else now - (time.monotonic() - monotonic_at)


def measure(journal: Journal, first_passing: float | None) -> Outage:
    """The outage ending at ``first_passing`` (monotonic, None: now) and the settle
    window from then to now; unknown when the journal has no stop time."""
    started = journal.extra.get(STOP_STARTED)
    end = time.time()
    passed = as_wall(first_passing)
    if not isinstance(started, int | float):
        return Outage(None, None)
    return Outage(max(0.0, passed - started), max(0.0, end - passed))


def _seconds(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def record_rolled_back(ctx: Context, journal: Journal, outage: Outage) -> None:
    """A rolled-back upgrade's outage goes into the history too (best effort)."""
    if outage.downtime_s is None:
        return
    try:
        record_outage(
            ctx.deploy_dir,
            from_version=journal.from_version,
            to_version=journal.to_version,
            strategy=journal.strategy,
            downtime_s=outage.downtime_s,
            settle_s=outage.settle_s,
            backup_s=_seconds(journal.extra.get(BACKUP_S)),
        )
    except Exception as exc:  # the rollback stands; the record is only a figure
        ctx.log(
            "warning",
            _("could not record the rollback's downtime in the history: {exc}").format(exc=exc),
        )
