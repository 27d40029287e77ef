"""The critical section: from the stop to a committed upgrade, or a rollback.

Shared by ``runner`` (straight through) and ``recovery`` (``--resume`` after a
kill). Everything here is driven by the journal, so the same code finishes
an upgrade no matter where the previous process died. Cancellation is ignored
on purpose: once the stack is going down, the only ways out are forward or back.

Order of the point of no return: the journal is marked ``committed`` *before*
``state.toml`` gets the new version, so a kill between the two is finished
forward (the clean-up rewrites the state) and a rollback never meets a state
file that already claims the new version.
"""

from __future__ import annotations

import logging
import time

from tui_upgrader.core.errors import (
    EXIT_FAILED,
    EXIT_ROLLBACK_FAILED,
    RollbackFailedError,
    UpgraderError,
)
from tui_upgrader.core.events import ResultEvent, Step
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.apply import apply_moves, discard_work_dirs, undo_moves
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.journal import Journal, clear_journal, write_journal
from tui_upgrader.ops.state import read_state, record_upgrade
from tui_upgrader.ops.steps import Context

logger = logging.getLogger(__name__)

ROLLING_BACK = "rolling_back"


def _gate(ctx: Context) -> None:
    ctx.docker.wait_healthy(
        ctx.deploy_dir,
        timeout_s=ctx.settings.health_timeout_s,
        settle_s=ctx.settings.health_settle_s,
        emit=ctx.emit,
        cancel=None,
    )


def finish_upgrade(ctx: Context, journal: Journal, *, make_backup: bool) -> ResultEvent:
    """Stop -> backup -> apply -> start -> health gate -> commit; rolls back on failure."""
    deploy = ctx.deploy_dir
    t_stop = time.monotonic()  # downtime counts from the start of the stop
    try:
        if journal.step is Step.STOPPING_SERVICES:
            with ctx.step(Step.STOPPING_SERVICES):
                if find_compose_file(deploy) is not None:
                    ctx.docker.down(deploy)
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
            _gate(ctx)
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
    if journal.backup_id is not None:
        return journal  # made before a kill; the journal says so
    with ctx.step(Step.CREATING_BACKUP):
        record = ctx.backups.create(
            deploy,
            kind="pre-upgrade",
            version=journal.from_version,
            from_version=journal.from_version,
            to_version=journal.to_version,
            emit=ctx.emit,
        )
    journal = journal.advance(Step.CREATING_BACKUP, backup_id=record.id)
    write_journal(deploy, journal)
    ctx.log("info", f"pre-upgrade backup {journal.backup_id} created")
    return journal


def commit(ctx: Context, journal: Journal, downtime: float | None) -> ResultEvent:
    """The health gate passed: mark the journal committed, then record the version."""
    journal = journal.advance(Step.CLEANING_UP, committed=True)
    journal.extra["downtime_s"] = downtime
    write_journal(ctx.deploy_dir, journal)
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
    """Idempotent: writes the state (if a kill came first), drops work dirs, prunes."""
    deploy = ctx.deploy_dir
    with ctx.step(Step.CLEANING_UP):
        target = Version.parse(journal.to_version)
        if read_state(deploy).version != target:
            downtime = journal.extra.get("downtime_s")
            record_upgrade(
                deploy,
                from_version=Version.parse(journal.from_version) if journal.from_version else None,
                to_version=target,
                strategy=journal.strategy,
                backup_id=journal.backup_id,
                downtime_s=float(downtime) if isinstance(downtime, int | float) else None,
            )
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
    # From here the only way is back, even after a kill: recovery reads this flag.
    journal.extra[ROLLING_BACK] = True
    write_journal(deploy, journal)
    problems: list[str] = []
    healthy = False
    was_running = journal.snapshot is not None and bool(journal.snapshot.services)
    try:
        with ctx.step(Step.ROLLING_BACK):
            if find_compose_file(deploy) is not None:
                try:
                    ctx.docker.down(deploy)
                except UpgraderError as exc:
                    ctx.log("warning", f"could not stop the new containers cleanly: {exc}")
            undo_moves(deploy, journal.moves, journal.created_dirs)
            problems += _restore_data(ctx, journal)
            if journal.snapshot is not None:
                ctx.docker.restore_snapshot(journal.snapshot)
            discard_work_dirs(deploy)
            if was_running and find_compose_file(deploy) is not None:
                ctx.docker.up(deploy)
                healthy = _old_stack_healthy(ctx)
            clear_journal(deploy)
    except Exception as exc:  # reported as the worst case below
        message = f"{error}; rollback failed too: {exc}"
        if journal.backup_id is not None:
            message += f"; the pre-upgrade backup is #{journal.backup_id}"
        ctx.log("error", message)
        failure = RollbackFailedError(message)
        failure.backup_id = journal.backup_id
        raise failure from exc
    ctx.log("info", "rolled back to " + (journal.from_version or "the previous state"))
    ok = (healthy or not was_running) and not problems
    return ResultEvent(
        success=False,
        from_version=journal.from_version,
        to_version=journal.to_version,
        backup_id=journal.backup_id,
        rolled_back=True,
        error="; ".join([error, *problems]),
        rollback_healthy=healthy if was_running else None,
        # An old stack that is back but unhealthy, or data not restored, needs the admin.
        exit_code=EXIT_FAILED if ok else EXIT_ROLLBACK_FAILED,
    )


def _restore_data(ctx: Context, journal: Journal) -> list[str]:
    """The new containers may have migrated data/ before failing: take it from the backup.

    A failure here must not keep the old stack down: it is reported, and the
    admin is told exactly which command finishes the job.
    """
    applied = journal.step not in (Step.STOPPING_SERVICES, Step.CREATING_BACKUP)
    if journal.backup_id is None or not applied or not (ctx.deploy_dir / "data").is_dir():
        return []
    try:
        ctx.backups.restore(journal.backup_id, ctx.deploy_dir, data_only=True, emit=ctx.emit)
    except Exception as exc:
        text = (
            f"data/ could not be restored from backup #{journal.backup_id} ({exc}); run "
            f"'tui-upgrader backup restore {journal.backup_id} --data-only' once the cause is fixed"
        )
        ctx.log("error", text)
        return [text]
    return []


def _old_stack_healthy(ctx: Context) -> bool:
    """The files are back either way; an unhealthy old stack is reported, not hidden."""
    try:
        _gate(ctx)
    except UpgraderError as exc:
        ctx.log("error", f"the restored stack is not healthy: {exc}")
        return False
    return True
