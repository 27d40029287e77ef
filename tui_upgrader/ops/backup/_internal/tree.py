"""What a backup holds: scanning the deploy dir and writing it as tar members.

Nothing is followed: symlinks are stored as links, hard links (within one
top-level entry, so that restoring ``data/`` alone never needs a file from
elsewhere) as links to the first path seen. Sockets, fifos and devices are
skipped with a warning: restore would refuse them. A symlink leading outside
the tree is refused before anything is written, because the restore would
refuse it too and a backup that cannot be restored is worse than none.
"""

from __future__ import annotations

import fnmatch
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
from tui_upgrader.core.i18n import _
from tui_upgrader.core.paths import STATE_DIR_NAME
from tui_upgrader.ops.archive.codec import SinkError, TarBuilder
from tui_upgrader.ops.archive.links import escaping_links
from tui_upgrader.ops.archive.tar_header import ustar_header
from tui_upgrader.ops.backup.swap import DATA_STAGING_PREFIX

logger = logging.getLogger(__name__)

Excluded = Callable[[str], bool]

ALWAYS_EXCLUDED = ("images", f"{STATE_DIR_NAME}/journal*")
# Of the tool's own state dir only the installed version and history belong to
# a version; the rest (journal, staging/, previous/) is the work of a run.
KEPT_STATE = f"{STATE_DIR_NAME}/state.toml"


def exclusion(
    deploy_dir: Path, patterns: tuple[str, ...], data_dir: Path | None = None
) -> Excluded:
    """What backups leave out (and restores carry over from the live tree).

    ``images/`` (re-loadable, and huge), everything in ``.tui-upgrader/`` but
    ``state.toml`` (the journal and the runner's work dirs describe the run in
    progress, not the version), the configured ``backup_excludes``
    (paths relative to the deploy dir; shell wildcards match across ``/``),
    and the tool's own data dir if someone put it inside the deploy dir.
    """
    cleaned = [p.strip().strip("/").removeprefix("./") for p in patterns if p.strip("/ ")]
    globs = [*ALWAYS_EXCLUDED, *cleaned]
    inside: str | None = None
    if data_dir is not None:
        try:
            inside = data_dir.resolve().relative_to(deploy_dir.resolve()).as_posix()
        except ValueError:
            inside = None

    state_prefix = STATE_DIR_NAME + "/"

    def excluded(rel: str) -> bool:
        if rel.startswith(state_prefix) and rel != KEPT_STATE:
            return True
        if inside is not None and (rel == inside or rel.startswith(inside + "/")):
            return True
        return any(fnmatch.fnmatchcase(rel, glob) for glob in globs)

    return excluded


def restore_leftover(rel: str) -> bool:
    """A data-only restore's staging dir: never backed up, never carried over."""
    return "/" not in rel and rel.startswith(DATA_STAGING_PREFIX)


def excluded_paths(root: Path, excluded: Excluded) -> list[str]:
    """The top-most entries of ``root`` that ``excluded`` matches."""
    found: list[str] = []
    pending = [""]
    while pending:
        prefix = pending.pop()
        where = os.path.join(root, prefix) if prefix else str(root)
        try:
            with os.scandir(where) as it:
                entries = list(it)
        except FileNotFoundError:
            continue
        for entry in entries:
            rel = f"{prefix}/{entry.name}" if prefix else entry.name
            if restore_leftover(rel):
                continue
            if excluded(rel):
                found.append(rel)
            elif entry.is_dir(follow_symlinks=False):
                pending.append(rel)
    return sorted(found)


@dataclass(frozen=True, slots=True)
class TreeEntry:
    rel: str  # "." for the root
    st: os.stat_result
    link_target: str | None = None
    path: str | None = None  # where it is read from, when not ``root/rel`` (a graft)


@dataclass(slots=True)
class TreeScan:
    root: Path
    entries: list[TreeEntry] = field(default_factory=list)
    files: int = 0
    content_bytes: int = 0
    skipped: list[str] = field(default_factory=list)


def _listing(root: Path, prefix: str) -> list[os.DirEntry[str]]:
    where = os.path.join(root, prefix) if prefix else str(root)
    with os.scandir(where) as it:
        return sorted(it, key=lambda e: e.name, reverse=True)  # popped from the end


def scan_tree(root: Path, excluded: Excluded) -> TreeScan:
    """Every entry of ``root`` not excluded, in depth-first name order.

    Each directory is immediately followed by its contents, the order GNU tar
    writes and expects: its own extraction finalises a directory's mtime once
    it leaves it, so a hand restore with ``tar -x`` comes out exact too.
    """
    try:
        root_st = os.lstat(root)
    except OSError as exc:
        raise BackupError(
            _("cannot back up {root}: {strerror}").format(root=root, strerror=exc.strerror)
        ) from exc
    if not stat.S_ISDIR(root_st.st_mode):
        raise BackupError(_("cannot back up {root}: not a directory").format(root=root))
    scan = TreeScan(root, [TreeEntry(".", root_st)])
    links: dict[str, str] = {}
    stack: list[tuple[str, list[os.DirEntry[str]]]] = []
    try:
        stack.append(("", _listing(root, "")))
        while stack:
            prefix, todo = stack[-1]
            if not todo:
                stack.pop()
                continue
            entry = todo.pop()
            rel = f"{prefix}/{entry.name}" if prefix else entry.name
            if excluded(rel) or restore_leftover(rel):
                continue
            st = entry.stat(follow_symlinks=False)
            mode = st.st_mode
            if stat.S_ISDIR(mode):
                scan.entries.append(TreeEntry(rel, st))
                stack.append((rel, _listing(root, rel)))
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
            _("cannot back up {root}: {filename}: {strerror}").format(
                root=root, filename=exc.filename, strerror=exc.strerror
            )
        ) from exc
    escaping = escaping_links(links)
    if escaping:
        first = escaping[0]
        more = f" (and {len(escaping) - 1} more)" if len(escaping) > 1 else ""
        raise BackupError(
            _(
                "cannot back up {root}: symlink {first!r} -> {links!r} leads "
                "outside it{more}; a restore would refuse it: replace it with a "
                "copy or list it in backup_excludes"
            ).format(root=root, first=first, links=links[first], more=more)
        )
    for rel in scan.skipped:
        logger.warning("backup of %s: skipped %s (socket, fifo or device)", root, rel)
    return scan


def graft(scan: TreeScan, name: str, root: Path, excluded: Excluded) -> None:
    """Add ``root``'s tree to ``scan`` as its top-level entry ``name`` (read from ``root``),
    in name order, as if it lay there: a snapshot part kept on another filesystem."""
    inner = scan_tree(root, lambda rel: excluded(f"{name}/{rel}"))
    moved = [
        TreeEntry(
            name if e.rel == "." else f"{name}/{e.rel}",
            e.st,
            e.link_target,
            str(root) if e.rel == "." else os.path.join(root, e.rel),
        )
        for e in inner.entries
    ]
    at = next(
        (i for i, e in enumerate(scan.entries) if e.rel != "." and e.rel.split("/")[0] > name),
        len(scan.entries),
    )
    scan.entries[at:at] = moved
    scan.files += inner.files
    scan.content_bytes += inner.content_bytes


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


def header(
    rel: str, st: os.stat_result, names: _Names, *, kind: bytes, size: int = 0, linkname: str = ""
) -> bytes:
    """One member's header: mode, numeric owner plus names, whole-second mtime."""
    name = rel + "/" if kind == tarfile.DIRTYPE and rel != "." else rel
    if kind == tarfile.DIRTYPE and rel == ".":
        name = "./"
    fast = ustar_header(
        name,
        mode=st.st_mode,
        uid=st.st_uid,
        gid=st.st_gid,
        size=size,
        mtime=st.st_mtime_ns // 1_000_000_000,
        kind=kind,
        linkname=linkname,
        uname=names.user(st.st_uid),
        gname=names.group(st.st_gid),
    )
    if fast is not None:
        return fast
    info = tarfile.TarInfo(rel)
    info.type = kind
    info.size = size
    info.linkname = linkname
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname, info.gname = names.user(st.st_uid), names.group(st.st_gid)
    info.mtime = st.st_mtime_ns // 1_000_000_000
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
        if stat.S_ISDIR(st.st_mode):
            builder.write(header(entry.rel, st, names, kind=tarfile.DIRTYPE))
            continue
        if entry.link_target is not None:
            builder.write(
                header(entry.rel, st, names, kind=tarfile.SYMTYPE, linkname=entry.link_target)
            )
            continue
        path = entry.path or os.path.join(root, entry.rel)
        if st.st_nlink > 1:
            key = (st.st_dev, st.st_ino, entry.rel.split("/", 1)[0])
            first = seen_inodes.setdefault(key, entry.rel)
            if first != entry.rel:
                builder.write(header(entry.rel, st, names, kind=tarfile.LNKTYPE, linkname=first))
                continue
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise BackupError(
                _("cannot back up {path}: {strerror}").format(path=path, strerror=exc.strerror)
            ) from exc
        try:
            # Sizes and attributes as of now: the file may have changed since the scan.
            now = os.fstat(fd)
            if not stat.S_ISREG(now.st_mode):
                raise BackupError(
                    _("cannot back up {path}: it changed type during the backup").format(path=path)
                )
            builder.write(header(entry.rel, now, names, kind=tarfile.REGTYPE, size=now.st_size))
            builder.file_data(fd, now.st_size, cancelled)
        except SinkError:
            raise
        except OSError as exc:
            raise BackupError(
                _("cannot back up {path}: {value}").format(path=path, value=exc.strerror or exc)
            ) from exc
        finally:
            os.close(fd)
        files += 1
        done += now.st_size
        progress(done)
    return files
