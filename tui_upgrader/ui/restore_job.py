"""Backup jobs the Backups screen runs through the progress screen.

Used when the engine offers no ``restore_flow`` of its own: stopping the stack
before a restore and starting it after is the caller's job, so the steps are
stop -> restore -> start -> health gate, reported like an upgrade's.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from tui_upgrader.core.errors import EXIT_FAILED, UpgraderError
from tui_upgrader.core.events import Emit, LogEvent, ResultEvent, Step, StepEvent
from tui_upgrader.ops.planning import find_compose_file
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade_types import Ports
from tui_upgrader.ui.deps import BackupStoreLike

RESTORE_STEPS = (
    Step.STOPPING_SERVICES,
    Step.RESTORING_BACKUP,
    Step.STARTING_SERVICES,
    Step.VERIFYING_SERVICES,
)


@contextlib.contextmanager
def _step(emit: Emit, step: Step) -> Iterator[None]:
    emit(StepEvent(step, "started"))
    try:
        yield
    except BaseException:
        emit(StepEvent(step, "failed"))
        raise
    emit(StepEvent(step, "finished"))


def _record_id(record: object, fallback: int | None = None) -> int | None:
    value = getattr(record, "id", fallback)
    return value if isinstance(value, int) else fallback


def restore_backup(
    settings: Settings,
    ports: Ports,
    store: BackupStoreLike,
    backup_id: int,
    data_only: bool,
    emit: Emit,
) -> ResultEvent:
    """Stop, restore, start, gate. Not cancellable: a half-restored tree is worse."""
    deploy = settings.deploy_dir
    docker = ports.docker
    stopped_at: float | None = None
    try:
        with _step(emit, Step.STOPPING_SERVICES):
            if find_compose_file(deploy) is not None:
                docker.down(deploy)
            stopped_at = time.monotonic()
        with _step(emit, Step.RESTORING_BACKUP):
            store.restore(backup_id, deploy, data_only=data_only, emit=emit)
        with _step(emit, Step.STARTING_SERVICES):
            if find_compose_file(deploy) is None:
                raise UpgraderError(f"{deploy}: no compose file after the restore")
            docker.up(deploy)
        with _step(emit, Step.VERIFYING_SERVICES):
            docker.wait_healthy(
                deploy,
                timeout_s=settings.health_timeout_s,
                settle_s=settings.health_settle_s,
                emit=emit,
                cancel=None,
            )
    except Exception as exc:
        error = str(exc) or type(exc).__name__
        if stopped_at is not None:
            error += "; the services may still be stopped"
        emit(LogEvent("error", error))
        result = ResultEvent(False, None, None, backup_id, False, error, exit_code=EXIT_FAILED)
    else:
        downtime = time.monotonic() - stopped_at
        result = ResultEvent(True, None, None, backup_id, False, None, downtime_s=downtime)
    emit(result)
    return result


def create_backup(
    store: BackupStoreLike,
    settings: Settings,
    version: str | None,
    emit: Emit,
    cancel: threading.Event,
) -> ResultEvent:
    try:
        with _step(emit, Step.CREATING_BACKUP):
            record = store.create(
                settings.deploy_dir, kind="manual", version=version, emit=emit, cancel=cancel
            )
    except Exception as exc:
        error = str(exc) or type(exc).__name__
        emit(LogEvent("error", error))
        result = ResultEvent(False, version, None, None, False, error, exit_code=EXIT_FAILED)
    else:
        emit(LogEvent("info", f"backup #{_record_id(record)} written"))
        result = ResultEvent(True, version, None, _record_id(record), False, None)
    emit(result)
    return result
