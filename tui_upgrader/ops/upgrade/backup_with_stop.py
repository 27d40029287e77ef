"""``backup create --stop``: the Docker side of a manual backup, which
``ops.backup.store`` leaves to its caller; and, for ``recover``, the start of a
stack a killed backup left stopped.

A running stack is refused unless ``stop`` is set; then it is brought down,
backed up, and brought up again (whether the backup worked or not), so the
command leaves the stack as it found it. A failed restart never hides the
backup's outcome (see ``create_backup``). Both run inside ``stack_guard``.
The restore is ``restore_with_stop``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui_upgrader.core.errors import BackupError, InputError, UpgraderError
from tui_upgrader.core.events import Emit, LogEvent, Step, discard
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.ops.backup.snapshot import Snapshot
from tui_upgrader.ops.ports import DockerPort
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade._internal import stop_start
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade._internal.stop_mark import clear_mark, left_stopped, mark_stopped
from tui_upgrader.ops.upgrade.stack_guard import stack_guard
from tui_upgrader.ops.upgrade.two_pass import (
    discard_snapshot,
    standalone_final,
    standalone_precopy,
)

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.catalogue import BackupRecord
    from tui_upgrader.ops.backup.store import BackupStore


@dataclass(frozen=True, slots=True)
class CreatedBackup:
    """A manual backup that was made, and how the stack came back from it.

    ``restart_error`` is set when the stack stopped for the backup did not come
    back up healthy: the backup is still good, but the admin must look at the
    stack. Unpacks as ``(record, stopped)`` for callers that need only those.
    """

    record: BackupRecord
    stopped: list[str]
    restart_error: str | None = None

    def __iter__(self) -> Iterator[BackupRecord | list[str]]:
        return iter((self.record, self.stopped))


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
    settings = replace(store.settings, deploy_dir=deploy_dir)
    ctx = Context.for_run(settings, docker, store, emit, cancel or threading.Event())
    with stack_guard(ctx, "backup"):
        running = stop_start.running_services(ctx)
        if running and not stop:
            raise BackupError(
                _(
                    "the stack in {deploy_dir} is running ({running}): a backup of "
                    "running services is not consistent; stop it first or pass --stop"
                ).format(deploy_dir=deploy_dir, running=", ".join(running))
            )
        left = left_stopped(deploy_dir)
        if left:
            ctx.emit(LogEvent("warning", _(_LEFT_STOPPED).format(services=", ".join(left))))

        unclean = ""  # how services killed by the stop ended: the backup's note says so

        def create(snapshot: Snapshot | None) -> BackupRecord:
            said = f"crash-consistent: {unclean}" if unclean else ""
            return store.create(
                deploy_dir,
                kind="manual",
                version=version,
                note="; ".join(text for text in (note, said) if text),
                emit=ctx.emit,
                cancel=cancel,
                source=None if snapshot is None else snapshot.parts[0].tree,
                grafts=None if snapshot is None else snapshot.grafts(),
            )

        # Two passes (README "Backups"): the copy while the stack serves, only what
        # changed while it is down, the archive once it is back up.
        snapshot = standalone_precopy(settings, ctx.emit, cancel) if running else None
        if running:
            if ctx.cancel.is_set():  # the pre-copy may have taken minutes: last chance
                discard_snapshot(deploy_dir)
                ctx.check_cancel()
            mark_stopped(deploy_dir, running)  # before the stop: a kill must not hide it
        restart = bool(running or left)
        try:
            if running:
                unclean = stop_start.stop(ctx, running)
            with ctx.step(Step.CREATING_BACKUP):
                if snapshot is not None:
                    standalone_final(snapshot, ctx.emit)
                else:
                    record = create(None)
        except BaseException:
            if restart:
                stop_start.restart(ctx)  # the backup error matters more
                clear_mark(deploy_dir)
            discard_snapshot(deploy_dir)
            raise
        restart_error = stop_start.restart(ctx) if restart else None
        clear_mark(deploy_dir)
        if snapshot is not None:
            try:
                record = create(snapshot)
            finally:
                discard_snapshot(deploy_dir)
        return CreatedBackup(record, running or left, restart_error)


_LEFT_STOPPED = N_(
    "an earlier backup stopped the stack ({services}) and was killed before starting it again; "
    "it is started after this backup"
)


def start_left_stopped(
    docker: DockerPort, store: BackupStore, settings: Settings, emit: Emit = discard
) -> str | None:
    """For ``recover``: start a stack a killed backup left stopped. None: nothing to do.

    Returns what was done (or why it failed), in one line. The killed backup's record
    is marked failed on the way (listing sweeps it: under the deploy lock nobody
    else is writing one).
    """
    ctx = Context.for_run(settings, docker, store, emit, threading.Event())
    with stack_guard(ctx, "recover"):
        if settings.catalogue_path.exists():  # a no-op recover creates nothing
            with contextlib.suppress(UpgraderError):
                store.list()
        left = left_stopped(settings.deploy_dir)
        if not left:
            return None
        error = stop_start.restart(ctx)
        if error is not None:
            return _(
                "the stack a killed backup left stopped ({services}) did not start: {error}"
            ).format(services=", ".join(left), error=error)
        clear_mark(settings.deploy_dir)
        return _("started the stack a killed backup had left stopped ({services})").format(
            services=", ".join(left)
        )
