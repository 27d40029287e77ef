"""The pre-upgrade backup in two passes, as the upgrade runs it (``ops.backup.snapshot``).

- ``precopy`` (before the stop, the old stack serving): the snapshot is copied
  and the journal says ``snapshot = "precopied"``. No room is one warning line
  and the upgrade takes the cold backup inside the stop, as before.
- ``final_pass`` (after the stop): only what changed is copied; the journal
  says ``"final"``: from here the snapshot is an exact cold copy, and a
  rollback puts data/ back from it with renames (``restore_data``).
- ``archive`` (after the commit, the new stack serving): tar + zstd written
  from the snapshot, verified, named in the journal, and only then the
  snapshot removed. A kill at any point leaves the snapshot or a verified
  archive: ``recover`` (either mode) writes the archive again.

The pre-copy's record stays in memory for the final pass of the same run:
reading it back costs about 0.3 s per 100,000 files, inside the stop.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tui_upgrader.core import display
from tui_upgrader.core.errors import BackupError, UpgraderError
from tui_upgrader.core.events import Emit, LogEvent, ProgressEvent, Step
from tui_upgrader.core.i18n import _
from tui_upgrader.core.paths import STATE_DIR_NAME
from tui_upgrader.ops.backup.snapshot import (
    MOUNT_SNAPSHOT,
    PassStats,
    Progress,
    Snapshot,
    snapshot_of,
    snapshot_root,
)
from tui_upgrader.ops.backup.snapshot_swap import data_identity, has_data, swap_data_in
from tui_upgrader.ops.backup.swap import remove_tree
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade._internal.checked_stop import backup_note
from tui_upgrader.ops.upgrade._internal.pre_backup import with_backup
from tui_upgrader.ops.upgrade._internal.steps import Context
from tui_upgrader.ops.upgrade.journal import Journal, write_journal

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.catalogue import BackupRecord

logger = logging.getLogger(__name__)

SNAPSHOT = "snapshot"  # journal.extra: "precopying" | "precopied" | "final"
SNAPSHOT_DATA = "snapshot_data_inode"  # journal.extra: data_identity after the final pass
_kept: dict[Path, Snapshot] = {}


def _snapshot(ctx: Context) -> Snapshot:
    deploy = ctx.deploy_dir
    kept = _kept.get(deploy)
    if kept is not None:
        return kept
    return snapshot_of(deploy, ctx.settings.backup_excludes, ctx.settings.data_dir)


def snapshot_state(journal: Journal) -> str | None:
    value = journal.extra.get(SNAPSHOT)
    return value if isinstance(value, str) else None


def discard_snapshot(deploy_dir: Path) -> None:
    """Remove every part of a snapshot of ``deploy_dir`` (none is fine)."""
    _kept.pop(deploy_dir, None)
    remove_tree(snapshot_root(deploy_dir))
    if deploy_dir.is_dir():
        for entry in deploy_dir.iterdir():
            if entry.name != STATE_DIR_NAME and entry.is_dir() and not entry.is_symlink():
                remove_tree(entry / MOUNT_SNAPSHOT)


def _precopied(stats: PassStats) -> str:
    return _("pre-copy done: {files} files, {size} in {time} ({reflinked} reflinked)").format(
        files=stats.copied,
        size=display.size(stats.bytes_copied),
        time=display.duration(stats.seconds),
        reflinked=stats.reflinked,
    )


def _final_line(stats: PassStats) -> str:
    return _(
        "final pass: {entries} entries compared, {copied} copied ({size}), {removed} "
        "removed in {time}; the snapshot is an exact copy of the stopped tree"
    ).format(
        entries=stats.entries,
        copied=stats.copied,
        size=display.size(stats.bytes_copied),
        removed=stats.removed,
        time=display.duration(stats.seconds),
    )


def _progress(ctx: Context, label: str) -> Progress:
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.1 or done >= total:
            last[0] = now
            ctx.emit(ProgressEvent(Step.CREATING_BACKUP, done, total, label))

    return progress


def precopy(ctx: Context, journal: Journal) -> Journal:
    """Pass 1 while the stack serves; the journal unchanged when the cold path is taken."""
    if not ctx.settings.backup_precopy or not journal.extra.get("make_backup", True):
        return journal
    deploy = ctx.deploy_dir
    snapshot = _snapshot(ctx)
    journal.extra[SNAPSHOT] = "precopying"  # a kill from here leaves a tree recover removes
    write_journal(deploy, journal)
    try:
        listings = snapshot.check_space()
    except (BackupError, OSError) as exc:
        del journal.extra[SNAPSHOT]
        write_journal(deploy, journal)
        ctx.log(
            "warning",
            _(
                "{reason}; this upgrade takes the cold backup after the stop instead, "
                "so the downtime grows with the data"
            ).format(reason=exc.message if isinstance(exc, UpgraderError) else exc),
        )
        return journal
    ctx.log(
        "info",
        _("pre-copy: copying {size} of {path} while the stack still serves").format(
            size=display.size(sum(found.content for found in listings)), path=deploy
        ),
    )
    try:
        stats = snapshot.precopy(listings, progress=_progress(ctx, "pre-copy"), cancel=ctx.cancel)
    except (BackupError, OSError) as exc:
        # The stack wrote more than there was room for, a file turned unreadable...:
        # the cold path still works, so this is no reason to give up the upgrade.
        discard_snapshot(deploy)
        del journal.extra[SNAPSHOT]
        write_journal(deploy, journal)
        ctx.log(
            "warning",
            _("pre-copy failed ({exc}); this upgrade takes the cold backup after the stop").format(
                exc=exc
            ),
        )
        return journal
    _kept[deploy] = snapshot
    journal.extra[SNAPSHOT] = "precopied"
    write_journal(deploy, journal)
    ctx.log(
        "info",
        _precopied(stats),
    )
    return journal


def final_pass(ctx: Context, journal: Journal, had_data: str) -> Journal:
    """Pass 2 with the stack stopped: the snapshot becomes an exact cold copy."""
    deploy = ctx.deploy_dir
    snapshot = _snapshot(ctx)
    with ctx.step(Step.CREATING_BACKUP, "final pass"):
        if snapshot is not _kept.get(deploy) and not snapshot.load():
            # Killed before the pre-copy's record was written: copy it all now.
            snapshot.precopy(progress=_progress(ctx, "copy"))
        stats = snapshot.final_pass()
    _kept[deploy] = snapshot
    journal.extra[SNAPSHOT] = "final"
    journal.extra[SNAPSHOT_DATA] = data_identity(snapshot)
    journal.extra[had_data] = has_data(snapshot)
    write_journal(deploy, journal)
    ctx.log(
        "info",
        _final_line(stats),
    )
    return journal


def restore_from_snapshot(ctx: Context, journal: Journal) -> str | None:
    """A rollback's data/ from the snapshot; what went wrong, or None (never raises)."""
    started = time.monotonic()
    try:
        with ctx.step(Step.RESTORING_BACKUP, "data/ from the pre-copy snapshot"):
            identity = journal.extra.get(SNAPSHOT_DATA)
            swap_data_in(_snapshot(ctx), identity if isinstance(identity, int) else None)
    except Exception as exc:
        text = _(
            "data/ could not be put back from the pre-copy snapshot ({exc}); it is in "
            "{path}: move it back by hand once the cause is fixed"
        ).format(exc=exc, path=snapshot_root(ctx.deploy_dir))
        ctx.log("error", text)
        return text
    ctx.log(
        "info",
        _("data/ put back from the pre-copy snapshot in {time}").format(
            time=display.duration(time.monotonic() - started)
        ),
    )
    return None


def pre_upgrade_archive(ctx: Context, journal: Journal, snapshot: Snapshot | None) -> BackupRecord:
    """The pre-upgrade backup of the deploy dir, read from ``snapshot`` when given
    (after the commit) or from the stopped live tree (the cold path)."""
    return ctx.backups.create(
        ctx.deploy_dir,
        kind="pre-upgrade",
        version=journal.from_version,
        from_version=journal.from_version,
        to_version=journal.to_version,
        note=backup_note(journal),
        emit=ctx.emit,
        source=None if snapshot is None else snapshot.parts[0].tree,
        grafts=None if snapshot is None else snapshot.grafts(),
    )


def archive_snapshot(ctx: Context, journal: Journal) -> Journal:
    """After the commit: the catalogue archive from the snapshot, verified, then the
    snapshot removed. Idempotent: an archive already named in the journal is kept."""
    deploy = ctx.deploy_dir
    if journal.backup_id is None:
        snapshot = _snapshot(ctx)
        ctx.log("info", _("writing the pre-upgrade archive from the snapshot (the stack serves)"))
        record = pre_upgrade_archive(ctx, journal, snapshot)
        report = ctx.backups.verify(record.id)
        if not report.ok:
            raise BackupError(
                _("the pre-upgrade archive #{id} does not verify: {detail}").format(
                    id=record.id, detail=report.detail
                )
            )
        journal = with_backup(journal, record, ctx.backups.settings.catalogue_path)
        journal = journal.advance(Step.CLEANING_UP)
        write_journal(deploy, journal)
        ctx.log(
            "info",
            _("pre-upgrade archive #{id} written and verified: {path}").format(
                id=record.id, path=record.archive_path
            ),
        )
    discard_snapshot(deploy)
    return journal


# --- `backup create --stop`: the same two passes around its own stop -----------------


def standalone_precopy(
    settings: Settings, emit: Emit, cancel: threading.Event | None
) -> Snapshot | None:
    """Pass 1 for a manual backup of a running stack; None: take the cold path."""
    if not settings.backup_precopy:
        return None
    deploy = settings.deploy_dir
    snapshot = snapshot_of(deploy, settings.backup_excludes, settings.data_dir)
    try:
        listings = snapshot.check_space()
        stats = snapshot.precopy(listings, cancel=cancel)
    except BaseException as exc:
        discard_snapshot(deploy)
        if not isinstance(exc, BackupError | OSError):
            raise  # a cancel: nothing was stopped, nothing is left
        emit(
            LogEvent(
                "warning",
                _("{reason}; backing up cold, with the stack stopped for the whole copy").format(
                    reason=exc.message if isinstance(exc, UpgraderError) else exc
                ),
            )
        )
        return None
    emit(
        LogEvent(
            "info",
            _precopied(stats),
        )
    )
    return snapshot


def standalone_final(snapshot: Snapshot, emit: Emit) -> None:
    stats = snapshot.final_pass()
    emit(
        LogEvent(
            "info",
            _final_line(stats),
        )
    )
