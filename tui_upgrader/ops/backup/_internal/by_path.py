"""A backup named by its archive path and SHA-256 rather than by a catalogue id.

The upgrade journal names its pre-upgrade backup this way, so a recovery run
under other settings (``sudo``, another HOME or XDG dir, another ``--config``)
still finds it. The record the archive was written with is used when its
catalogue is still readable and agrees (it adds the file-count checks);
otherwise one is made from the file itself. Either way the restore checks the
archive's SHA-256 before the live tree is touched (``restore_archive``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from tui_upgrader.core.errors import BackupError, UpgraderError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.archive.codec import SUFFIX
from tui_upgrader.ops.backup.catalogue import BackupRecord, Catalogue

logger = logging.getLogger(__name__)


def _codec_of(archive: Path) -> str:
    for codec, suffix in SUFFIX.items():
        if archive.name.endswith(suffix):
            return codec
    raise BackupError(
        _("{archive}: not a backup archive (expected a name ending in {values})").format(
            archive=archive, values=" or ".join(SUFFIX.values())
        )
    )


def _recorded(catalogue: Path | None, backup_id: int | None, archive: Path) -> BackupRecord | None:
    """The record from the archive's own catalogue, if it is readable and names this file."""
    if catalogue is None or backup_id is None or not catalogue.is_file():
        return None
    try:
        record = Catalogue(catalogue).find(backup_id)
    except (UpgraderError, OSError) as exc:
        logger.warning("catalogue %s unreadable (%s); using %s as it is", catalogue, exc, archive)
        return None
    if record is None or record.archive_path.resolve() != archive:
        return None
    return record


def record_for_archive(
    archive: Path,
    sha256: str,
    deploy_dir: Path,
    *,
    catalogue: Path | None,
    backup_id: int | None,
) -> BackupRecord:
    """A completed record for ``archive`` whose restore checks it hashes to ``sha256``."""
    archive = archive.resolve()
    if not archive.is_file():
        raise BackupError(_("backup archive {archive} does not exist").format(archive=archive))
    recorded = _recorded(catalogue, backup_id, archive)
    if recorded is not None and recorded.status == "completed" and recorded.sha256 == sha256:
        return recorded
    if recorded is not None:
        logger.warning(
            "catalogue %s: backup %s does not match the archive named (status %s, sha256 %s); "
            "restoring %s by its own hash",
            catalogue,
            backup_id,
            recorded.status,
            recorded.sha256,
            archive,
        )
    st = archive.stat()
    return BackupRecord(
        id=backup_id or 0,
        created=datetime.fromtimestamp(st.st_mtime, UTC),
        kind="pre-upgrade",
        version=None,
        deploy_dir=deploy_dir,
        archive_path=archive,
        codec=_codec_of(archive),
        status="completed",
        size=st.st_size,
        sha256=sha256,
    )
