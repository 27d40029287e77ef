"""The upgrade's stop, checked: a service killed during it is named everywhere.

A container SIGKILLed when its grace period ran out (a database waiting for an
open client session) leaves files that were never shut down: the pre-upgrade
backup taken of them is crash-consistent at best, and the next start runs
crash recovery. ``unclean_stop = "warn"`` goes on and says so in a warning
stage line, the result (``unclean_stop``), the notification and the backup's
catalogue note; ``"refuse"`` raises, and the rollback starts the old stack,
still unchanged, again. A stop that used most of its grace period is named too.
"""

from __future__ import annotations

from tui_upgrader.core.errors import UncleanStopError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.stack import StopReport
from tui_upgrader.core.stages import Stage
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade.journal import UNCLEAN_STOP, Journal, write_journal

UNCLEAN_TEXT = "unclean_stop_text"  # journal.extra: how each of them ended


def backup_note(journal: Journal) -> str:
    """The pre-upgrade backup's catalogue note: what the admin must know before restoring it."""
    text = journal.extra.get(UNCLEAN_TEXT)
    return f"crash-consistent: {text}" if text else ""


def stop_stack(ctx: Context, journal: Journal) -> Journal:
    """Stop with the grace periods, judge every container, then remove them (``down``)."""
    reports = ctx.docker.stop_checked(ctx.deploy_dir, min_grace_s=ctx.settings.stop_timeout_s)
    unclean = [r for r in reports if r.unclean]
    if unclean:
        journal.extra[UNCLEAN_STOP] = sorted({r.service for r in unclean})
        journal.extra[UNCLEAN_TEXT] = "; ".join(r.describe() for r in unclean)
        write_journal(ctx.deploy_dir, journal)
    judge_stop(ctx, reports)
    ctx.docker.down(ctx.deploy_dir)
    return journal


def judge_stop(ctx: Context, reports: list[StopReport], *, may_refuse: bool = True) -> str:
    """Name slow and killed services; returns how the killed ones ended ('' if none).

    Raises ``UncleanStopError`` for a killed one under ``unclean_stop = "refuse"``
    (unless ``may_refuse`` is false); the caller starts the stack again, whose
    files are as the kill left them.
    """
    for report in reports:
        if report.slow:
            ctx.note(Stage.STOP_SLOW, service=report.describe())
    unclean = [r for r in reports if r.unclean]
    for report in unclean:
        ctx.note(Stage.STOP_UNCLEAN, service=report.describe())
    text = "; ".join(r.describe() for r in unclean)
    if text and may_refuse and ctx.settings.unclean_stop == "refuse":
        raise UncleanStopError(
            _(
                "not shut down cleanly during the stop: {text}; unclean_stop = "
                '"refuse": the old stack is started again unchanged (give the '
                "service a longer stop_grace_period or set stop_timeout_s)"
            ).format(text=text)
        )
    return text
