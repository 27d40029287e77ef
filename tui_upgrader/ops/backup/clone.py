"""Copying one entry of a tree exactly, cheaply, and without starving the service.

A file is cloned with ``FICLONE`` (a reflink: shared extents, no data copied)
where the filesystem has it (btrfs, XFS with reflink, bcachefs), else copied
in the kernel with ``copy_file_range`` (no round trip through Python), else
read and written. Owner, mode, times (to the nanosecond) and extended
attributes follow; a filesystem without xattrs is not an error.

The copying thread runs at the idle I/O priority (``ioprio_set``): the block
layer then serves it only when the running stack's own I/O leaves the disk
idle (honoured by BFQ and, since Linux 5.14, mq-deadline; ``none`` ignores it).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import platform
import stat
from collections.abc import Iterator

logger = logging.getLogger(__name__)

FICLONE = 0x40049409
_CHUNK = 64 * 1024 * 1024
_NO_CLONE = (errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.EBADF)
_NO_RANGE = (errno.EXDEV, errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)
_NO_XATTR = (errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENODATA, errno.EPERM)
# Test-only: pretend the filesystem cannot reflink (exercises the plain copy).
NO_REFLINK_ENV = "TUI_UPGRADER_TEST_NO_REFLINK"

_IOPRIO_SET = {"x86_64": 251, "aarch64": 30, "arm64": 30}
_IOPRIO_GET = {"x86_64": 252, "aarch64": 31, "arm64": 31}
_IOPRIO_WHO_PROCESS = 1
_IOPRIO_CLASS_IDLE = 3
_IOPRIO_CLASS_SHIFT = 13


def _reflink(src_fd: int, dst_fd: int) -> bool:
    if os.environ.get(NO_REFLINK_ENV):
        return False
    try:
        fcntl.ioctl(dst_fd, FICLONE, src_fd)
    except OSError as exc:
        if exc.errno in _NO_CLONE:
            return False
        raise
    return True


def _copy_range(src_fd: int, dst_fd: int, size: int) -> None:
    offset = 0
    try:
        while offset < size:
            done = os.copy_file_range(src_fd, dst_fd, min(_CHUNK, size - offset), offset, offset)
            if done == 0:
                break  # the file shrank while being copied: the final pass sees it
            offset += done
        return
    except OSError as exc:
        if exc.errno not in _NO_RANGE:
            raise
    os.ftruncate(dst_fd, 0)
    offset = 0
    while block := os.pread(src_fd, 1024 * 1024, offset):
        os.pwrite(dst_fd, block, offset)
        offset += len(block)


def copy_xattrs(src: str, dst: str) -> None:
    """Extended attributes, not following symlinks; none or unsupported is fine."""
    try:
        names = os.listxattr(src, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in _NO_XATTR:
            return
        raise
    for name in names:
        try:
            os.setxattr(
                dst, name, os.getxattr(src, name, follow_symlinks=False), follow_symlinks=False
            )
        except OSError as exc:
            if exc.errno not in _NO_XATTR:
                raise


def copy_attrs(st: os.stat_result, dst: str, *, link: bool = False) -> None:
    """Owner (as root), mode and nanosecond times of ``st`` onto ``dst``."""
    if os.geteuid() == 0:
        os.chown(dst, st.st_uid, st.st_gid, follow_symlinks=False)
    if not link:
        os.chmod(dst, stat.S_IMODE(st.st_mode))
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def clone_file(src: str, dst: str) -> tuple[os.stat_result, bool]:
    """Copy regular file ``src`` to the new path ``dst``; returns the source's stat
    as it was when opened (before any byte was read) and whether it was a reflink.

    The stat is taken from the open descriptor before the copy: a write during the
    copy then shows as a newer ctime, and the final pass copies the file again.
    """
    fd = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            cloned = _reflink(fd, out)
            if not cloned:
                _copy_range(fd, out, st.st_size)
        finally:
            os.close(out)
    finally:
        os.close(fd)
    copy_xattrs(src, dst)
    copy_attrs(st, dst)
    return st, cloned


def can_reflink(directory: str) -> bool:
    """Whether the filesystem holding ``directory`` clones files (tried on a temp file)."""
    probe_src = os.path.join(directory, f".tui-reflink-probe-{os.getpid()}")
    probe_dst = probe_src + ".clone"
    try:
        fd = os.open(probe_src, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, b"x" * 4096)
            out = os.open(probe_dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            try:
                return _reflink(fd, out)
            finally:
                os.close(out)
        finally:
            os.close(fd)
    except OSError:
        return False
    finally:
        for path in (probe_src, probe_dst):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def _ioprio_call(table: dict[str, int], *args: int) -> int | None:
    number = table.get(platform.machine())
    if number is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    result = int(libc.syscall(number, *args))
    return None if result < 0 else result


@contextlib.contextmanager
def idle_io() -> Iterator[None]:
    """Run the body with this thread at the idle I/O class; the old class after.

    ``ioprio_set(IOPRIO_WHO_PROCESS, 0)`` applies to the calling thread only, so
    the UI thread and the rest of the process keep their priority.
    """
    before = _ioprio_call(_IOPRIO_GET, _IOPRIO_WHO_PROCESS, 0)
    idle = _IOPRIO_CLASS_IDLE << _IOPRIO_CLASS_SHIFT
    if _ioprio_call(_IOPRIO_SET, _IOPRIO_WHO_PROCESS, 0, idle) is None:
        logger.info("could not lower the I/O priority of the pre-copy; copying at normal priority")
    try:
        yield
    finally:
        if before is not None:
            _ioprio_call(_IOPRIO_SET, _IOPRIO_WHO_PROCESS, 0, before)


def io_priority() -> int | None:
    """This thread's I/O priority value (class << 13 | data), for tests."""
    return _ioprio_call(_IOPRIO_GET, _IOPRIO_WHO_PROCESS, 0)
