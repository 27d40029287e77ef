"""The questions the Backups screen asks before it changes anything."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tui_upgrader.core import display
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ui.backup_rows import BackupRow
from tui_upgrader.ui.planview import strategy_words
from tui_upgrader.ui.screens.confirm import ConfirmModal, RestoreModal

if TYPE_CHECKING:
    from tui_upgrader.ops.upgrade.planning import Plan


def start_modal(plan: Plan, settings: Settings, *, make_backup: bool) -> ConfirmModal:
    decision = plan.decision
    backup = (
        _("A cold pre-upgrade backup is made right after the stop.")
        if make_backup
        else _("NO pre-upgrade backup: data changes cannot be undone if the upgrade fails.")
    )
    lines = [
        _("{plan} in {deploy_dir}.").format(
            plan=strategy_words(decision), deploy_dir=settings.deploy_dir
        ),
        _("Download, extract and image loading run while the services keep running."),
        _(
            "Then the services stop; they are down until the health gate passes "
            "(at most {duration} after the start)."
        ).format(duration=display.duration(settings.health_timeout_s)),
        backup,
        _("Any failure after the stop rolls back to the current version."),
    ]
    return ConfirmModal(
        _("Start the upgrade?"), lines, yes=_("Start"), no=_("Not now"), danger=not make_backup
    )


def restore_modal(row: BackupRow, settings: Settings, now: datetime) -> RestoreModal:
    deploy = settings.deploy_dir
    summary = _("{kind} backup of {version}, made {age}, {size}.").format(
        kind=display.backup_word(row.kind),
        version=row.version,
        age=display.age(row.created, now),
        size=display.size(row.size) if row.size is not None else _("size unknown"),
    )
    # One sentence each: a translation cannot be split where the English wraps.
    full = [
        _(
            "Replaces all of {deploy} (compose file, .env, config/, app/, data/ and "
            "the installed version) with the backup's copy; images/ is kept."
        ).format(deploy=deploy),
        _("The services are stopped first, then started and health-checked."),
    ]
    data = [
        _(
            "Replaces only data/ in {deploy} with the backup's copy; the release "
            "files, compose file, .env and installed version stay as they are."
        ).format(deploy=deploy),
        _("The services are stopped first, then started and health-checked."),
    ]
    return RestoreModal(row.id, summary, full, data)


def create_modal(settings: Settings) -> ConfirmModal:
    return ConfirmModal(
        _("Create a backup now?"),
        [
            _("A cold backup of {deploy_dir} into {backups_dir}.").format(
                deploy_dir=settings.deploy_dir, backups_dir=settings.backups_dir
            ),
            _(
                "Running services are stopped for it (a consistent copy of data/) and "
                "started and health-checked again afterwards."
            ),
        ],
        yes=_("Back up"),
        no=_("Not now"),
    )


def delete_modal(row: BackupRow) -> ConfirmModal:
    return ConfirmModal(
        _("Delete backup #{id}?").format(id=row.id),
        [
            _("{kind} backup of {version}: {path}").format(
                kind=display.backup_word(row.kind), version=row.version, path=row.path
            ),
            _("The archive file and its catalogue entry are removed. This cannot be undone."),
        ],
        yes=_("Delete"),
        no=_("Keep"),
        danger=True,
    )


def other_deploy_dir_modal(row: BackupRow, settings: Settings) -> ConfirmModal:
    """Asked before the restore dialog when the backup is of another deploy dir."""
    return ConfirmModal(
        _("Restore a backup of ANOTHER deploy dir?"),
        [
            _("Backup #{id} was taken of {source}.").format(id=row.id, source=row.deploy_dir),
            _("This deploy dir is {deploy}; restoring replaces it with that copy.").format(
                deploy=settings.deploy_dir
            ),
            _("Only go on if {deploy} is meant to become a copy of {source}.").format(
                deploy=settings.deploy_dir, source=row.deploy_dir
            ),
        ],
        yes=_("Restore into this deploy dir"),
        no=_("Cancel"),
        danger=True,
    )
