"""Backup jobs the Backups screen runs through the progress screen.

The Docker side (stop before, start and health-gate after) is
``ops.upgrade.backup_with_stop``'s and ``ops.upgrade.restore_with_stop``'s; this
module only turns its outcome into the ``ResultEvent`` the progress screen
shows, exactly like an upgrade's.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from tui_upgrader.core.errors import EXIT_FAILED
from tui_upgrader.core.events import Emit, LogEvent, ResultEvent, Step
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade.plan import Ports

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.store import BackupStore

RESTORE_STEPS = (
    Step.STOPPING_SERVICES,
    Step.RESTORING_BACKUP,
    Step.STARTING_SERVICES,
    Step.VERIFYING_SERVICES,
)
CREATE_STEPS = (
    Step.STOPPING_SERVICES,
    Step.CREATING_BACKUP,
    Step.STARTING_SERVICES,
    Step.VERIFYING_SERVICES,
)


def _failed(exc: Exception, emit: Emit, backup_id: int | None) -> ResultEvent:
    result = ResultEvent.failure(exc, backup_id=backup_id)
    emit(LogEvent("error", result.error or ""))
    return result


SAFE_RESTORE_STEPS = (
    Step.STOPPING_SERVICES,
    Step.CREATING_BACKUP,
    Step.RESTORING_BACKUP,
    Step.STARTING_SERVICES,
    Step.VERIFYING_SERVICES,
)


def installed_version(settings: Settings) -> str | None:
    """The version the deploy dir's state file records (None: unknown or unreadable)."""
    from tui_upgrader.core.errors import UpgraderError
    from tui_upgrader.ops.state import read_state

    try:
        version = read_state(settings.deploy_dir).version
    except UpgraderError:
        return None
    return str(version) if version is not None else None


def restore_backup(
    settings: Settings,
    ports: Ports,
    store: BackupStore,
    backup_id: int,
    data_only: bool,
    emit: Emit,
    *,
    safety_backup: bool = False,
) -> ResultEvent:
    """[Safety backup,] stop, restore, start, gate.

    Not cancellable: the store swaps the tree in one rename. The safety backup
    is a cold manual backup of the state being replaced, so a restore is
    never a one-way door.
    """
    from tui_upgrader.ops.upgrade.backup_with_stop import create_backup
    from tui_upgrader.ops.upgrade.restore_with_stop import restore_backup

    try:
        if safety_backup:
            made = create_backup(
                store,
                ports.docker,
                settings.deploy_dir,
                stop=True,
                version=installed_version(settings),
                note=_("safety backup before restoring #{id}").format(id=backup_id),
                emit=emit,
            )
            emit(
                LogEvent(
                    "info",
                    _("safety backup #{id} holds the state before the restore").format(
                        id=made.record.id
                    ),
                )
            )
        restore_backup(
            store,
            ports.docker,
            backup_id,
            settings.deploy_dir,
            data_only=data_only,
            start=True,
            emit=emit,
        )
    except Exception as exc:
        result = _failed(exc, emit, backup_id)
    else:
        result = ResultEvent(
            success=True,
            from_version=None,
            to_version=None,
            backup_id=backup_id,
            rolled_back=False,
            error=None,
        )
    emit(result)
    return result


def create_backup(
    store: BackupStore,
    ports: Ports,
    settings: Settings,
    version: str | None,
    emit: Emit,
    cancel: threading.Event,
) -> ResultEvent:
    """A cold manual backup: running services are stopped for it and started again."""
    from tui_upgrader.ops.upgrade.backup_with_stop import create_backup

    # The version it holds, even when no manifest was loaded (Backups opened first).
    version = version or installed_version(settings)
    try:
        made = create_backup(
            store,
            ports.docker,
            settings.deploy_dir,
            stop=True,
            version=version,
            note=_("made from the TUI"),
            emit=emit,
            cancel=cancel,
        )
    except Exception as exc:
        result = _failed(exc, emit, None)
    else:
        rid = made.record.id
        if made.restart_error is None:
            result = ResultEvent(
                success=True,
                from_version=version,
                to_version=None,
                backup_id=rid,
                rolled_back=False,
                error=None,
            )
        else:
            # The backup exists; the admin must still learn the stack is down.
            result = ResultEvent(
                success=False,
                from_version=version,
                to_version=None,
                backup_id=rid,
                rolled_back=False,
                error=_("backup {id} was made, but the stack did not come back up: {error}").format(
                    id=rid, error=made.restart_error
                ),
                exit_code=EXIT_FAILED,
            )
    emit(result)
    return result
