"""What a backup holds: scanning the deploy dir and writing it as tar members.

Nothing is followed: symlinks are stored as links, hard links (within one
top-level entry, so that restoring ``data/`` alone never needs a file from
elsewhere) as links to the first path seen. Sockets, fifos and devices are
skipped with a warning: restore would refuse them. A symlink leading outside
the tree is refused before anything is written, because the restore would
refuse it too and a backup that cannot be restored is worse than none.
"""

from __future__ import annotations

import grp
import logging
import os
import pwd
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tui_upgrader.core.errors import BackupError
from tui_upgrader.ops.archive import SinkError, TarBuilder
from tui_upgrader.ops.link_check import escaping_links

logger = logging.getLogger(__name__)

Excluded = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class TreeEntry:
    rel: str  # "." for the root
    st: os.stat_result
    link_target: str | None = None


@dataclass(slots=True)
class TreeScan:
    root: Path
    entries: list[TreeEntry] = field(default_factory=list)
    files: int = 0
    content_bytes: int = 0
    skipped: list[str] = field(default_factory=list)


def scan_tree(root: Path, excluded: Excluded) -> TreeScan:
    """Every entry of ``root`` not excluded, parents before children, sorted."""
    try:
        root_st = os.lstat(root)
    except OSError as exc:
        raise BackupError(f"cannot back up {root}: {exc.strerror}") from exc
    if not stat.S_ISDIR(root_st.st_mode):
        raise BackupError(f"cannot back up {root}: not a directory")
    scan = TreeScan(root, [TreeEntry(".", root_st)])
    links: dict[str, str] = {}
    pending = [""]
    while pending:
        prefix = pending.pop()
        where = os.path.join(root, prefix) if prefix else str(root)
        try:
            with os.scandir(where) as it:
                found = sorted(it, key=lambda e: e.name)
            for entry in found:
                rel = f"{prefix}/{entry.name}" if prefix else entry.name
                if excluded(rel):
                    continue
                st = entry.stat(follow_symlinks=False)
                mode = st.st_mode
                if stat.S_ISDIR(mode):
                    scan.entries.append(TreeEntry(rel, st))
                    pending.append(rel)
                elif stat.S_ISREG(mode):
                    scan.entries.append(TreeEntry(rel, st))
                    scan.files += 1
                    scan.content_bytes += st.st_size
                elif stat.S_ISLNK(mode):
                    target = os.readlink(entry.path)
                    links[rel] = target
                    scan.entries.append(TreeEntry(rel, st, target))
                else:
                    scan.skipped.append(rel)
        except OSError as exc:
            raise BackupError(
                f"cannot back up {root}: {exc.filename or where}: {exc.strerror}"
            ) from exc
        # Depth-first in name order: children of a directory follow it closely.
        pending.sort(reverse=True)
    escaping = escaping_links(links)
    if escaping:
        first = escaping[0]
        more = f" (and {len(escaping) - 1} more)" if len(escaping) > 1 else ""
        raise BackupError(
            f"cannot back up {root}: symlink {first!r} -> {links[first]!r} leads outside it"
            f"{more}; a restore would refuse it: replace it with a copy or list it in "
            "backup_excludes"
        )
    for rel in scan.skipped:
        logger.warning("backup of %s: skipped %s (socket, fifo or device)", root, rel)
    return scan


class _Names:
    """uid/gid -> name, looked up once each (NSS lookups are slow per file)."""

    def __init__(self) -> None:
        self._users: dict[int, str] = {}
        self._groups: dict[int, str] = {}

    def user(self, uid: int) -> str:
        if uid not in self._users:
            try:
                self._users[uid] = pwd.getpwuid(uid).pw_name
            except KeyError:
                self._users[uid] = ""
        return self._users[uid]

    def group(self, gid: int) -> str:
        if gid not in self._groups:
            try:
                self._groups[gid] = grp.getgrgid(gid).gr_name
            except KeyError:
                self._groups[gid] = ""
        return self._groups[gid]


def _info(rel: str, st: os.stat_result, names: _Names) -> tarfile.TarInfo:
    info = tarfile.TarInfo(rel)
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname, info.gname = names.user(st.st_uid), names.group(st.st_gid)
    info.mtime = st.st_mtime_ns // 1_000_000_000
    return info


def _header(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def write_tree(
    scan: TreeScan,
    builder: TarBuilder,
    *,
    progress: Callable[[int], None],
    cancelled: Callable[[], bool],
) -> int:
    """Append every scanned entry to ``builder``; returns regular files written.

    ``progress`` gets the content bytes done so far after each file. Returns
    early (the caller checks ``cancelled``) when cancelled.
    """
    names = _Names()
    seen_inodes: dict[tuple[int, int, str], str] = {}
    done = 0
    files = 0
    root = str(scan.root)
    for entry in scan.entries:
        if cancelled():
            return files
        st = entry.st
        info = _info(entry.rel, st, names)
        if stat.S_ISDIR(st.st_mode):
            info.type = tarfile.DIRTYPE
            builder.write(_header(info))
            continue
        if entry.link_target is not None:
            info.type = tarfile.SYMTYPE
            info.linkname = entry.link_target
            builder.write(_header(info))
            continue
        path = os.path.join(root, entry.rel)
        if st.st_nlink > 1:
            key = (st.st_dev, st.st_ino, entry.rel.split("/", 1)[0])
            first = seen_inodes.setdefault(key, entry.rel)
            if first != entry.rel:
                info.type = tarfile.LNKTYPE
                info.linkname = first
                builder.write(_header(info))
                continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise BackupError(f"cannot back up {path}: {exc.strerror}") from exc
        try:
            now = os.fstat(fd)
            if not stat.S_ISREG(now.st_mode):
                raise BackupError(f"cannot back up {path}: it changed type during the backup")
            info = _info(entry.rel, now, names)
            info.size = now.st_size
            builder.write(_header(info))
            builder.file_data(fd, now.st_size, cancelled)
        except SinkError:
            raise
        except OSError as exc:
            raise BackupError(f"cannot back up {path}: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)
        files += 1
        done += now.st_size
        progress(done)
    return files
