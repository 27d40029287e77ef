"""A small tmpfs mounted over a directory (we run as root), always unmounted again."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path


def _run(*argv: str) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {proc.stderr.strip()}")


@contextlib.contextmanager
def small_tmpfs(path: Path, size_bytes: int) -> Iterator[Path]:
    """``path`` (created if missing) on a tmpfs of ``size_bytes``; what was there is kept.

    Existing contents are copied in (modes, links) and copied back out at the end, so a
    deploy dir can be moved onto the small disk and back.
    """
    saved = path.with_name(path.name + ".on-disk")
    had = path.exists()
    if had:
        path.rename(saved)
    path.mkdir(parents=True)
    _run("mount", "-t", "tmpfs", "-o", f"size={size_bytes},mode=0755", "tmpfs", str(path))
    try:
        if had:
            shutil.copytree(saved, path, symlinks=True, dirs_exist_ok=True)
            shutil.rmtree(saved)
        yield path
    finally:
        if had or any(path.iterdir()):
            shutil.copytree(path, saved, symlinks=True, dirs_exist_ok=True)
        _run("umount", "-l", str(path))
        path.rmdir()
        if saved.exists():
            saved.rename(path)


def used_bytes(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
