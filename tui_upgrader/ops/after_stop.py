"""The critical section: from the stop to a committed upgrade, or a rollback.

Shared by ``runner`` (straight through) and ``recovery`` (``--resume`` after a
kill). Everything here is driven by the journal, so the same code finishes
an upgrade no matter where the previous process died. Cancellation is ignored
on purpose: once the stack is down, the only ways out are forward or back.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from tui_upgrader.core.errors import (
    EXIT_FAILED,
    EXIT_ROLLBACK_FAILED,
    RollbackFailedError,
    UpgraderError,
)
from tui_upgrader.core.events import ResultEvent, ServiceEvent, Step
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.apply import apply_moves, discard_work_dirs, undo_moves
from tui_upgrader.ops.journal import Journal, clear_journal, write_journal
from tui_upgrader.ops.planning import find_compose_file
from tui_upgrader.ops.state import record_upgrade
from tui_upgrader.ops.steps import Context

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Outcome:
    journal: Journal
    stopped_at: float | None  # monotonic time of the stop, for the downtime figure


def _backup_id(record: object) -> int:
    value = getattr(record, "id", None)
    if not isinstance(value, int):
        raise TypeError("backup store returned a record without an integer id")
    return value


def finish_upgrade(
    ctx: Context, journal: Journal, *, make_backup: bool, t_stop: float
) -> ResultEvent:
    """Backup -> apply -> start -> health gate -> commit -> clean up; rolls back on failure."""
    deploy = ctx.deploy_dir
    try:
        if journal.step in (Step.STOPPING_SERVICES, Step.CREATING_BACKUP):
            journal = _backup(ctx, journal, make_backup)
        journal = journal.advance(Step.APPLYING_UPDATE)
        write_journal(deploy, journal)
        with ctx.step(Step.APPLYING_UPDATE):
            apply_moves(deploy, journal.moves, journal.created_dirs)
        journal = journal.advance(Step.STARTING_SERVICES)
        write_journal(deploy, journal)
        with ctx.step(Step.STARTING_SERVICES):
            ctx.docker.up(deploy)
        journal = journal.advance(Step.VERIFYING_SERVICES)
        write_journal(deploy, journal)
        with ctx.step(Step.VERIFYING_SERVICES):
            ctx.docker.wait_healthy(
                deploy,
                timeout_s=ctx.settings.health_timeout_s,
                settle_s=ctx.settings.health_settle_s,
                emit=ctx.emit,
                cancel=None,
            )
        downtime = time.monotonic() - t_stop
    except Exception as exc:  # every failure after the stop rolls back, whatever it is
        return rollback(ctx, journal, exc)
    return commit(ctx, journal, downtime)


def _backup(ctx: Context, journal: Journal, make_backup: bool) -> Journal:
    deploy = ctx.deploy_dir
    journal = journal.advance(Step.CREATING_BACKUP)
    write_journal(deploy, journal)
    if not make_backup:
        ctx.skip(Step.CREATING_BACKUP, "--no-backup: data cannot be restored if this fails")
        return journal
    with ctx.step(Step.CREATING_BACKUP):
        record = ctx.backups.create(
            deploy,
            kind="pre-upgrade",
            version=journal.from_version,
            from_version=journal.from_version,
            to_version=journal.to_version,
            emit=ctx.emit,
        )
    journal = journal.advance(Step.CREATING_BACKUP, backup_id=_backup_id(record))
    write_journal(deploy, journal)
    ctx.log("info", f"pre-upgrade backup {journal.backup_id} created")
    return journal


def commit(ctx: Context, journal: Journal, downtime: float | None) -> ResultEvent:
    """The health gate passed: only now does the installed version change."""
    deploy = ctx.deploy_dir
    record_upgrade(
        deploy,
        from_version=Version.parse(journal.from_version) if journal.from_version else None,
        to_version=Version.parse(journal.to_version),
        strategy=journal.strategy,
        backup_id=journal.backup_id,
        downtime_s=downtime,
    )
    journal = journal.advance(Step.CLEANING_UP, committed=True)
    write_journal(deploy, journal)
    cleanup_after_commit(ctx, journal)
    return ResultEvent(
        success=True,
        from_version=journal.from_version,
        to_version=journal.to_version,
        backup_id=journal.backup_id,
        rolled_back=False,
        error=None,
        downtime_s=downtime,
    )


def cleanup_after_commit(ctx: Context, journal: Journal) -> None:
    deploy = ctx.deploy_dir
    with ctx.step(Step.CLEANING_UP):
        discard_work_dirs(deploy)
        if journal.backup_id is not None:
            try:
                pruned = ctx.backups.prune(ctx.settings.backup_keep, journal.backup_id)
            except UpgraderError as exc:
                # The upgrade itself succeeded; an old backup we could not prune
                # is worth a warning, not a failure.
                ctx.log("warning", f"could not prune old backups: {exc}")
            else:
                if pruned:
                    ctx.log("info", f"pruned old pre-upgrade backups: {pruned}")
        clear_journal(deploy)
    with ctx.step(Step.COMPLETED):
        pass


def rollback(ctx: Context, journal: Journal, cause: BaseException) -> ResultEvent:
    """Put back files, compose file, .env, data and image tags; start and verify the old stack."""
    deploy = ctx.deploy_dir
    error = str(cause) or type(cause).__name__
    ctx.log("error", f"upgrade failed after the stop: {error}; rolling back")
    healthy = False
    try:
        with ctx.step(Step.ROLLING_BACK):
            if find_compose_file(deploy) is not None:
                try:
                    ctx.docker.down(deploy)
                except UpgraderError as exc:
                    ctx.log("warning", f"could not stop the new containers cleanly: {exc}")
            undo_moves(deploy, journal.moves, journal.created_dirs)
            applied = journal.step not in (Step.STOPPING_SERVICES, Step.CREATING_BACKUP)
            if journal.backup_id is not None and applied:
                # The new containers may have migrated data before failing.
                ctx.backups.restore(journal.backup_id, deploy, data_only=True, emit=ctx.emit)
            if journal.snapshot is not None:
                ctx.docker.restore_snapshot(journal.snapshot)
            discard_work_dirs(deploy)
            if find_compose_file(deploy) is not None and journal.snapshot is not None:
                ctx.docker.up(deploy)
                healthy = _old_stack_healthy(ctx)
            clear_journal(deploy)
    except Exception as exc:  # reported as the worst case below
        message = f"{error}; rollback failed too: {exc}"
        ctx.log("error", message)
        ctx.emit(ServiceEvent("stack", "unknown", "rollback failed: see the log"))
        raise RollbackFailedError(message) from exc
    ctx.log("info", "rolled back to " + (journal.from_version or "the previous state"))
    return ResultEvent(
        success=False,
        from_version=journal.from_version,
        to_version=journal.to_version,
        backup_id=journal.backup_id,
        rolled_back=True,
        error=error,
        rollback_healthy=healthy,
        # An old stack that is back but unhealthy still needs the admin.
        exit_code=EXIT_FAILED if healthy or journal.snapshot is None else EXIT_ROLLBACK_FAILED,
    )


def _old_stack_healthy(ctx: Context) -> bool:
    """The files are back either way; an unhealthy old stack is reported, not hidden."""
    try:
        ctx.docker.wait_healthy(
            ctx.deploy_dir,
            timeout_s=ctx.settings.health_timeout_s,
            settle_s=ctx.settings.health_settle_s,
            emit=ctx.emit,
            cancel=None,
        )
    except UpgraderError as exc:
        ctx.log("error", f"the restored stack is not healthy: {exc}")
        return False
    return True
