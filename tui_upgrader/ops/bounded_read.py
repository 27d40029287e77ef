"""Read a small input file (manifest, config, state) with a cap on the bytes actually read.

``stat`` says 0 bytes for ``/dev/zero`` and a FIFO may never send anything: the
cap counts what arrives, and a deadline bounds the wait for it.
"""

from __future__ import annotations

import errno
import os
import select
import stat
import time
from pathlib import Path

from tui_upgrader.core.errors import InputError
from tui_upgrader.core.i18n import _

_CHUNK = 64 * 1024


def read_capped(path: Path, limit: int, *, deadline_s: float = 30.0) -> bytes:
    """At most ``limit`` bytes of ``path``; more, or nothing in ``deadline_s``, is an InputError.

    OSError (missing file, ENAMETOOLONG, EACCES, ...) is left to the caller,
    which knows what the file is for.
    """
    # O_NONBLOCK: opening a FIFO with no writer returns at once instead of hanging.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        if stat.S_ISREG(mode):
            os.set_blocking(fd, True)
        return _read(fd, path, limit, time.monotonic() + deadline_s)
    finally:
        os.close(fd)


def _read(fd: int, path: Path, limit: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise InputError(
                    _("{path}: nothing to read (no data within the deadline)").format(path=path)
                ) from None
            continue
        if not chunk:
            # A FIFO whose writer has not opened yet reads as end of file too.
            if chunks or not stat.S_ISFIFO(os.fstat(fd).st_mode) or time.monotonic() >= deadline:
                return b"".join(chunks)
            time.sleep(0.05)  # no writer yet: poll the FIFO until the deadline
            continue
        size += len(chunk)
        if size > limit:
            raise InputError(_("{path}: larger than {limit} bytes").format(path=path, limit=limit))
        chunks.append(chunk)
