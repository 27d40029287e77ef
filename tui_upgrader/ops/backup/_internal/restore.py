"""Reading backups back: verify one, restore one (semantics in ``ops.backup.store``)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tarfile
import threading
from pathlib import Path
from typing import IO, cast

from tui_upgrader.core import display
from tui_upgrader.core.errors import BackupError, CancelledError, DiskSpaceError
from tui_upgrader.core.events import Emit, ProgressEvent, Step
from tui_upgrader.core.i18n import _
from tui_upgrader.core.throttle import RateGate
from tui_upgrader.ops.archive.codec import parse_codec
from tui_upgrader.ops.archive.extract import extract_tar
from tui_upgrader.ops.archive.policy import ExtractStats, check_member_name
from tui_upgrader.ops.archive.reader import ForwardReader
from tui_upgrader.ops.archive.tar_header import FastTarInfo
from tui_upgrader.ops.backup._internal.tree import Excluded, excluded_paths
from tui_upgrader.ops.backup.catalogue import BackupRecord
from tui_upgrader.ops.backup.swap import (
    carry_over,
    mount_points,
    new_staging,
    recover_leftovers,
    remove_tree,
    swap_in,
    sync_filesystem,
)
from tui_upgrader.ops.fault_points import crash_point
from tui_upgrader.ops.fsutil import fsync_dir
from tui_upgrader.ops.ports import VerifyReport

logger = logging.getLogger(__name__)


class Throttled:
    """Progress events at most every 0.1 s, plus the final one."""

    def __init__(self, emit: Emit, step: Step, total: int | None) -> None:
        self.emit, self.step, self.total = emit, step, total
        self._gate = RateGate(0.1)
        self._done = -1

    def __call__(self, done: int, *, final: bool = False) -> None:
        if done != self._done and self._gate.allow(final=final):
            self._done = done
            self.emit(ProgressEvent(self.step, done, self.total))


def verify_archive(record: BackupRecord) -> VerifyReport:
    """Hash the archive and read every member through (decompressing it all)."""
    label = f"backup {record.id}"
    if not record.archive_exists():
        return VerifyReport(
            id=record.id,
            status="missing",
            detail=f"{record.archive_path} does not exist",
            expected_sha256=record.sha256,
        )
    members = files = 0
    try:
        codec = parse_codec(record.codec)
        with ForwardReader(record.archive_path, codec, BackupError, label=label) as reader:
            with tarfile.TarFile(
                fileobj=cast(IO[bytes], reader), mode="r", tarinfo=FastTarInfo
            ) as tar:
                for member in tar:
                    check_member_name(member.name, error_type=BackupError, label=label)
                    members += 1
                    files += member.isreg()
            actual, _size = reader.drain()
    except (BackupError, tarfile.TarError, EOFError, OSError) as exc:
        return VerifyReport(
            id=record.id,
            status="corrupt",
            detail=str(exc),
            expected_sha256=record.sha256,
            actual_sha256=None,
            members=members,
        )
    detail = ""
    if actual != record.sha256:
        detail = f"sha256 mismatch: catalogue has {record.sha256}, archive hashes to {actual}"
    elif (record.file_count, record.entry_count) != (files, members):
        detail = (
            f"holds {files} files in {members} entries; "
            f"the catalogue recorded {record.file_count} in {record.entry_count}"
        )
    if detail:
        return VerifyReport(
            id=record.id,
            status="corrupt",
            detail=detail,
            expected_sha256=record.sha256,
            actual_sha256=actual,
            members=members,
        )
    return VerifyReport(
        id=record.id,
        status="ok",
        detail=f"{files} files, sha256 matches",
        expected_sha256=actual,
        actual_sha256=actual,
        members=members,
    )


def _check_target(record: BackupRecord, deploy_dir: Path, data_only: bool) -> None:
    if record.status != "completed":
        raise BackupError(
            _("backup {id} is {status}; only a completed one restores").format(
                id=record.id, status=record.status
            )
        )
    if not record.archive_exists():
        raise BackupError(
            _("backup {id}: archive {archive_path} is missing").format(
                id=record.id, archive_path=record.archive_path
            )
        )
    if data_only:
        if not deploy_dir.is_dir():
            raise BackupError(
                _("restore of data/ into {deploy_dir}: no such deploy dir").format(
                    deploy_dir=deploy_dir
                )
            )
        data = deploy_dir / "data"
        if os.path.ismount(data) or mount_points(data):
            raise BackupError(
                _(
                    "restore into {deploy_dir}: data/ is or holds a mount point; it "
                    "cannot be swapped by rename: restore it by hand from the archive"
                ).format(deploy_dir=deploy_dir)
            )
    else:
        if os.path.ismount(deploy_dir):
            raise BackupError(
                _(
                    "restore into {deploy_dir}: the deploy dir is itself a mount "
                    "point, so the restored tree cannot be swapped in by rename; use "
                    "--data-only or restore by hand"
                ).format(deploy_dir=deploy_dir)
            )
        mounts = mount_points(deploy_dir)
        if mounts:
            raise BackupError(
                _(
                    "restore into {deploy_dir}: {mounts} is a mount point (another "
                    "filesystem); a full restore would move it aside: unmount it "
                    "first or use --data-only"
                ).format(deploy_dir=deploy_dir, mounts=mounts[0])
            )
    need = (record.content_bytes or 0) + 64 * (1 << 20)
    where = deploy_dir if data_only else deploy_dir.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free
    if free < need:
        raise DiskSpaceError(
            _(
                "restore of backup {id}: {where} has {size} free, the restore needs about {size2}"
            ).format(id=record.id, where=where, size=display.size(free), size2=display.size(need))
        )


def restore_archive(
    record: BackupRecord,
    deploy_dir: Path,
    *,
    excluded: Excluded,
    data_only: bool,
    emit: Emit,
    cancel: threading.Event | None,
) -> ExtractStats:
    """Extract beside the target, check, carry over, swap; the live tree is only
    touched by the final rename."""
    deploy_dir = deploy_dir.resolve()  # a symlinked deploy dir: swap the real one
    label = f"backup {record.id}"
    try:
        recover_leftovers(deploy_dir)
    except OSError as exc:
        raise BackupError(
            _("restore into {deploy_dir}: cannot clear leftovers: {exc}").format(
                deploy_dir=deploy_dir, exc=exc
            )
        ) from exc
    _check_target(record, deploy_dir, data_only)
    staging = new_staging(deploy_dir, data_only=data_only)
    # A data-only staging dir lives inside the deploy dir: keep its mtime as it was.
    deploy_st = os.lstat(deploy_dir) if data_only else None
    progress = Throttled(emit, Step.RESTORING_BACKUP, record.size)
    old: Path | None = None
    try:
        codec = parse_codec(record.codec)
        with ForwardReader(record.archive_path, codec, BackupError, label=label) as reader:

            def on_member(_stats: ExtractStats) -> None:
                progress(reader.compressed_done)
                crash_point("restore-extracting")

            stats = extract_tar(
                cast(IO[bytes], reader),
                staging,
                error_type=BackupError,
                max_members=record.entry_count or 1 << 40,
                max_total_bytes=record.content_bytes
                if record.content_bytes is not None
                else 1 << 62,
                cancel=cancel,
                preserve_attrs=True,
                select=(lambda p: p.parts[:1] == ("data",)) if data_only else None,
                on_member=on_member,
                label=label,
            )
            actual, size = reader.drain()
        if actual != record.sha256:
            raise BackupError(
                _(
                    "{label} is corrupt (sha256 {actual}, catalogue has {sha256}); "
                    "{deploy_dir} was not touched"
                ).format(label=label, actual=actual, sha256=record.sha256, deploy_dir=deploy_dir)
            )
        # A record made from the archive alone (``by_path``) has no counts to check.
        if not data_only and record.file_count is not None and stats.files != record.file_count:
            raise BackupError(
                _("{label} holds {files} files, the catalogue says {file_count}").format(
                    label=label, files=stats.files, file_count=record.file_count
                )
            )
        staged, live = staging, deploy_dir
        if data_only:
            staged, live = staging / "data", deploy_dir / "data"
            if not staged.is_dir():
                raise BackupError(_("{label} holds no data/ directory").format(label=label))
        if cancel is not None and cancel.is_set():
            raise CancelledError(
                _("restore of {label} cancelled; {deploy_dir} was not touched").format(
                    label=label, deploy_dir=deploy_dir
                )
            )
        rels = excluded_paths(deploy_dir, excluded) if deploy_dir.is_dir() else []
        if data_only:
            rels = [r[len("data/") :] for r in rels if r.startswith("data/")]
        carried = carry_over(live, staged, rels)
        if carried:
            logger.info("restore %s: kept from the live tree: %s", label, ", ".join(carried))
        sync_filesystem(staging)
        crash_point("restore-before-swap")
        old = swap_in(staged, live)
        fsync_dir(live.parent)
        crash_point("restore-after-swap")
        progress(size, final=True)
        logger.info("restored %s into %s (data only: %s)", label, deploy_dir, data_only)
        return stats
    except OSError as exc:
        untouched = "" if old is not None else f"; {deploy_dir} was not touched"
        raise BackupError(
            _("restore of {label} into {deploy_dir} failed: {exc}{untouched}").format(
                label=label, deploy_dir=deploy_dir, exc=exc, untouched=untouched
            )
        ) from exc
    except BackupError as exc:
        if old is not None or "was not touched" in exc.message:
            raise
        raise BackupError(
            _("restore of {message}; {deploy_dir} was not touched").format(
                message=exc.message, deploy_dir=deploy_dir
            )
        ) from exc
    finally:
        for leftover in (old, staging):
            if leftover is not None:
                try:
                    remove_tree(leftover)
                except OSError as exc:  # the next run's recover_leftovers retries
                    logger.error("restore: could not remove %s: %s", leftover, exc)
        if deploy_st is not None:
            with contextlib.suppress(OSError):
                os.utime(deploy_dir, ns=(deploy_st.st_atime_ns, deploy_st.st_mtime_ns))
