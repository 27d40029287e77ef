"""Putting a restored tree in place: staging names, the swap, and its leftovers.

A restore extracts into a staging directory beside its target, on the same
filesystem, then swaps the two with one ``renameat2(RENAME_EXCHANGE)``: at
every instant the target path holds either the complete old tree or the
complete new one. Where the filesystem cannot exchange (EINVAL), two renames
are used (live -> ``<staging>.old``, staging -> live); a crash between them
leaves no live tree, and ``recover_leftovers`` puts ``.old`` back.

Leftovers a killed restore can leave, all removed by ``recover_leftovers`` at
the start of the next restore or backup of the same deploy dir:

- ``<parent>/.<name>.tui-restore-<token>``      full restore: staging, or the
  old tree after the swap;
- ``<parent>/.<name>.tui-restore-<token>.old``  full restore without exchange:
  the old live tree (restored to ``<name>`` if ``<name>`` is missing);
- ``<deploy-dir>/.tui-restore-data-<token>``    data-only restore: staging, or
  the old ``data/`` after the swap.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import secrets
import shutil
import stat
from pathlib import Path

from tui_upgrader.ops.fault_points import crash_point

logger = logging.getLogger(__name__)

DATA_STAGING_PREFIX = ".tui-restore-data-"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_UNSUPPORTED = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)
# Test-only: pretend the filesystem cannot exchange (exercises the fallback).
_NO_EXCHANGE_ENV = "TUI_UPGRADER_TEST_NO_EXCHANGE"


def _full_prefix(deploy_dir: Path) -> str:
    return f".{deploy_dir.name}.tui-restore-"


def new_staging(deploy_dir: Path, *, data_only: bool) -> Path:
    token = secrets.token_hex(4)
    if data_only:
        return deploy_dir / f"{DATA_STAGING_PREFIX}{token}"
    return deploy_dir.parent / f"{_full_prefix(deploy_dir)}{token}"


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False when the filesystem cannot."""
    if os.environ.get(_NO_EXCHANGE_ENV):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), ctypes.c_uint(_RENAME_EXCHANGE)
    )
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in _UNSUPPORTED:
        return False
    raise OSError(err, os.strerror(err), str(a), None, str(b))


def swap_in(staged: Path, live: Path) -> Path | None:
    """Put ``staged`` at ``live``; returns where the old tree now is (None: none)."""
    if not os.path.lexists(live):
        os.rename(staged, live)
        return None
    if exchange(staged, live):
        return staged
    old = staged.with_name(staged.name + ".old")
    os.rename(live, old)
    crash_point("restore-between-renames")
    try:
        os.rename(staged, live)
    except BaseException:
        os.rename(old, live)
        raise
    return old


def remove_tree(path: Path) -> None:
    """``rm -rf`` that refuses to descend into another filesystem.

    The old deploy dir may hold a mount point (a data volume): deleting
    through it would destroy data that was never ours to delete.
    """
    try:
        top = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(top.st_mode):
        for dirpath, dirnames, _files in os.walk(path):
            for name in dirnames:
                sub = os.path.join(dirpath, name)
                st = os.lstat(sub)
                if stat.S_ISDIR(st.st_mode) and st.st_dev != top.st_dev:
                    raise OSError(errno.EXDEV, "a mount point lies inside it", sub)
        shutil.rmtree(path)
    else:
        os.unlink(path)


def mount_points(root: Path) -> list[str]:
    """Directories below ``root`` on another filesystem (relative paths)."""
    if not root.is_dir():
        return []
    device = os.lstat(root).st_dev
    found: list[str] = []
    for dirpath, dirnames, _files in os.walk(root):
        keep: list[str] = []
        for name in dirnames:
            sub = os.path.join(dirpath, name)
            if os.lstat(sub).st_dev != device:
                found.append(os.path.relpath(sub, root))
            else:
                keep.append(name)
        dirnames[:] = keep
    return sorted(found)


def recover_leftovers(deploy_dir: Path) -> list[Path]:
    """Undo or clear what an interrupted restore left; returns what was removed."""
    removed: list[Path] = []
    parent = deploy_dir.parent
    prefix = _full_prefix(deploy_dir)
    if parent.is_dir():
        leftovers = sorted(p for p in parent.iterdir() if p.name.startswith(prefix))
        olds = [p for p in leftovers if p.name.endswith(".old")]
        if olds and not os.path.lexists(deploy_dir):
            # Killed between the two renames of the fallback swap: the old
            # tree is complete, the new one may not have been renamed yet.
            newest = max(olds, key=lambda p: p.stat().st_mtime)
            logger.warning("restore: putting back %s as %s", newest, deploy_dir)
            os.rename(newest, deploy_dir)
            leftovers.remove(newest)
        for path in leftovers:
            logger.warning("restore: removing leftover %s", path)
            remove_tree(path)
            removed.append(path)
    if deploy_dir.is_dir():
        live_data = deploy_dir / "data"
        for path in sorted(deploy_dir.iterdir()):
            if path.name.startswith(DATA_STAGING_PREFIX):
                parked = path / "data.old"
                if parked.is_dir() and not os.path.lexists(live_data):
                    # The same window for a --data-only restore: the live
                    # data/ was parked here and nothing has replaced it yet.
                    logger.warning("restore: putting back %s as %s", parked, live_data)
                    os.rename(parked, live_data)
                logger.warning("restore: removing leftover %s", path)
                remove_tree(path)
                removed.append(path)
    return removed


def rename_noreplace(src: Path, dst: Path) -> None:
    """``rename`` that fails with FileExistsError instead of replacing ``dst``."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        result = renameat2(
            _AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), ctypes.c_uint(1)
        )
        if result == 0:
            return
        err = ctypes.get_errno()
        if err not in _UNSUPPORTED:
            raise OSError(err, os.strerror(err), str(src), None, str(dst))
    os.link(src, dst)  # fails when dst exists, like RENAME_NOREPLACE
    os.unlink(src)


def sync_filesystem(path: Path) -> None:
    """Flush the filesystem holding ``path`` (one syncfs, not an fsync per file)."""
    libc = ctypes.CDLL(None, use_errno=True)
    syncfs = getattr(libc, "syncfs", None)
    if syncfs is None:
        os.sync()
        return
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(path))
    finally:
        os.close(fd)


def _copy_attrs(src_st: os.stat_result, dst: str) -> None:
    if os.geteuid() == 0:
        os.chown(dst, src_st.st_uid, src_st.st_gid)
    os.chmod(dst, stat.S_IMODE(src_st.st_mode))
    os.utime(dst, ns=(src_st.st_atime_ns, src_st.st_mtime_ns))


def link_copy(src: Path, dst: Path) -> None:
    """Recreate ``src`` at ``dst``: directories anew, files as hard links (shared
    data, no copy, instant even for multi-GB image tars), symlinks as links.
    Falls back to a real copy where linking is refused."""
    st = os.lstat(src)
    if stat.S_ISDIR(st.st_mode):
        os.mkdir(dst, 0o700)
        for name in sorted(os.listdir(src)):
            link_copy(src / name, dst / name)
        _copy_attrs(st, str(dst))
    elif stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), dst)
        if os.geteuid() == 0:
            os.lchown(dst, st.st_uid, st.st_gid)
        os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)
    elif stat.S_ISREG(st.st_mode):
        try:
            os.link(src, dst, follow_symlinks=False)
        except OSError:
            shutil.copy2(src, dst, follow_symlinks=False)
            _copy_attrs(st, str(dst))
    else:
        logger.warning("restore: not carrying over %s (socket, fifo or device)", src)


def carry_over(live: Path, staged: Path, rels: list[str]) -> list[str]:
    """Bring entries a backup does not hold (``images/``, the journal, excludes)
    from the live tree into the staged one; returns those carried.

    Entries the backup does hold win. Directory mtimes of the staged tree are
    kept as the backup recorded them.
    """
    carried: list[str] = []
    touched: dict[str, int] = {}
    for rel in rels:
        target = staged / rel
        if os.path.lexists(target):
            continue
        parts = rel.split("/")
        for depth in range(len(parts)):
            parent_rel = "/".join(parts[:depth])
            parent = staged / parent_rel if parent_rel else staged
            if parent_rel not in touched:
                if not os.path.lexists(parent):
                    os.mkdir(parent, 0o700)
                    touched[parent_rel] = -1
                    continue
                touched[parent_rel] = os.lstat(parent).st_mtime_ns
        link_copy(live / rel, target)
        carried.append(rel)
    for parent_rel, mtime_ns in sorted(touched.items(), reverse=True):
        parent = staged / parent_rel if parent_rel else staged
        if mtime_ns == -1:
            _copy_attrs(os.lstat(live / parent_rel), str(parent))
        else:
            st = os.lstat(parent)
            os.utime(parent, ns=(st.st_atime_ns, mtime_ns))
    return carried
