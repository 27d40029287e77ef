"""Resolve an interrupted upgrade found in the journal: exactly old or exactly new.

- Killed before the stop: nothing was changed; put image tags back, drop staging.
- Killed after the stop: ``rollback`` undoes the moves, restores data from the
  pre-upgrade backup, re-tags and starts the old stack; ``resume`` redoes the
  (idempotent) moves and carries on from the recorded step, rolling back if
  that fails.
- Killed after the commit: only the clean-up was left; both modes finish it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from tui_upgrader.core.errors import (
    EXIT_FAILED,
    EXIT_OK,
    JournalError,
    OperationError,
    RollbackFailedError,
    UpgraderError,
    error_text,
)
from tui_upgrader.core.events import Emit, ResultEvent, Step
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade._internal.apply import discard_work_dirs
from tui_upgrader.ops.upgrade._internal.commit_or_rollback import (
    ROLLING_BACK,
    cleanup_after_commit,
    finish_upgrade,
    rollback,
    rollback_incomplete,
)
from tui_upgrader.ops.upgrade._internal.notifying import notify_result
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade.journal import (
    Journal,
    clear_journal,
    journal_result,
    read_journal,
)
from tui_upgrader.ops.upgrade.plan import Ports
from tui_upgrader.ops.upgrade.stack_guard import stack_guard
from tui_upgrader.ops.upgrade.two_pass import discard_snapshot

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.store import BackupStore

logger = logging.getLogger(__name__)

RecoverMode = Literal["rollback", "resume"]


def describe(journal: Journal) -> str:
    """One line for the start-up modal and the CLI prompt."""
    where = "after the stack was stopped" if journal.stack_stopped else "before anything stopped"
    return (
        f"An upgrade {journal.from_version or 'first install'} -> {journal.to_version} "
        f"({journal.strategy}) was interrupted at {journal.step.value}, {where}."
    )


def recover(
    settings: Settings,
    ports: Ports,
    mode: RecoverMode,
    emit: Emit,
    cancel: threading.Event | None = None,
) -> ResultEvent:
    journal = read_journal(settings.deploy_dir)
    if journal is None:
        raise JournalError(
            _("{deploy_dir}: no interrupted upgrade to recover").format(
                deploy_dir=settings.deploy_dir
            )
        )
    backups: BackupStore
    if ports.backups is not None:
        backups = ports.backups
    else:
        from tui_upgrader.ops.backup.store import BackupStore

        backups = BackupStore(settings)
    ctx = Context.for_run(settings, ports.docker, backups, emit, cancel or threading.Event())
    ctx.log("info", describe(journal) + f" Recovering by {mode}.")
    failure: Exception | None = None
    try:
        with stack_guard(ctx, "recover"):
            result = _recover(ctx, journal, mode)
    except RollbackFailedError as exc:
        failure = exc
    except JournalError:
        raise  # another process holds the deploy dir: nothing was touched
    except Exception as exc:
        logger.exception("unexpected error during recovery")
        failure = _unexpected(journal, exc)
    if failure is not None:
        result = ResultEvent.failure(
            failure,
            from_version=journal.from_version,
            to_version=journal.to_version,
            backup_id=journal.backup_id,
        )
    if mode == "rollback" and result.rolled_back and result.exit_code == EXIT_FAILED:
        # A rollback was asked for and is whole: that is this command's success,
        # and the interruption it undid is no error of this run.
        result = replace(result, error=None, exit_code=EXIT_OK)
    # Errors quote compose and container output: the same mask as the events.
    result = ctx.redactor.result(result)
    notify_result(settings, result, ctx.emit, recovery=True)
    ctx.emit(result)
    return result


def _unexpected(journal: Journal, exc: Exception) -> UpgraderError:
    """What an error that escaped the recovery means for the stack, in one line."""
    why = error_text(exc)
    if journal.committed:
        return OperationError(
            _(
                "finishing the upgrade to {to_version} failed: {why}; the new "
                "version is in place: run 'tui-upgrader recover --resume' again "
                "once the cause is fixed"
            ).format(to_version=journal.to_version, why=why)
        )
    if not journal.stack_stopped:
        return OperationError(
            _(
                "clearing the staged upgrade failed: {why}; nothing was stopped: "
                "run 'tui-upgrader recover' again once the cause is fixed"
            ).format(why=why)
        )
    return rollback_incomplete("recovery failed", why, journal.backup_id)


def _recover(ctx: Context, journal: Journal, mode: RecoverMode) -> ResultEvent:
    deploy = ctx.deploy_dir
    # The killed run may have died writing the pre-upgrade backup. Under the deploy
    # lock nobody else writes one, so listing lets the store mark that record failed
    # and drop its partial file, instead of leaving it in_progress for the next look.
    with contextlib.suppress(UpgraderError):
        ctx.backups.list()
    if journal.committed:
        journal = cleanup_after_commit(ctx, journal)
        return journal_result(journal, success=True, rolled_back=False, error=None)
    if not journal.stack_stopped:
        with ctx.step(Step.ROLLING_BACK):
            if journal.snapshot is not None:
                ctx.docker.restore_snapshot(journal.snapshot)
            discard_work_dirs(deploy)
            discard_snapshot(deploy)
            clear_journal(deploy)
        ctx.log("info", _("nothing had been stopped or changed; run the upgrade again when ready"))
        return journal_result(
            journal,  # no backup is made before the stop, so it names none
            success=False,
            rolled_back=True,
            error="the upgrade was interrupted before the stop",
            rollback_healthy=True,
            exit_code=EXIT_FAILED,
        )
    if mode == "rollback" or journal.extra.get(ROLLING_BACK):
        if mode == "resume":
            ctx.log(
                "warning", _("a rollback was under way when it stopped: finishing the rollback")
            )
        return rollback(ctx, journal, OperationError(_("the upgrade was interrupted")))
    make_backup = bool(journal.extra.get("make_backup", True))
    return finish_upgrade(ctx, journal, make_backup=make_backup)
