"""The Docker side of stand-alone backups, which ``ops.backup`` leaves to its caller.

- create: a running stack is refused unless ``stop`` is set; then it is brought
  down, backed up, and brought up again (whether the backup worked or not), so
  the command leaves the stack as it found it.
- restore: the stack is brought down first when the deploy dir has a compose
  file; on failure (live tree untouched) it is brought back up; on success it is
  started only when asked, from the restored compose file, and health-gated.

No engine at all means nothing can be running: that is a warning, not a
refusal, so a backup stays possible while Docker is broken.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from tui_upgrader.core.errors import BackupError, EngineUnavailableError
from tui_upgrader.core.events import Emit, LogEvent, Step, StepEvent, discard
from tui_upgrader.ops.backup import BackupStore
from tui_upgrader.ops.catalogue import BackupRecord
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.ports import DockerPort
from tui_upgrader.ops.settings import Settings

logger = logging.getLogger(__name__)


def _running(docker: DockerPort, deploy_dir: Path, emit: Emit) -> list[str]:
    if find_compose_file(deploy_dir) is None:
        return []
    try:
        return docker.running_services(deploy_dir)
    except EngineUnavailableError as exc:
        emit(LogEvent("warning", f"no Docker engine ({exc}); assuming nothing runs"))
        return []


def _down(docker: DockerPort, deploy_dir: Path, services: list[str], emit: Emit) -> None:
    emit(StepEvent(Step.STOPPING_SERVICES, "started", ", ".join(services)))
    docker.down(deploy_dir)
    emit(StepEvent(Step.STOPPING_SERVICES, "finished"))


def _up(docker: DockerPort, settings: Settings, deploy_dir: Path, emit: Emit) -> None:
    emit(StepEvent(Step.STARTING_SERVICES, "started"))
    docker.up(deploy_dir)
    emit(StepEvent(Step.STARTING_SERVICES, "finished"))
    emit(StepEvent(Step.VERIFYING_SERVICES, "started"))
    docker.wait_healthy(
        deploy_dir,
        timeout_s=settings.health_timeout_s,
        settle_s=settings.health_settle_s,
        emit=emit,
        cancel=None,
    )
    emit(StepEvent(Step.VERIFYING_SERVICES, "finished"))


def create_backup(
    store: BackupStore,
    docker: DockerPort,
    deploy_dir: Path,
    *,
    stop: bool,
    version: str | None,
    note: str = "",
    emit: Emit = discard,
    cancel: threading.Event | None = None,
) -> tuple[BackupRecord, list[str]]:
    """A manual backup; returns it and the services stopped (and restarted) for it."""
    running = _running(docker, deploy_dir, emit)
    if running and not stop:
        raise BackupError(
            f"the stack in {deploy_dir} is running ({', '.join(running)}): a backup of "
            "running services is not consistent; stop it first or pass --stop"
        )
    if running:
        _down(docker, deploy_dir, running, emit)
    try:
        emit(StepEvent(Step.CREATING_BACKUP, "started"))
        record = store.create(
            deploy_dir, kind="manual", version=version, note=note, emit=emit, cancel=cancel
        )
        emit(StepEvent(Step.CREATING_BACKUP, "finished"))
    except BaseException:
        emit(StepEvent(Step.CREATING_BACKUP, "failed"))
        raise
    finally:
        if running:
            _up(docker, store.settings, deploy_dir, emit)
    return record, running


def restore_backup(
    store: BackupStore,
    docker: DockerPort,
    backup_id: int,
    deploy_dir: Path,
    *,
    data_only: bool,
    start: bool,
    emit: Emit = discard,
) -> list[str]:
    """Restore, stopping the stack first; returns the services that were running."""
    record = store.get(backup_id)
    # Refuse what cannot work before anything is stopped.
    if record.status != "completed":
        raise BackupError(f"backup {backup_id} is {record.status}; only a completed one restores")
    if not record.archive_exists():
        raise BackupError(f"backup {backup_id}: archive {record.archive_path} is missing")
    running = _running(docker, deploy_dir, emit)
    if find_compose_file(deploy_dir) is not None:
        try:
            _down(docker, deploy_dir, running, emit)
        except EngineUnavailableError as exc:
            emit(LogEvent("warning", f"could not stop the stack ({exc}); restoring anyway"))
    emit(StepEvent(Step.RESTORING_BACKUP, "started"))
    try:
        store.restore(backup_id, deploy_dir, data_only=data_only, emit=emit)
    except BaseException:
        emit(StepEvent(Step.RESTORING_BACKUP, "failed"))
        if running:
            # The live tree was not touched: put the stack back as it was.
            try:
                _up(docker, store.settings, deploy_dir, emit)
            except Exception as exc:  # the restore error matters more
                logger.error("could not restart the stack after a failed restore: %s", exc)
        raise
    emit(StepEvent(Step.RESTORING_BACKUP, "finished"))
    if start:
        if find_compose_file(deploy_dir) is None:
            emit(LogEvent("warning", "the restored tree has no compose file: nothing to start"))
        else:
            _up(docker, store.settings, deploy_dir, emit)
    return running
