"""``backup restore``: the Docker side of putting a backup back, which
``ops.backup.store`` leaves to its caller.

The stack is brought down first when the deploy dir has a compose file; on
failure (live tree untouched) it is brought back up; on success it is started
only when asked, from the restored compose file, and health-gated. A restore
that got as far as the stop is announced to ``notify`` either way. Runs inside
``stack_guard``: refused while an interrupted upgrade's journal is in the
deploy dir (``recover`` must resolve it first).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui_upgrader.core.errors import (
    BackupError,
    EngineUnavailableError,
    OperationError,
    UpgraderError,
)
from tui_upgrader.core.events import Emit, LogEvent, Step, discard
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.ports import DockerPort
from tui_upgrader.ops.upgrade._internal import stop_start
from tui_upgrader.ops.upgrade._internal.notifying import installed_version, notify_restore
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade.stack_guard import stack_guard

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.store import BackupStore


def restore_backup(
    store: BackupStore,
    docker: DockerPort,
    backup_id: int,
    deploy_dir: Path,
    *,
    data_only: bool,
    start: bool,
    emit: Emit = discard,
    cancel: threading.Event | None = None,
) -> list[str]:
    """Restore, stopping the stack first; returns the services that were running.

    ``cancel`` is honoured until the stop; after it the restore finishes (or puts
    the old tree back) whatever happens.
    """
    settings = replace(store.settings, deploy_dir=deploy_dir)
    ctx = Context.for_run(settings, docker, store, emit, cancel or threading.Event())
    with stack_guard(ctx, "restore"):
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
        running = stop_start.running_services(ctx)
        from_version = installed_version(deploy_dir)
        t_stop = time.monotonic()

        def tell(failure: Exception | None, *, restored: bool, started: bool = False) -> None:
            notify_restore(
                settings,
                ctx.emit,
                backup_id=backup_id,
                deploy_dir=deploy_dir,
                from_version=from_version,
                downtime_s=time.monotonic() - t_stop if started else None,
                failure=failure,
                restored=restored,
                left_stopped=restored and failure is None and bool(running) and not started,
            )

        try:
            _swap_in(ctx, store, backup_id, running, data_only)
        except Exception as exc:
            tell(exc, restored=False)
            raise
        started = False
        if start:
            if find_compose_file(deploy_dir) is None:
                ctx.emit(
                    LogEvent(
                        "warning", _("the restored tree has no compose file: nothing to start")
                    )
                )
            else:
                try:
                    stop_start.start(ctx)
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
    ctx: Context, store: BackupStore, backup_id: int, running: list[str], data_only: bool
) -> None:
    """Stop the stack and swap the backup's tree in; on failure the stack is put back."""
    ctx.check_cancel()
    if find_compose_file(ctx.deploy_dir) is not None:
        try:
            # A service killed by the stop is named, never a refusal: what the kill
            # left is about to be replaced by the backup.
            stop_start.stop(ctx, running, may_refuse=False)
        except EngineUnavailableError as exc:
            ctx.emit(
                LogEvent(
                    "warning",
                    _("could not stop the stack ({exc}); restoring anyway").format(exc=exc),
                )
            )
    try:
        with ctx.step(Step.RESTORING_BACKUP):
            store.restore(backup_id, ctx.deploy_dir, data_only=data_only, emit=ctx.emit)
    except BaseException:
        if running:
            # The live tree was not touched: put the stack back as it was.
            stop_start.restart(ctx)  # the restore error matters more
        raise
