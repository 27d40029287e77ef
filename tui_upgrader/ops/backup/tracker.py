"""Which paths changed while the stack served, so the final pass need not stat every file.

An inotify watch on every directory of the tree is set before the pre-copy lists
it; a thread drains the events until the final pass. inotify watches inodes, so
a write made inside a container through a bind mount or a volume is seen like
one made on the host. What the final pass then looks at: every path an event
named (a new directory: its whole subtree), the racy ones, the large files
(written through ``mmap`` a file changes without an event: databases that do so
are large), and every hard link of a changed inode.

The tracker gives up, and the final pass walks the whole tree as before, when
the kernel's queue overflowed, a watch could not be added (``max_user_watches``)
or inotify is missing.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import select
import struct
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

IN_MODIFY = 0x2
IN_ATTRIB = 0x4
IN_CLOSE_WRITE = 0x8
IN_MOVED_FROM = 0x40
IN_MOVED_TO = 0x80
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ONLYDIR = 0x1000000
IN_DONT_FOLLOW = 0x2000000
IN_ISDIR = 0x40000000
MASK = (
    IN_MODIFY
    | IN_ATTRIB
    | IN_CLOSE_WRITE
    | IN_MOVED_FROM
    | IN_MOVED_TO
    | IN_CREATE
    | IN_DELETE
    | IN_DELETE_SELF
    | IN_MOVE_SELF
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
)
_EVENT = struct.Struct("iIII")
# Test-only: pretend inotify is missing (exercises the full walk).
NO_TRACKING_ENV = "TUI_UPGRADER_TEST_NO_TRACKING"

Key = tuple[int, str]  # (part index, path relative to that part's source)


class ChangeTracker:
    def __init__(self) -> None:
        self.valid = not os.environ.get(NO_TRACKING_ENV)
        self.dirty: set[Key] = set()
        self.new_trees: set[Key] = set()
        self._wds: dict[int, Key] = {}
        self._roots: dict[int, tuple[str, Callable[[str], bool]]] = {}
        self._lock = threading.Lock()
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = -1
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC)
        self._thread: threading.Thread | None = None
        if self.valid:
            self._fd = int(self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC))
            if self._fd < 0:
                self._give_up("inotify_init1 failed")

    def _give_up(self, why: str) -> None:
        if self.valid:
            logger.info("change tracking off (%s): the final pass walks the whole tree", why)
        self.valid = False

    def watch(self, part: int, root: str, skip: Callable[[str], bool]) -> None:
        """Watch ``root`` and every directory below it (``skip`` as the walk's)."""
        self._roots[part] = (root, skip)
        self._watch_tree(part, "", mark=False)
        if self._thread is None and self.valid:
            self._thread = threading.Thread(target=self._drain_loop, daemon=True)
            self._thread.start()

    def _watch_tree(self, part: int, top: str, *, mark: bool) -> None:
        root, skip = self._roots[part]
        pending = [top]
        while pending and self.valid:
            rel = pending.pop()
            path = os.path.join(root, rel) if rel else root
            wd = int(self._libc.inotify_add_watch(self._fd, os.fsencode(path), MASK))
            if wd < 0:
                err = ctypes.get_errno()
                if err in (2, 20):  # ENOENT, ENOTDIR: gone or replaced meanwhile; events say so
                    continue
                self._give_up(f"inotify_add_watch: {os.strerror(err)}")
                return
            with self._lock:
                self._wds[wd] = (part, rel)
                if mark:
                    self.dirty.add((part, rel))
            with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(path) as it:
                for entry in it:
                    child = f"{rel}/{entry.name}" if rel else entry.name
                    if not skip(child) and entry.is_dir(follow_symlinks=False):
                        pending.append(child)

    def _drain_loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd, self._wake_r], [], [], 1.0)
            if self._fd in ready:
                self.drain()

    def drain(self) -> None:
        """Read every queued event into ``dirty`` (the final pass calls it once more)."""
        if self._fd < 0:
            return
        while True:
            try:
                data = os.read(self._fd, 256 * 1024)
            except BlockingIOError:
                return
            except OSError as exc:
                self._give_up(f"reading events: {exc}")
                return
            self._parse(data)

    def _parse(self, data: bytes) -> None:
        offset = 0
        while offset + _EVENT.size <= len(data):
            wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
            raw = data[offset + _EVENT.size : offset + _EVENT.size + length]
            offset += _EVENT.size + length
            if mask & IN_Q_OVERFLOW:
                self._give_up("the event queue overflowed")
                continue
            with self._lock:
                where = self._wds.get(wd)
                if mask & IN_IGNORED:
                    self._wds.pop(wd, None)
            if where is None:
                continue
            part, base = where
            name = os.fsdecode(raw.rstrip(b"\0"))
            rel = f"{base}/{name}" if base and name else name or base
            with self._lock:
                self.dirty.add((part, rel))
            if mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO):
                # Files made in it before its watch existed raised no event: the final
                # pass walks it whole.
                with self._lock:
                    self.new_trees.add((part, rel))
                self._watch_tree(part, rel, mark=True)

    def finish(self) -> bool:
        """Stop the drain thread, read what is left; whether the record is complete."""
        self._stop.set()
        if self._wake_w >= 0:
            os.write(self._wake_w, b"x")  # the thread sleeps in select(): no 1 s wait for it
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.drain()
        return self.valid

    def close(self) -> None:
        self._stop.set()
        if self._wake_w >= 0:
            os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        for fd in (self._fd, self._wake_r, self._wake_w):
            if fd >= 0:
                os.close(fd)
        self._fd = self._wake_r = self._wake_w = -1
