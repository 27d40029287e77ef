"""The pre-upgrade backup as the journal knows it, and data/ restored from it.

The journal records the archive's absolute path, its SHA-256 and the catalogue
it was recorded in, not only its id: the process that rolls back may run under
other settings than the one that made the backup (``sudo`` or not, another
HOME or XDG dir, another ``--config``, the demo's private catalogue), and an id
means nothing in another catalogue. The archive is used first, its hash
checked before data/ changes; the id in the caller's catalogue only when the
archive is gone, and then only if that record hashes the same (or the journal
predates these fields and the id is all there is).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui_upgrader.core.errors import BackupError
from tui_upgrader.core.events import Step
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade.journal import Journal

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.catalogue import BackupRecord


def with_backup(journal: Journal, record: BackupRecord, catalogue: Path) -> Journal:
    """The journal naming ``record`` so that any later process can find and check it."""
    return journal.advance(
        Step.CREATING_BACKUP,
        backup_id=record.id,
        backup_archive=str(record.archive_path.resolve()),
        backup_sha256=record.sha256,
        backup_catalogue=str(catalogue.resolve()),
    )


def _by_id(ctx: Context, journal: Journal, backup_id: int) -> None:
    """The fallback: the id in the caller's catalogue, checked against the journal's hash
    and, for journals without one, at least against the deploy dir."""
    record = ctx.backups.get(backup_id)
    taken_of = record.deploy_dir
    if taken_of.resolve() != ctx.deploy_dir.resolve():
        raise BackupError(
            _(
                "backup #{backup_id} in {catalogue_path} is of another deploy "
                "dir ({taken_of}); it is not this upgrade's pre-upgrade backup"
            ).format(
                backup_id=backup_id, catalogue_path=ctx.settings.catalogue_path, taken_of=taken_of
            )
        )
    if journal.backup_sha256 is not None and record.sha256 != journal.backup_sha256:
        raise BackupError(
            _(
                "archive {backup_archive} is gone and backup #{backup_id} in "
                "{catalogue_path} is another backup (sha256 {sha256}, the "
                "journal has {backup_sha256})"
            ).format(
                backup_archive=journal.backup_archive,
                backup_id=backup_id,
                catalogue_path=ctx.settings.catalogue_path,
                sha256=record.sha256,
                backup_sha256=journal.backup_sha256,
            )
        )
    ctx.backups.restore(backup_id, ctx.deploy_dir, data_only=True, emit=ctx.emit)


def _restore(ctx: Context, journal: Journal, backup_id: int) -> None:
    archive = Path(journal.backup_archive) if journal.backup_archive else None
    if archive is not None and journal.backup_sha256 is not None and archive.is_file():
        catalogue = Path(journal.backup_catalogue) if journal.backup_catalogue else None
        ctx.backups.restore_archive(
            archive,
            journal.backup_sha256,
            ctx.deploy_dir,
            catalogue=catalogue,
            backup_id=backup_id,
            data_only=True,
            emit=ctx.emit,
        )
        return
    if archive is not None:
        ctx.log(
            "warning",
            _("{archive} is gone; looking for backup #{backup_id} by its id").format(
                archive=archive, backup_id=backup_id
            ),
        )
    _by_id(ctx, journal, backup_id)


def _how_to_finish(journal: Journal, backup_id: int) -> str:
    command = f"'tui-upgrader backup restore {backup_id} --data-only'"
    if journal.backup_catalogue is None:
        return f"run {command} once the cause is fixed"
    data_dir = Path(journal.backup_catalogue).parent
    return (
        f'once the cause is fixed run {command} with data_dir = "{data_dir}" '
        f"(archive {journal.backup_archive})"
    )


def restore_data(ctx: Context, journal: Journal) -> str | None:
    """Restore data/ from the pre-upgrade backup; what went wrong, or None.

    Never raises: a failure here must not keep the old stack down, it is
    reported with the command that finishes the job.
    """
    backup_id = journal.backup_id
    if backup_id is None:
        return None
    try:
        with ctx.step(Step.RESTORING_BACKUP, f"data/ from backup #{backup_id}"):
            _restore(ctx, journal, backup_id)
    except Exception as exc:
        text = f"data/ could not be restored from backup #{backup_id} ({exc}); " + _how_to_finish(
            journal, backup_id
        )
        ctx.log("error", text)
        return text
    return None
