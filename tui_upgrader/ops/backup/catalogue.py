"""The backup catalogue: one SQLite file (stdlib sqlite3, WAL) in the data dir.

The schema is versioned with ``PRAGMA user_version``: ``MIGRATIONS[i]`` takes
version ``i`` to ``i + 1``. Append to the list, never edit an entry that has
shipped. A catalogue newer than this tool is refused rather than guessed at.

Ids come from ``AUTOINCREMENT``, so an id is never reused after a delete: a
user who writes down "backup 12" always means the same backup.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tui_upgrader.core.errors import BackupError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.fsutil import private_dir

logger = logging.getLogger(__name__)

Kind = Literal["manual", "pre-upgrade"]
Status = Literal["in_progress", "completed", "failed"]
KINDS: tuple[Kind, ...] = ("manual", "pre-upgrade")

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE backups (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('manual', 'pre-upgrade')),
            version TEXT,
            from_version TEXT,
            to_version TEXT,
            deploy_dir TEXT NOT NULL,
            archive_path TEXT NOT NULL DEFAULT '',
            codec TEXT NOT NULL CHECK (codec IN ('zstd', 'gzip')),
            status TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'failed')),
            size INTEGER,
            file_count INTEGER,
            entry_count INTEGER,
            content_bytes INTEGER,
            sha256 TEXT,
            note TEXT NOT NULL DEFAULT '',
            error TEXT,
            finished TEXT
        )""",
        "CREATE INDEX backups_kind ON backups (kind, status)",
    ),
)


@dataclass(frozen=True, slots=True)
class BackupRecord:
    id: int
    created: datetime  # UTC, microseconds
    kind: Kind
    version: str | None  # service version the backup holds
    deploy_dir: Path
    archive_path: Path
    codec: str
    status: Status
    size: int | None = None  # archive bytes on disk
    file_count: int | None = None  # regular files
    entry_count: int | None = None  # every tar member (dirs, links, files)
    content_bytes: int | None = None  # sum of regular file sizes
    sha256: str | None = None
    note: str = ""
    from_version: str | None = None
    to_version: str | None = None
    error: str | None = None
    finished: datetime | None = None

    def archive_exists(self) -> bool:
        return self.archive_path.is_file()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created.isoformat(),
            "kind": self.kind,
            "status": self.status,
            "version": self.version,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "deploy_dir": str(self.deploy_dir),
            "archive_path": str(self.archive_path),
            "file_present": self.archive_exists(),
            "size": self.size,
            "file_count": self.file_count,
            "content_bytes": self.content_bytes,
            "codec": self.codec,
            "sha256": self.sha256,
            "note": self.note,
            "error": self.error,
            "finished": self.finished.isoformat() if self.finished else None,
        }


def utc_now() -> datetime:
    return datetime.now(UTC)


def _record(row: sqlite3.Row) -> BackupRecord:
    finished = row["finished"]
    return BackupRecord(
        id=row["id"],
        created=datetime.fromisoformat(row["created"]),
        kind=row["kind"],
        version=row["version"],
        deploy_dir=Path(row["deploy_dir"]),
        archive_path=Path(row["archive_path"]),
        codec=row["codec"],
        status=row["status"],
        size=row["size"],
        file_count=row["file_count"],
        entry_count=row["entry_count"],
        content_bytes=row["content_bytes"],
        sha256=row["sha256"],
        note=row["note"],
        from_version=row["from_version"],
        to_version=row["to_version"],
        error=row["error"],
        finished=datetime.fromisoformat(finished) if finished else None,
    )


class Catalogue:
    """Short-lived connections per call: safe from any thread or process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        private_dir(path.parent)
        if not path.exists():
            # Create it 0600 before SQLite does (with the umask's mode); SQLite
            # gives its -wal and -shm files the database file's permissions.
            fd = os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)
            os.close(fd)
        os.chmod(path, 0o600)
        with self._connect() as conn:
            self._migrate(conn)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            conn = sqlite3.connect(self.path, timeout=15.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise BackupError(
                _("catalogue {path}: cannot open: {exc}").format(path=self.path, exc=exc)
            ) from exc
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            yield conn
        except sqlite3.DatabaseError as exc:
            raise BackupError(_("catalogue {path}: {exc}").format(path=self.path, exc=exc)) from exc
        finally:
            conn.close()

    def _migrate(self, conn: sqlite3.Connection) -> None:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > len(MIGRATIONS):
            raise BackupError(
                _(
                    "catalogue {path}: schema version {current} is newer than this "
                    "tool understands ({known}); upgrade tui-upgrader"
                ).format(path=self.path, current=current, known=len(MIGRATIONS))
            )
        if current == len(MIGRATIONS):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated.
            current = conn.execute("PRAGMA user_version").fetchone()[0]
            for version in range(current, len(MIGRATIONS)):
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                logger.info("catalogue %s: migrated to schema %d", self.path, version + 1)
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    # --- writes -------------------------------------------------------------------

    def insert(
        self,
        *,
        kind: Kind,
        version: str | None,
        deploy_dir: Path,
        codec: str,
        note: str,
        from_version: str | None,
        to_version: str | None,
        archive_for: Callable[[int, datetime], Path],
    ) -> BackupRecord:
        """A new in_progress record; its archive path (which holds the id) is set
        in the same transaction, so no record ever lacks one."""
        created = utc_now()
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(
                    "INSERT INTO backups (created, kind, version, from_version, to_version,"
                    " deploy_dir, codec, status, note)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'in_progress', ?)",
                    (
                        created.isoformat(timespec="microseconds"),
                        kind,
                        version,
                        from_version,
                        to_version,
                        str(deploy_dir),
                        codec,
                        note,
                    ),
                )
                new_id = cur.lastrowid
                assert new_id is not None
                conn.execute(
                    "UPDATE backups SET archive_path = ? WHERE id = ?",
                    (str(archive_for(new_id, created)), new_id),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return self.get(new_id)

    def update(self, backup_id: int, **fields: Any) -> BackupRecord:
        if "archive_path" in fields:
            fields["archive_path"] = str(fields["archive_path"])
        if fields.get("status") in ("completed", "failed"):
            fields.setdefault("finished", utc_now().isoformat(timespec="microseconds"))
        columns = ", ".join(f"{name} = ?" for name in fields)
        with self._connect() as conn:
            conn.execute(
                f"UPDATE backups SET {columns} WHERE id = ?", (*fields.values(), backup_id)
            )
        return self.get(backup_id)

    def reserve_ids(self, last_used: int) -> None:
        """Make the next id larger than ``last_used``."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'backups'").fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO sqlite_sequence (name, seq) VALUES ('backups', ?)", (last_used,)
                )
            elif row[0] < last_used:
                conn.execute(
                    "UPDATE sqlite_sequence SET seq = ? WHERE name = 'backups'", (last_used,)
                )
            conn.execute("COMMIT")

    def remove(self, backup_id: int) -> None:
        if not _storable(backup_id):
            return
        with self._connect() as conn:
            conn.execute("DELETE FROM backups WHERE id = ?", (backup_id,))

    # --- reads --------------------------------------------------------------------

    def find(self, backup_id: int) -> BackupRecord | None:
        # An id from a journal or a state file beyond SQLite's INTEGER names no
        # backup; sqlite3 would raise OverflowError for it.
        if not _storable(backup_id):
            return None
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM backups WHERE id = ?", (backup_id,)).fetchone()
        return _record(row) if row is not None else None

    def get(self, backup_id: int) -> BackupRecord:
        record = self.find(backup_id)
        if record is None:
            raise BackupError(
                _("catalogue {path}: backup {backup_id} vanished").format(
                    path=self.path, backup_id=backup_id
                )
            )
        return record

    def all(self) -> list[BackupRecord]:
        """Newest first (ids only grow, unlike clocks)."""
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM backups ORDER BY id DESC").fetchall()
        return [_record(row) for row in rows]


def _storable(backup_id: object) -> bool:
    return isinstance(backup_id, int) and not isinstance(backup_id, bool) and 0 < backup_id < 2**63
