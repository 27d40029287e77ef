"""An ext4 filesystem in a file, loop-mounted over a directory (root only), always unmounted."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path


def _run(*argv: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {proc.stderr.strip()}")


@contextlib.contextmanager
def loop_mounted(path: Path, image: Path, size_mb: int = 64) -> Iterator[Path]:
    """``path`` as the root of a fresh ext4 of ``size_mb``; its contents moved in and
    back out at the end (modes, owners, times, links, xattrs kept by ``cp -a``)."""
    saved = path.with_name(path.name + ".on-disk")
    had = path.exists()
    if had:
        path.rename(saved)
    path.mkdir(parents=True)
    with image.open("wb") as fh:
        fh.truncate(size_mb * 1024 * 1024)
    _run("mkfs.ext4", "-q", "-F", str(image))
    _run("mount", "-o", "loop", str(image), str(path))
    try:
        (path / "lost+found").rmdir()
        if had:
            _run("cp", "-a", f"{saved}/.", str(path))
            shutil.rmtree(saved)
            saved.mkdir()
        yield path
    finally:
        if had:
            _run("cp", "-a", f"{path}/.", str(saved))
        _run("umount", str(path))
        path.rmdir()
        image.unlink()
        if saved.exists():
            saved.rename(path)
