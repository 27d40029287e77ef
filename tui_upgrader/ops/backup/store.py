"""Backups a real way back: create, list, verify, restore, delete, prune.

What a backup is
    A cold backup of the whole deploy dir (``Settings.deploy_dir``): the compose
    file, ``.env``, ``config/``, ``app/``, ``data/``, every other entry, and
    ``.tui-upgrader/state.toml``, so restoring one brings back the whole version
    including which version is installed. Left out: ``images/`` (image tars are
    re-loadable and huge), ``.tui-upgrader/journal*`` (it describes the run in
    progress) and ``Settings.backup_excludes``. Nothing here talks to Docker:
    stopping the stack is the caller's job (``ops.upgrade.backup_with_stop``,
    ``ops.upgrade.restore_with_stop``).

Kinds and records
    ``manual`` or ``pre-upgrade`` (with from/to versions). The catalogue
    (``Settings.catalogue_path``, SQLite, see ``ops.backup.catalogue``) records id,
    created (UTC, microseconds), kind, service version, deploy dir, archive path,
    size, file count, codec, archive SHA-256, status (in_progress / completed /
    failed), note and the error of a failed one.

Archive
    tar + zstd (default, multi-threaded, level 3) or gzip (level 6), see
    ``ops.archive.codec``; regular files, directories (empty ones too), symlinks as
    links, hard links, modes, mtimes (whole seconds), owners. Written to
    ``.backup-<id>-....partial`` in ``Settings.backups_dir``, fsynced, renamed
    (never over an existing file) to ``backup-<id>-<kind>-<UTC stamp>.tar.zst``:
    the id makes names unique. Any failure, cancel or Ctrl-C removes the partial
    file and marks the record failed with the reason. Archives are 0600, their
    directory 0700, the catalogue 0600. A record left ``in_progress`` by a killed
    process is marked failed (and its partial file removed) by the next call.

Verify
    Recompute the SHA-256 and read the whole archive through (every member,
    all data decompressed): ok / corrupt / missing.

Restore (``ops.backup._internal.restore``)
    Full, or ``data_only`` (just ``data/``). Extracts into a staging directory
    beside the target (same filesystem) with safe extraction, checks the hash
    and counts, carries over from the live tree what backups never hold
    (``images/``, the journal, excludes), flushes the filesystem, then swaps
    staging and target with one atomic rename. Until that rename the live tree
    is untouched, so a failed, cancelled or killed restore leaves it as it was;
    leftovers (see ``ops.backup.swap``) are cleared by the next run.

Retention
    ``prune(keep, protect_id)`` keeps the newest ``keep`` completed pre-upgrade
    backups of ``protect_id``'s deploy dir, deletes older ones (and failed
    pre-upgrade records older than the oldest kept one), never ``protect_id``,
    never a manual backup and never another deploy dir's backup.

One create/restore/delete/prune at a time per data dir (an flock); a second
one is refused with a clear error rather than queued.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import fcntl
import logging
import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tui_upgrader.core.errors import BackupError, CancelledError, InputError, UpgraderError
from tui_upgrader.core.events import Emit, LogEvent, Step, discard
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.archive.codec import DEFAULT_LEVEL, SUFFIX, TarBuilder, parse_codec
from tui_upgrader.ops.backup._internal.by_path import record_for_archive
from tui_upgrader.ops.backup._internal.restore import Throttled, restore_archive, verify_archive
from tui_upgrader.ops.backup._internal.tree import exclusion, graft, scan_tree, write_tree
from tui_upgrader.ops.backup.catalogue import KINDS, BackupRecord, Catalogue
from tui_upgrader.ops.backup.swap import recover_leftovers, rename_noreplace
from tui_upgrader.ops.fault_points import crash_point
from tui_upgrader.ops.fsutil import fsync_dir, private_dir
from tui_upgrader.ops.ports import VerifyReport
from tui_upgrader.ops.settings import Settings

__all__ = ["BackupRecord", "BackupStore", "VerifyReport"]

logger = logging.getLogger(__name__)

_NAME_ID = re.compile(r"^\.?backup-(\d+)-")


@dataclass(frozen=True, slots=True)
class _Source:
    """Where a backup's tree is read from: the deploy dir, or a snapshot and its grafts."""

    root: Path
    grafts: dict[str, Path]


class BackupStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dir = settings.backups_dir
        self._catalogue: Catalogue | None = None

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            private_dir(self.dir)
            fresh = not self.settings.catalogue_path.exists()
            self._catalogue = Catalogue(self.settings.catalogue_path)
            if fresh:
                # A lost catalogue restarts ids at 1: keep them above any
                # archive still lying here, so ids (and names) never repeat.
                ids = [int(m.group(1)) for p in self.dir.iterdir() if (m := _NAME_ID.match(p.name))]
                if ids:
                    self._catalogue.reserve_ids(max(ids))
        return self._catalogue

    @contextlib.contextmanager
    def _lock(self, directory: Path | None = None) -> Iterator[None]:
        """This store's lock, or that of another backups dir (no sweep there:
        its catalogue is not ours)."""
        target = self.dir if directory is None else directory
        own = target.resolve() == self.dir.resolve()
        if own:
            private_dir(self.dir)
        path = target / ".lock"
        fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise BackupError(
                    _("another backup, restore or delete is running (lock {path} is held)").format(
                        path=path
                    )
                ) from None
            if own:
                self._sweep()
            yield
        finally:
            os.close(fd)

    def _sweep(self) -> None:
        """Under the lock nothing else writes: in_progress means interrupted."""
        for record in self.catalogue.all():
            if record.status == "in_progress":
                self._partial(record).unlink(missing_ok=True)
                self.catalogue.update(
                    record.id, status="failed", error="interrupted before it completed"
                )
                logger.warning("backup %d was interrupted; marked failed", record.id)

    @staticmethod
    def _partial(record: BackupRecord) -> Path:
        return record.archive_path.with_name(f".{record.archive_path.name}.partial")

    # --- reading ------------------------------------------------------------------

    def list(self) -> list[BackupRecord]:
        """Newest first."""
        with contextlib.suppress(BackupError), self._lock():
            pass  # just the sweep; skipped while another operation runs
        return self.catalogue.all()

    def find(self, backup_id: int) -> BackupRecord | None:
        return self.catalogue.find(backup_id)

    def get(self, backup_id: int) -> BackupRecord:
        record = self.catalogue.find(backup_id)
        if record is None:
            raise InputError(
                _("no backup with id {backup_id} (see `tui-upgrader backup list`)").format(
                    backup_id=backup_id
                )
            )
        return record

    def verify(self, backup_id: int) -> VerifyReport:
        return verify_archive(self.get(backup_id))

    # --- create -------------------------------------------------------------------

    def create(
        self,
        deploy_dir: Path,
        *,
        kind: str,
        version: str | None,
        from_version: str | None = None,
        to_version: str | None = None,
        note: str = "",
        emit: Emit = discard,
        cancel: threading.Event | None = None,
        source: Path | None = None,
        grafts: Mapping[str, Path] | None = None,
    ) -> BackupRecord:
        """Back up ``deploy_dir``; with ``source``, read from that copy of it instead
        (the pre-copy snapshot), ``grafts`` adding its parts on other filesystems."""
        if kind not in KINDS:
            raise InputError(
                _("unknown backup kind {kind!r} (expected one of {kinds})").format(
                    kind=kind, kinds=", ".join(KINDS)
                )
            )
        try:
            codec = parse_codec(self.settings.backup_codec)
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        level = self.settings.backup_level
        if level is None:
            level = DEFAULT_LEVEL[codec]
        deploy_dir = deploy_dir.resolve()
        if not deploy_dir.is_dir():
            # Before any catalogue row: a typo must not leave a "failed" backup behind.
            raise InputError(
                _("{deploy_dir}: no such deploy dir; nothing to back up").format(
                    deploy_dir=deploy_dir
                )
            )
        with self._lock():

            def archive_for(new_id: int, created: datetime) -> Path:
                stamp = created.strftime("%Y%m%dT%H%M%SZ")
                return self.dir / f"backup-{new_id:06d}-{kind}-{stamp}{SUFFIX[codec]}"

            record = self.catalogue.insert(
                kind=kind,
                version=version,
                deploy_dir=deploy_dir,
                codec=codec,
                note=note,
                from_version=from_version,
                to_version=to_version,
                archive_for=archive_for,
            )
            final = record.archive_path
            partial = self._partial(record)
            try:
                tree = _Source(source or record.deploy_dir, dict(grafts or {}))
                record = self._write(record, tree, partial, level, emit, cancel)
            except BaseException as exc:
                # The final name too: a failure after the rename (recording the
                # result) must not leave an archive the catalogue calls failed.
                partial.unlink(missing_ok=True)
                final.unlink(missing_ok=True)
                error = self._failure(record, exc)
                reason = str(error) or f"interrupted ({type(error).__name__})"
                try:
                    self.catalogue.update(record.id, status="failed", error=reason)
                except UpgraderError as again:
                    logger.error("backup %d: cannot record the failure: %s", record.id, again)
                if error is exc:
                    raise
                raise error from exc
            logger.info("backup %d of %s completed: %s", record.id, deploy_dir, final)
            return record

    def _failure(self, record: BackupRecord, exc: BaseException) -> BaseException:
        """The error to raise (and record): OSError translated, the rest as is."""
        where = f"backup {record.id} of {record.deploy_dir}"
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return BackupError(
                _(
                    "{where} failed: no space left on device in {dir}; the partial "
                    "archive was removed"
                ).format(where=where, dir=self.dir)
            )
        if isinstance(exc, OSError):
            return BackupError(
                _("{where} failed: {exc}; the partial archive was removed").format(
                    where=where, exc=exc
                )
            )
        return exc

    def _write(
        self,
        record: BackupRecord,
        tree: _Source,
        partial: Path,
        level: int,
        emit: Emit,
        cancel: threading.Event | None,
    ) -> BackupRecord:
        def cancelled() -> bool:
            return cancel is not None and cancel.is_set()

        recover_leftovers(record.deploy_dir)
        excluded = exclusion(
            record.deploy_dir, self.settings.backup_excludes, self.settings.data_dir
        )
        scan = scan_tree(tree.root, excluded)
        for name, root in sorted(tree.grafts.items()):
            graft(scan, name, root, excluded)
        for rel in scan.skipped:
            emit(
                LogEvent(
                    "warning",
                    _("backup {id}: skipped {rel} (socket/fifo/device)").format(
                        id=record.id, rel=rel
                    ),
                )
            )
        total = scan.content_bytes

        def progress(done: int, *, final: bool = False) -> None:
            throttled(done, final=final)
            crash_point("create-writing")

        throttled = Throttled(emit, Step.CREATING_BACKUP, total)
        throttled(0, final=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            builder = TarBuilder(fd, parse_codec(record.codec), level)
            try:
                files = write_tree(scan, builder, progress=progress, cancelled=cancelled)
                if cancelled():
                    raise CancelledError(
                        _("backup {id} cancelled; nothing was kept").format(id=record.id)
                    )
                written = builder.finish()
            except BaseException:
                builder.abort()
                raise
            os.fsync(fd)
        finally:
            os.close(fd)
        rename_noreplace(partial, record.archive_path)
        fsync_dir(self.dir)
        progress(scan.content_bytes, final=True)
        return self.catalogue.update(
            record.id,
            status="completed",
            size=written.size,
            sha256=written.sha256,
            file_count=files,
            entry_count=len(scan.entries),
            content_bytes=scan.content_bytes,
        )

    # --- restore, delete, prune ---------------------------------------------------

    def restore(
        self,
        backup_id: int,
        deploy_dir: Path,
        *,
        data_only: bool = False,
        emit: Emit = discard,
        cancel: threading.Event | None = None,
    ) -> None:
        with self._lock():
            record = self.get(backup_id)
            excluded = exclusion(deploy_dir, self.settings.backup_excludes, self.settings.data_dir)
            restore_archive(
                record,
                deploy_dir,
                excluded=excluded,
                data_only=data_only,
                emit=emit,
                cancel=cancel,
            )

    def restore_archive(
        self,
        archive: Path,
        sha256: str,
        deploy_dir: Path,
        *,
        catalogue: Path | None = None,
        backup_id: int | None = None,
        data_only: bool = False,
        emit: Emit = discard,
        cancel: threading.Event | None = None,
    ) -> None:
        """Restore from an archive named by path, whatever this store's catalogue holds.

        For a caller that knows the archive from elsewhere (the upgrade journal,
        written under settings that may not be this store's). Nothing changes
        unless the archive hashes to ``sha256``; ``catalogue`` (the one the
        archive was recorded in) and ``backup_id`` add its record's checks when
        that catalogue is readable.
        """
        record = record_for_archive(
            archive, sha256, deploy_dir, catalogue=catalogue, backup_id=backup_id
        )
        # The archive's own backups dir is locked, so a prune there cannot race this.
        with self._lock(record.archive_path.parent):
            excluded = exclusion(deploy_dir, self.settings.backup_excludes, self.settings.data_dir)
            restore_archive(
                record,
                deploy_dir,
                excluded=excluded,
                data_only=data_only,
                emit=emit,
                cancel=cancel,
            )

    def _delete(self, record: BackupRecord) -> None:
        try:
            record.archive_path.unlink(missing_ok=True)
        except OSError as exc:
            raise BackupError(
                _("cannot delete {archive_path}: {strerror}").format(
                    archive_path=record.archive_path, strerror=exc.strerror
                )
            ) from exc
        self.catalogue.remove(record.id)
        logger.info("deleted backup %d (%s)", record.id, record.archive_path)

    def delete(self, backup_id: int) -> None:
        with self._lock():
            self._delete(self.get(backup_id))

    def prune(self, keep: int, protect_id: int | None) -> builtins.list[int]:
        """Returns the ids deleted, oldest first.

        Only backups of ``protect_id``'s deploy dir are ranked: the catalogue
        is shared by every deploy dir of the user, and upgrading one stack must
        not delete another's way back. Without ``protect_id`` (or when it is
        unknown) the deploy dir cannot be told, so nothing is deleted.
        """
        with self._lock():
            protected = None if protect_id is None else self.catalogue.find(protect_id)
            if protected is None:
                logger.info("prune skipped: no backup %s to tell the deploy dir by", protect_id)
                return []
            pre = [
                r
                for r in self.catalogue.all()
                if r.kind == "pre-upgrade" and r.deploy_dir == protected.deploy_dir
            ]
            kept = {r.id for r in pre if r.status == "completed"}
            kept = set(sorted(kept, reverse=True)[: max(keep, 0)])
            oldest_kept = min(kept, default=None)
            doomed = [
                r
                for r in pre
                if r.id != protect_id
                and r.id not in kept
                and (
                    r.status == "completed"
                    or (r.status == "failed" and (oldest_kept is None or r.id < oldest_kept))
                )
            ]
            for record in sorted(doomed, key=lambda r: r.id):
                self._delete(record)
            return sorted(r.id for r in doomed)
