"""The Docker side of stand-alone backups, which ``ops.backup.store`` leaves to its caller.

- create: a running stack is refused unless ``stop`` is set; then it is brought
  down, backed up, and brought up again (whether the backup worked or not), so
  the command leaves the stack as it found it. A failed restart never hides
  the backup's outcome (see ``create_backup``).
- both refuse while an interrupted upgrade's journal is in the deploy dir:
  ``recover`` must resolve it first.
- restore: the stack is brought down first when the deploy dir has a compose
  file; on failure (live tree untouched) it is brought back up; on success it is
  started only when asked, from the restored compose file, and health-gated.
  A restore that got as far as the stop is announced to ``notify`` either way.

No engine at all means nothing can be running: that is a warning, not a
refusal, so a backup stays possible while Docker is broken.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from tui_upgrader.core import display
from tui_upgrader.core.errors import (
    BackupError,
    EngineUnavailableError,
    InputError,
    JournalError,
    OperationError,
    UpgraderError,
)
from tui_upgrader.core.events import Emit, LogEvent, Step, StepEvent, discard
from tui_upgrader.core.i18n import N_, Translated, _
from tui_upgrader.core.stages import Stage
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.ports import BackupPort, BackupRecordView, DockerPort
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.stagelog import stage_log
from tui_upgrader.ops.upgrade.apply import remove_state_temps
from tui_upgrader.ops.upgrade.journal import deploy_lock, read_journal
from tui_upgrader.ops.upgrade.notifying import installed_version, notify_restore
from tui_upgrader.ops.upgrade.stop_mark import clear_mark, left_stopped, mark_stopped
from tui_upgrader.ops.upgrade.two_pass import (
    discard_snapshot,
    standalone_final,
    standalone_precopy,
)

logger = logging.getLogger(__name__)


_INTERRUPTED_WHY = Translated(
    {
        "backup": N_("a backup now would capture a half-applied tree"),
        "restore": N_("a restore now would fight the recovery"),
    }
)


def refuse_interrupted(deploy_dir: Path, action: Literal["backup", "restore"]) -> None:
    """A half-applied upgrade belongs to ``recover``, not to a backup or restore."""
    journal = read_journal(deploy_dir)
    if journal is not None:
        raise JournalError(
            _(
                "{deploy_dir}: an upgrade to {to_version} was interrupted "
                "({step}); run `tui-upgrader recover` first: {why}"
            ).format(
                deploy_dir=deploy_dir,
                to_version=journal.to_version,
                step=journal.step.value,
                why=_INTERRUPTED_WHY[action],
            )
        )


def _running(docker: DockerPort, deploy_dir: Path, emit: Emit) -> list[str]:
    if find_compose_file(deploy_dir) is None:
        return []
    try:
        return docker.running_services(deploy_dir)
    except EngineUnavailableError as exc:
        emit(
            LogEvent(
                "warning", _("no Docker engine ({exc}); assuming nothing runs").format(exc=exc)
            )
        )
        return []


def _down(docker: DockerPort, deploy_dir: Path, services: list[str], emit: Emit) -> None:
    names = ", ".join(services) or "none running"
    emit(StepEvent(Step.STOPPING_SERVICES, "started", ", ".join(services)))
    stage_log(emit, Stage.STOP, services=names)
    docker.down(deploy_dir)
    stage_log(emit, Stage.STOPPED, services=names)
    emit(StepEvent(Step.STOPPING_SERVICES, "finished"))


def _up(docker: DockerPort, settings: Settings, deploy_dir: Path, emit: Emit) -> None:
    step = Step.STARTING_SERVICES
    try:
        emit(StepEvent(step, "started"))
        stage_log(emit, Stage.START, path=deploy_dir)
        docker.up(deploy_dir)
        stage_log(emit, Stage.STARTED, project=settings.project_name or deploy_dir.name)
        emit(StepEvent(step, "finished"))
        step = Step.VERIFYING_SERVICES
        emit(StepEvent(step, "started"))
        started = time.monotonic()
        try:
            docker.wait_healthy(
                deploy_dir,
                timeout_s=settings.health_timeout_s,
                settle_s=settings.health_settle_s,
                emit=emit,
                cancel=None,
            )
        except Exception as exc:
            stage_log(emit, Stage.HEALTH_FAILED, reason=str(exc) or type(exc).__name__)
            raise
        waited = display.duration(time.monotonic() - started)
        stage_log(emit, Stage.HEALTH_OK, waited=waited, services="every service")
        emit(StepEvent(step, "finished"))
    except BaseException:
        emit(StepEvent(step, "failed"))
        raise


def _restart(docker: DockerPort, settings: Settings, deploy_dir: Path, emit: Emit) -> str | None:
    """``_up`` for after an operation: its failure is returned (and logged), never
    raised, so it cannot replace the operation's own outcome."""
    try:
        _up(docker, settings, deploy_dir, emit)
    except Exception as exc:
        error = str(exc) or type(exc).__name__
        logger.error("the stack in %s did not come back up: %s", deploy_dir, error)
        emit(LogEvent("error", _("the stack did not come back up: {error}").format(error=error)))
        return error
    return None


@dataclass(frozen=True, slots=True)
class CreatedBackup:
    """A manual backup that was made, and how the stack came back from it.

    ``restart_error`` is set when the stack stopped for the backup did not come
    back up healthy: the backup is still good, but the admin must look at the
    stack. Unpacks as ``(record, stopped)`` for callers that need only those.
    """

    record: BackupRecordView
    stopped: list[str]
    restart_error: str | None = None

    def __iter__(self) -> Iterator[BackupRecordView | list[str]]:
        return iter((self.record, self.stopped))


def create_backup(
    store: BackupPort,
    docker: DockerPort,
    deploy_dir: Path,
    *,
    stop: bool,
    version: str | None,
    note: str = "",
    emit: Emit = discard,
    cancel: threading.Event | None = None,
) -> CreatedBackup:
    """A manual backup, with the services stopped for it started again.

    The restart never replaces the backup's outcome: a failed backup raises its
    own error (a failed restart is logged beside it), and a backup that was made
    is returned even when the restart failed (``restart_error``).
    """
    if not deploy_dir.is_dir():
        raise InputError(
            _("{deploy_dir}: no such deploy dir to back up").format(deploy_dir=deploy_dir)
        )
    # One tool at a time per deploy dir: an upgrade, a recovery or another
    # backup/restore would otherwise stop or swap the tree under this one.
    with deploy_lock(deploy_dir):
        refuse_interrupted(deploy_dir, "backup")
        discard_snapshot(deploy_dir)  # of a killed earlier run
        running = _running(docker, deploy_dir, emit)
        if running and not stop:
            raise BackupError(
                _(
                    "the stack in {deploy_dir} is running ({running}): a backup of "
                    "running services is not consistent; stop it first or pass --stop"
                ).format(deploy_dir=deploy_dir, running=", ".join(running))
            )
        left = left_stopped(deploy_dir)
        if left:
            emit(LogEvent("warning", _(_LEFT_STOPPED).format(services=", ".join(left))))
        # Two passes (README "Backups"): the copy while the stack serves, only what
        # changed while it is down, the archive once it is back up.
        snapshot = None
        if running:
            snapshot = standalone_precopy(
                replace(store.settings, deploy_dir=deploy_dir), emit, cancel
            )
            mark_stopped(deploy_dir, running)  # before the stop: a kill must not hide it
            _down(docker, deploy_dir, running, emit)
        restart = bool(running or left)
        try:
            emit(StepEvent(Step.CREATING_BACKUP, "started"))
            if snapshot is not None:
                standalone_final(snapshot, emit)
            else:
                record = store.create(
                    deploy_dir, kind="manual", version=version, note=note, emit=emit, cancel=cancel
                )
            emit(StepEvent(Step.CREATING_BACKUP, "finished"))
        except BaseException:
            emit(StepEvent(Step.CREATING_BACKUP, "failed"))
            if restart:
                _restart(docker, store.settings, deploy_dir, emit)  # the backup error matters more
                clear_mark(deploy_dir)
            discard_snapshot(deploy_dir)
            raise
        restart_error = _restart(docker, store.settings, deploy_dir, emit) if restart else None
        clear_mark(deploy_dir)
        if snapshot is not None:
            try:
                record = store.create(
                    deploy_dir,
                    kind="manual",
                    version=version,
                    note=note,
                    emit=emit,
                    cancel=cancel,
                    source=snapshot.parts[0].tree,
                    grafts=snapshot.grafts(),
                )
            finally:
                discard_snapshot(deploy_dir)
        return CreatedBackup(record, running or left, restart_error)


_LEFT_STOPPED = N_(
    "an earlier backup stopped the stack ({services}) and was killed before starting it again; "
    "it is started after this backup"
)


def start_left_stopped(
    docker: DockerPort, store: BackupPort, settings: Settings, emit: Emit = discard
) -> str | None:
    """For ``recover``: start a stack a killed backup left stopped. None: nothing to do.

    Returns what was done (or why it failed), in one line. The killed backup's record
    is marked failed on the way (listing sweeps it: under the deploy lock nobody
    else is writing one).
    """
    deploy_dir = settings.deploy_dir
    with deploy_lock(deploy_dir):
        # A kill in the middle of the journal's first write leaves only its temp file.
        remove_state_temps(deploy_dir)
        discard_snapshot(deploy_dir)  # a killed two-pass backup's copy
        if settings.catalogue_path.exists():  # a no-op recover creates nothing
            with contextlib.suppress(UpgraderError):
                store.list()
        left = left_stopped(deploy_dir)
        if not left:
            return None
        error = _restart(docker, settings, deploy_dir, emit)
        if error is not None:
            return _(
                "the stack a killed backup left stopped ({services}) did not start: {error}"
            ).format(services=", ".join(left), error=error)
        clear_mark(deploy_dir)
        return _("started the stack a killed backup had left stopped ({services})").format(
            services=", ".join(left)
        )


def restore_backup(
    store: BackupPort,
    docker: DockerPort,
    backup_id: int,
    deploy_dir: Path,
    *,
    data_only: bool,
    start: bool,
    emit: Emit = discard,
) -> list[str]:
    """Restore, stopping the stack first; returns the services that were running."""
    # One tool at a time per deploy dir: an upgrade, a recovery or another
    # backup/restore would otherwise stop or swap the tree under this one.
    with deploy_lock(deploy_dir):
        refuse_interrupted(deploy_dir, "restore")
        record = store.get(backup_id)
        # Refuse what cannot work before anything is stopped.
        if record.status != "completed":
            raise BackupError(
                _("backup {backup_id} is {status}; only a completed one restores").format(
                    backup_id=backup_id, status=record.status
                )
            )
        if not record.archive_exists():
            raise BackupError(
                _("backup {backup_id}: archive {archive_path} is missing").format(
                    backup_id=backup_id, archive_path=record.archive_path
                )
            )
        # A corrupt archive is refused while the stack still runs: checking costs one
        # read of the archive, a needless stop costs the admin downtime.
        report = store.verify(backup_id)
        if not report.ok:
            raise BackupError(
                _("backup {backup_id} cannot be restored: {detail}").format(
                    backup_id=backup_id, detail=report.detail
                )
            )
        running = _running(docker, deploy_dir, emit)
        from_version = installed_version(deploy_dir)
        t_stop = time.monotonic()

        def tell(failure: Exception | None, *, restored: bool, started: bool = False) -> None:
            notify_restore(
                store.settings,
                emit,
                backup_id=backup_id,
                deploy_dir=deploy_dir,
                from_version=from_version,
                downtime_s=time.monotonic() - t_stop if started else None,
                failure=failure,
                restored=restored,
                left_stopped=restored and failure is None and bool(running) and not started,
            )

        try:
            _swap_in(store, docker, backup_id, deploy_dir, running, data_only, emit)
        except Exception as exc:
            tell(exc, restored=False)
            raise
        started = False
        if start:
            if find_compose_file(deploy_dir) is None:
                emit(
                    LogEvent(
                        "warning", _("the restored tree has no compose file: nothing to start")
                    )
                )
            else:
                try:
                    _up(docker, store.settings, deploy_dir, emit)
                except UpgraderError as exc:
                    # Said so, or the admin reads "failed" and restores again.
                    failure = OperationError(
                        _(
                            "backup {backup_id} was restored into {deploy_dir}, but the "
                            "stack did not come up healthy: {message}"
                        ).format(backup_id=backup_id, deploy_dir=deploy_dir, message=exc.message)
                    )
                    tell(failure, restored=True)
                    raise failure from exc
                except Exception as exc:
                    tell(exc, restored=True)
                    raise
                started = True
        tell(None, restored=True, started=started)
        return running


def _swap_in(
    store: BackupPort,
    docker: DockerPort,
    backup_id: int,
    deploy_dir: Path,
    running: list[str],
    data_only: bool,
    emit: Emit,
) -> None:
    """Stop the stack and swap the backup's tree in; on failure the stack is put back."""
    if find_compose_file(deploy_dir) is not None:
        try:
            _down(docker, deploy_dir, running, emit)
        except EngineUnavailableError as exc:
            emit(
                LogEvent(
                    "warning",
                    _("could not stop the stack ({exc}); restoring anyway").format(exc=exc),
                )
            )
    emit(StepEvent(Step.RESTORING_BACKUP, "started"))
    try:
        store.restore(backup_id, deploy_dir, data_only=data_only, emit=emit)
    except BaseException:
        emit(StepEvent(Step.RESTORING_BACKUP, "failed"))
        if running:
            # The live tree was not touched: put the stack back as it was.
            _restart(docker, store.settings, deploy_dir, emit)  # the restore error matters more
        raise
    emit(StepEvent(Step.RESTORING_BACKUP, "finished"))
