"""Unpack a release package (zip or tar.gz) into the staging dir, safely.

Strips one top-level ``docker/`` folder as the original packages have it, and
checks the result before anything is stopped: a full package must hold a
compose file, a patch package every path it says it replaces.
"""

from __future__ import annotations

import logging
import os
import shutil
import tarfile
import threading
import zipfile
from pathlib import Path

from tui_upgrader.core.errors import PackageError
from tui_upgrader.core.manifest import PatchOperations
from tui_upgrader.ops.deploy_files import find_compose_file
from tui_upgrader.ops.safe_extract import extract_tar
from tui_upgrader.ops.safe_extract_zip import extract_zip

logger = logging.getLogger(__name__)

MAX_MEMBERS = 200_000
MAX_TOTAL_BYTES = 64 * 1024**3
PREFIX = "docker/"


def _names(archive: Path) -> list[str]:
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                return zf.namelist()
        with tarfile.open(archive, "r:*") as tf:
            return tf.getnames()
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise PackageError(f"{archive.name}: not a readable zip or tar archive ({exc})") from exc


def _strip_dot(name: str) -> str:
    while name.startswith("./"):
        name = name[2:]
    return name


def _prefix(names: list[str]) -> str | None:
    cleaned = [n for n in map(_strip_dot, names) if n not in ("", ".")]
    if cleaned and all(n == "docker" or n.startswith(PREFIX) for n in cleaned):
        return PREFIX
    return None


def unpack(archive: Path, dest: Path, cancel: threading.Event | None = None) -> Path:
    """Extract into a fresh ``dest``; returns it. Raises PackageError naming the member."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True, mode=0o700)
    prefix = _prefix(_names(archive))
    extract = extract_zip if zipfile.is_zipfile(archive) else extract_tar
    extract(
        archive,
        dest,
        error_type=PackageError,
        strip_prefix=prefix,
        max_members=MAX_MEMBERS,
        max_total_bytes=MAX_TOTAL_BYTES,
        cancel=cancel,
        label=archive.name,
    )
    _touch_tree(dest)
    logger.info("unpacked %s into %s", archive.name, dest)
    return dest


def _touch_tree(root: Path) -> None:
    """Installed files get the time of installation, not the package's fixed
    build timestamp (1980 in reproducible zips), which would mislead backup
    and sync tools that compare mtimes."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*filenames, *dirnames):
            os.utime(os.path.join(dirpath, name), follow_symlinks=False)
    os.utime(root)


def check_full(staged: Path, name: str) -> Path:
    compose = find_compose_file(staged)
    if compose is None:
        raise PackageError(f"{name}: the full package holds no compose file (docker/compose.yaml)")
    return compose


def check_patch(staged: Path, ops: PatchOperations, name: str) -> None:
    missing = [p for p in ops.replaced if not (staged / p).exists()]
    if missing:
        raise PackageError(
            f"{name}: the patch lists {', '.join(missing)} to replace but does not contain it"
        )
