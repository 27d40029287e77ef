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
from dataclasses import replace
from pathlib import Path

from tui_upgrader.core import display
from tui_upgrader.core.errors import (
    EXIT_FAILED,
    EXIT_ROLLBACK_FAILED,
    ROLLBACK_FAILED,
    RollbackFailedError,
    UpgraderError,
    error_text,
)
from tui_upgrader.core.events import ResultEvent, Step
from tui_upgrader.core.i18n import _
from tui_upgrader.core.paths import STATE_DIR_NAME
from tui_upgrader.core.stages import Stage
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.state import read_state, record_upgrade
from tui_upgrader.ops.upgrade._internal.apply import apply_moves, discard_work_dirs, undo_moves
from tui_upgrader.ops.upgrade._internal.checked_stop import stop_stack
from tui_upgrader.ops.upgrade._internal.pre_backup import restore_data, with_backup
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade.journal import Journal, clear_journal, journal_result, write_journal
from tui_upgrader.ops.upgrade.outage import BACKUP_S, Outage, mark_stop, measure
from tui_upgrader.ops.upgrade.outage import record_rolled_back as outage_recorded
from tui_upgrader.ops.upgrade.two_pass import (
    SNAPSHOT,
    archive_snapshot,
    discard_snapshot,
    final_pass,
    pre_upgrade_archive,
    restore_from_snapshot,
    snapshot_state,
)

logger = logging.getLogger(__name__)

HAD_DATA = "had_data"  # journal.extra: data/ existed when the backup was taken

ROLLING_BACK = "rolling_back"


def _gate(ctx: Context) -> float | None:
    """The health gate; returns when every service first passed (monotonic) if known."""
    return ctx.docker.wait_healthy(
        ctx.deploy_dir,
        timeout_s=ctx.settings.health_timeout_s,
        settle_s=ctx.settings.health_settle_s,
        emit=ctx.emit,
        cancel=None,
    )


def _services(journal: Journal) -> str:
    snapshot = journal.snapshot
    names = [s.service for s in snapshot.services] if snapshot is not None else []
    return ", ".join(dict.fromkeys(names)) or "none running"


def _project(ctx: Context, journal: Journal) -> str:
    """The compose project that was used: the same one ``up`` just started."""
    try:
        return ctx.docker.compose_project(ctx.deploy_dir)
    except UpgraderError as exc:  # a log line must never fail a started stack
        logger.warning("could not name the compose project: %s", exc)
        return journal.snapshot.project if journal.snapshot is not None else "?"


def _gate_noted(ctx: Context, services: str) -> float | None:
    """The health gate, with its verdict as a stage line either way."""
    started = time.monotonic()
    try:
        first_passing = _gate(ctx)
    except Exception as exc:
        ctx.note(Stage.HEALTH_FAILED, reason=error_text(exc))
        raise
    waited = display.duration(time.monotonic() - started)
    ctx.note(Stage.HEALTH_OK, waited=waited, services=services)
    return first_passing


def finish_upgrade(ctx: Context, journal: Journal, *, make_backup: bool) -> ResultEvent:
    """Stop -> backup -> apply -> start -> health gate -> commit; rolls back on failure."""
    deploy = ctx.deploy_dir
    mark_stop(journal)  # normally done by the runner; journals from before #21 lack it
    try:
        if journal.step is Step.STOPPING_SERVICES:
            with ctx.step(Step.STOPPING_SERVICES):
                if find_compose_file(deploy) is not None:
                    ctx.note(Stage.STOP, services=_services(journal))
                    journal = stop_stack(ctx, journal)
                    ctx.note(Stage.STOPPED, services=_services(journal))
        if journal.step in (Step.STOPPING_SERVICES, Step.CREATING_BACKUP):
            t_backup = time.monotonic()
            journal = _backup(ctx, journal, make_backup)
            # The backup's share of the stop window, for the next expected downtime.
            journal.extra.setdefault(BACKUP_S, time.monotonic() - t_backup)
        journal = journal.advance(Step.APPLYING_UPDATE)
        write_journal(deploy, journal)
        with ctx.step(Step.APPLYING_UPDATE):
            apply_moves(deploy, journal.moves, journal.created_dirs)
        journal = journal.advance(Step.STARTING_SERVICES)
        write_journal(deploy, journal)
        with ctx.step(Step.STARTING_SERVICES):
            ctx.note(Stage.START, path=deploy)
            ctx.docker.up(deploy)
            ctx.note(Stage.STARTED, project=_project(ctx, journal))
        journal = journal.advance(Step.VERIFYING_SERVICES)
        write_journal(deploy, journal)
        with ctx.step(Step.VERIFYING_SERVICES):
            first_passing = _gate_noted(ctx, _("every service of the new release"))
        outage = measure(journal, first_passing)
    except Exception as exc:  # every failure after the stop rolls back, whatever it is
        return rollback(ctx, journal, exc)
    return commit(ctx, journal, outage)


def rollback_incomplete(cause: str, why: str, backup_id: int | None) -> RollbackFailedError:
    """The worst case in one line: what failed, that the stack may be down, what to run.

    The journal is still there (it is cleared only by a finished rollback), so
    ``recover --rollback`` picks the rollback up again.
    """
    message = (
        cause
        + _(ROLLBACK_FAILED)
        + _(
            "{why}; the stack may be down: run 'tui-upgrader recover --rollback' "
            "once the cause is fixed"
        ).format(why=why)
    )
    if backup_id is not None:
        message += _(" (the pre-upgrade backup is #{id})").format(id=backup_id)
    return RollbackFailedError(message, cause=cause, backup_id=backup_id)


def _backup(ctx: Context, journal: Journal, make_backup: bool) -> Journal:
    deploy = ctx.deploy_dir
    journal = journal.advance(Step.CREATING_BACKUP)
    write_journal(deploy, journal)
    if not make_backup:
        ctx.skip(Step.CREATING_BACKUP, "--no-backup: data cannot be restored if this fails")
        return journal
    if journal.backup_id is not None:
        return journal  # made before a kill; the journal says so
    if _nothing_installed(deploy):
        # A first install: an empty "pre-upgrade" backup would only take a
        # backup_keep slot, and a rollback has nothing to take from it.
        discard_snapshot(deploy)
        journal.extra.pop(SNAPSHOT, None)
        ctx.skip(Step.CREATING_BACKUP, "first install: the deploy dir is empty")
        return journal
    if snapshot_state(journal) in ("precopied", "final"):
        return final_pass(ctx, journal, HAD_DATA)
    with ctx.step(Step.CREATING_BACKUP):
        ctx.note(Stage.BACKUP_START, path=deploy)
        record = pre_upgrade_archive(ctx, journal, None)
    journal = with_backup(journal, record, ctx.backups.settings.catalogue_path)
    # Whether a rollback takes data/ from this backup is decided by what the
    # backup holds, not by what the failed version left behind.
    journal.extra[HAD_DATA] = (deploy / "data").is_dir()
    write_journal(deploy, journal)
    ctx.note(Stage.BACKUP_DONE, backup_id=record.id, path=record.archive_path)
    return journal


def _nothing_installed(deploy: Path) -> bool:
    """Nothing in the deploy dir but the tool's own work files (journal, staging)."""
    if not deploy.is_dir():
        return True
    return all(entry.name == STATE_DIR_NAME for entry in deploy.iterdir())


def commit(ctx: Context, journal: Journal, outage: Outage) -> ResultEvent:
    """The health gate passed: mark the journal committed, then record the version.

    Until the committed journal is on disk the old version is the one on record,
    so a failure to write it (a full disk) rolls back like any other. After it,
    the upgrade stands: a failed clean-up is reported with the command that
    finishes it.
    """
    downtime = outage.downtime_s
    committed = journal.advance(Step.CLEANING_UP, committed=True)
    committed.extra["downtime_s"] = downtime
    committed.extra["settle_s"] = outage.settle_s
    try:
        write_journal(ctx.deploy_dir, committed)
    except Exception as exc:
        return rollback(ctx, journal, exc)
    journal = committed
    try:
        journal = cleanup_after_commit(ctx, journal)
    except Exception as exc:
        logger.exception("clean-up after the commit failed")
        text = _(
            "upgraded to {version} and the new stack passed its health gate, "
            "but the clean-up failed: {error}; run 'tui-upgrader recover --resume' "
            "to finish it"
        ).format(version=journal.to_version, error=error_text(exc))
        ctx.log("error", text)
        return journal_result(
            journal,
            success=False,
            rolled_back=False,
            error=text,
            downtime_s=downtime,
            exit_code=EXIT_FAILED,
            settle_s=outage.settle_s,
        )
    return journal_result(
        journal,
        success=True,
        rolled_back=False,
        error=None,
        downtime_s=downtime,
        settle_s=outage.settle_s,
    )


def cleanup_after_commit(ctx: Context, journal: Journal) -> Journal:
    """Idempotent: the archive from the pre-copy snapshot (if any), the state (if a
    kill came first), work dirs dropped, old backups pruned; returns the journal."""
    deploy = ctx.deploy_dir
    with ctx.step(Step.CLEANING_UP):
        if snapshot_state(journal) == "final":
            journal = archive_snapshot(ctx, journal)
        target = Version.parse(journal.to_version)
        if read_state(deploy).version != target:
            downtime = journal.extra.get("downtime_s")
            settle = journal.extra.get("settle_s")
            backup_s = journal.extra.get(BACKUP_S)
            record_upgrade(
                deploy,
                from_version=Version.parse(journal.from_version) if journal.from_version else None,
                to_version=target,
                strategy=journal.strategy,
                backup_id=journal.backup_id,
                downtime_s=float(downtime) if isinstance(downtime, int | float) else None,
                settle_s=float(settle) if isinstance(settle, int | float) else None,
                backup_s=float(backup_s) if isinstance(backup_s, int | float) else None,
            )
        discard_work_dirs(deploy)
        if journal.backup_id is not None:
            try:
                pruned = ctx.backups.prune(ctx.settings.backup_keep, journal.backup_id)
            except UpgraderError as exc:
                # The upgrade itself succeeded; an old backup we could not prune
                # is worth a warning, not a failure.
                ctx.log("warning", _("could not prune old backups: {exc}").format(exc=exc))
            else:
                if pruned:
                    ctx.log(
                        "info", _("pruned old pre-upgrade backups: {pruned}").format(pruned=pruned)
                    )
        clear_journal(deploy)
    with ctx.step(Step.COMPLETED):
        ctx.note(
            Stage.UPGRADE_DONE,
            from_version=Version.parse(journal.from_version).short
            if journal.from_version
            else "nothing",
            to_version=Version.parse(journal.to_version).short,
        )
    return journal


class _IncompleteError(Exception):
    """The files are back but the old stack is not whole (unhealthy, data/ not restored)."""


def rollback(ctx: Context, journal: Journal, cause: BaseException) -> ResultEvent:
    """Put back files, compose file, .env, data and image tags; start and verify the old stack.

    The result's ``rolled_back`` is true only for a whole rollback: the files
    (files, compose file, ``.env``), data/ from the pre-upgrade backup, the image
    tags, and the old stack healthy again (``rollback_healthy``; None: it was not
    running before). Anything less is exit 3 with ``rolled_back`` false, the
    ``RollingBack`` step ``failed``, and the error saying in one line what is
    back and what is not (``put_back`` / ``not_restored`` hold the same parts).
    When the files cannot all be put back this raises ``RollbackFailedError``.
    """
    deploy = ctx.deploy_dir
    error = error_text(cause)
    ctx.note(Stage.ROLLBACK_START, reason=error)
    _mark_rolling_back(ctx, journal)
    old = journal.from_version or _("the previous state")
    put_back: list[str] = []
    problems: list[str] = []
    healthy = False
    outage = Outage(None, None)
    was_running = journal.snapshot is not None and bool(journal.snapshot.services)
    try:
        with ctx.step(Step.ROLLING_BACK):
            if find_compose_file(deploy) is not None:
                ctx.note(Stage.ROLLBACK_ACTION, action=_("stopping the new containers"))
                try:
                    ctx.engine_retry(
                        _("stopping the new containers"), lambda: ctx.docker.down(deploy)
                    )
                except UpgraderError as exc:
                    ctx.log(
                        "warning",
                        _("could not stop the new containers cleanly: {exc}").format(exc=exc),
                    )
            ctx.note(Stage.ROLLBACK_ACTION, action=_("putting back the previous files"))
            undo_moves(deploy, journal.moves, journal.created_dirs)
            put_back.append(_("the files, compose file and .env of {version}").format(version=old))
            if _takes_data(ctx, journal):
                ctx.note(
                    Stage.ROLLBACK_ACTION,
                    action=_("restoring data/ from backup #{id}").format(id=journal.backup_id),
                )
                if snapshot_state(journal) == "final":
                    problem = restore_from_snapshot(ctx, journal)
                else:
                    problem = restore_data(ctx, journal)
                if problem is None:
                    put_back.append(_("data/ from backup #{id}").format(id=journal.backup_id))
                else:
                    problems.append(problem)
            snapshot = journal.snapshot
            if snapshot is not None:
                ctx.note(Stage.ROLLBACK_ACTION, action=_("restoring the previous image tags"))
                ctx.engine_retry(
                    _("putting the old image tags back"),
                    lambda: ctx.docker.restore_snapshot(snapshot),
                )
                put_back.append(_("the old image tags"))
            discard_work_dirs(deploy)
            if was_running and find_compose_file(deploy) is not None:
                ctx.note(Stage.ROLLBACK_ACTION, action=_("starting the previous stack"))
                ctx.engine_retry(_("starting the old stack"), lambda: ctx.docker.up(deploy))
                unhealthy, first_passing = _old_stack_unhealthy(ctx)
                healthy = unhealthy is None
                if healthy:
                    outage = measure(journal, first_passing)
                if unhealthy is not None:
                    problems.append(
                        _("the old stack was put back but is not healthy: {reason}").format(
                            reason=unhealthy
                        )
                    )
                elif problems:
                    put_back.append(_("the old stack running and healthy on data/ as it was left"))
                else:
                    put_back.append(_("the old stack running and healthy"))
            # The old stack serves again: removing the failed version's data (now in
            # the snapshot) costs no downtime.
            discard_snapshot(deploy)
            outage_recorded(ctx, journal, outage)
            clear_journal(deploy)
            if problems:
                raise _IncompleteError  # marks the step failed
    except _IncompleteError:
        pass
    except Exception as exc:  # the files may not all be back: the worst case
        failure = rollback_incomplete(
            _("upgrade failed: {error}").format(error=error), error_text(exc), journal.backup_id
        )
        ctx.note(Stage.ROLLBACK_FAILED, reason=failure.message)
        raise failure from exc
    if not problems:
        ctx.note(Stage.ROLLBACK_DONE, version=old)
        return journal_result(
            journal,
            success=False,
            rolled_back=True,
            error=error,
            rollback_healthy=healthy if was_running else None,
            exit_code=EXIT_FAILED,
            downtime_s=outage.downtime_s,
            settle_s=outage.settle_s,
        )
    # Part of the way back is missing: the admin must act, and must know on what.
    failed = _("upgrade failed: {error}").format(error=error)
    text = (
        failed
        + _(ROLLBACK_FAILED)
        + _("{problems}; put back: {put_back}").format(
            problems="; ".join(problems), put_back=", ".join(put_back)
        )
    )
    ctx.note(Stage.ROLLBACK_FAILED, reason=text)
    return replace(
        journal_result(
            journal,
            success=False,
            rolled_back=False,
            error=text,
            rollback_healthy=healthy if was_running else None,
            exit_code=EXIT_ROLLBACK_FAILED,
        ),
        put_back=tuple(put_back),
        not_restored=tuple(problems),
        cause=failed,
    )


def _mark_rolling_back(ctx: Context, journal: Journal) -> None:
    """From here the only way is back, even after a kill: recovery reads this flag.

    Best effort: a journal that cannot be written (a full disk) must not keep
    the old stack down. Without the flag a later ``recover`` sees the step the
    journal last recorded, which it can still roll back.
    """
    journal.extra[ROLLING_BACK] = True
    try:
        write_journal(ctx.deploy_dir, journal)
    except Exception as exc:
        ctx.log(
            "warning",
            _("could not record the rollback in the journal ({error}); rolling back anyway").format(
                error=error_text(exc)
            ),
        )


def _takes_data(ctx: Context, journal: Journal) -> bool:
    """The new containers may have migrated data/ before failing: it comes from the backup
    when there is one, the apply had begun, and the backup holds a data/."""
    applied = journal.step not in (Step.STOPPING_SERVICES, Step.CREATING_BACKUP)
    # Journals from before HAD_DATA was recorded: the live tree is all we know.
    had_data = journal.extra.get(HAD_DATA, (ctx.deploy_dir / "data").is_dir())
    backed_up = journal.backup_id is not None or snapshot_state(journal) == "final"
    return backed_up and applied and bool(had_data)


def _old_stack_unhealthy(ctx: Context) -> tuple[str | None, float | None]:
    """Why the restored stack failed its gate (None: it passed), and when every
    service first passed: reported, not hidden."""
    try:
        first_passing = _gate_noted(ctx, _("every service of the previous release"))
    except UpgraderError as exc:
        ctx.log("error", _("the restored stack is not healthy: {exc}").format(exc=exc))
        return exc.message, None
    return None, first_passing
