"""The questions the Backups screen asks before it changes anything."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from tui_upgrader.core import display
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ui.backup_rows import BackupRow
from tui_upgrader.ui.planview import version_line
from tui_upgrader.ui.screens.confirm import ConfirmModal, RestoreModal

if TYPE_CHECKING:
    from tui_upgrader.ops.upgrade import Plan


def start_modal(plan: Plan, settings: Settings, *, make_backup: bool) -> ConfirmModal:
    decision = plan.decision
    backup = (
        "A cold pre-upgrade backup is made right after the stop."
        if make_backup
        else "NO pre-upgrade backup: data changes cannot be undone if the upgrade fails."
    )
    lines = [
        f"{version_line(decision)} ({decision.strategy.value}) in {settings.deploy_dir}.",
        "Download, extract and image loading run while the services keep running.",
        "Then the services stop; they are down until the health gate passes "
        f"(at most {display.duration(settings.health_timeout_s)} after the start).",
        backup,
        "Any failure after the stop rolls back to the current version.",
    ]
    return ConfirmModal(
        "Start the upgrade?", lines, yes="Start", no="Not now", danger=not make_backup
    )


def restore_modal(row: BackupRow, settings: Settings, now: datetime) -> RestoreModal:
    deploy = settings.deploy_dir
    summary = (
        f"{row.kind} backup of {row.version}, made {display.age(row.created, now)}, "
        f"{display.size(row.size) if row.size is not None else 'size unknown'}."
    )
    full = [
        f"Replaces all of {deploy} (compose file, .env, config/, app/, data/ and",
        "the installed version) with the backup's copy; images/ is kept.",
        "The services are stopped first, then started and health-checked.",
    ]
    data = [
        f"Replaces only data/ in {deploy} with the backup's copy; the release",
        "files, compose file, .env and installed version stay as they are.",
        "The services are stopped first, then started and health-checked.",
    ]
    return RestoreModal(row.id, summary, full, data)


def create_modal(settings: Settings) -> ConfirmModal:
    return ConfirmModal(
        "Create a backup now?",
        [
            f"A cold backup of {settings.deploy_dir} into {settings.backups_dir}.",
            "Running services are stopped for it (a consistent copy of data/) and "
            "started and health-checked again afterwards.",
        ],
        yes="Back up",
        no="Not now",
    )


def delete_modal(row: BackupRow) -> ConfirmModal:
    return ConfirmModal(
        f"Delete backup #{row.id}?",
        [
            f"{row.kind} backup of {row.version}: {row.path}",
            "The archive file and its catalogue entry are removed. This cannot be undone.",
        ],
        yes="Delete",
        no="Keep",
        danger=True,
    )
