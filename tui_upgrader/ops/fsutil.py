"""Filesystem helpers every write that matters goes through."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tui_upgrader.core.errors import ConfigError
from tui_upgrader.core.i18n import _


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: Path, mode: int = 0o600) -> Iterator[BinaryIO]:
    """Temp file beside ``path`` + fsync + rename: readers see the old or the new file, never half.

    The temp file is removed if the body raises; the rename is made durable.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w+b") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def remove_stale_temps(directory: Path, name: str) -> list[Path]:
    """Drop the temp files ``atomic_file`` left beside ``name`` when a kill came mid-write.

    Only for a caller that holds the lock on ``directory`` (no live writer).
    """
    removed = []
    for tmp in directory.glob(f".{name}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o600) -> None:
    with atomic_file(path, mode) as fh:
        fh.write(data)


def atomic_write_text(path: Path, text: str, mode: int = 0o600) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def private_dir(path: Path) -> Path:
    """Create (or tighten) a directory only its owner may read: backups, state, trust.

    Missing levels are made one at a time, 0700. The directory itself and
    every level made here must be a real directory (not a symlink) owned by
    this user: a dir another local user owns, or a link one planted, would let
    them choose where a root process writes. Raises ``ConfigError`` naming it.
    """
    missing: list[Path] = []
    probe = path
    while not os.path.lexists(probe) and probe.parent != probe:
        missing.append(probe)
        probe = probe.parent
    _check_no_link_above(probe)  # before anything is made through a link
    try:
        for level in reversed(missing):
            with contextlib.suppress(FileExistsError):
                os.mkdir(level, 0o700)
        for level in [path, *missing[1:]]:
            _check_owned_dir(level)
        os.chmod(path, 0o700)  # checked above: a real dir of ours
    except OSError as exc:  # read-only file system, no permission, full disk
        raise ConfigError(
            _("{path}: cannot create or use this directory: {strerror}").format(
                path=exc.filename or path, strerror=exc.strerror or exc
            )
        ) from None
    return path


def _check_no_link_above(path: Path) -> None:
    absolute = Path(os.path.abspath(path))
    if os.path.realpath(absolute) == str(absolute):
        return
    for level in (*reversed(absolute.parents), absolute):
        if level.is_symlink():
            raise ConfigError(
                _("{path}: reached through the symbolic link {link}; refusing it").format(
                    path=path, link=level
                )
            )


def _check_owned_dir(path: Path) -> None:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise ConfigError(
            _("{path}: a symbolic link; refusing to keep private files through it").format(
                path=path
            )
        )
    if not stat.S_ISDIR(st.st_mode):
        raise ConfigError(_("{path}: not a directory").format(path=path))
    if st.st_uid != os.geteuid():
        raise ConfigError(
            _(
                "{path}: owned by uid {owner}, not by this user (uid {uid}); refusing to use it"
            ).format(path=path, owner=st.st_uid, uid=os.geteuid())
        )
