"""Unpack a release package (zip or tar.gz) into the staging dir, safely.

Strips one top-level ``docker/`` folder as the original packages have it, and
checks the result before anything is stopped: no package may hold the tool's
own state dir, a full package must hold a compose file, a patch package every
path it says it replaces.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import zipfile
from functools import partial
from pathlib import Path, PurePosixPath

from tui_upgrader.core.errors import PackageError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.manifest import PatchOperations
from tui_upgrader.core.paths import COMPOSE_FILE_NAMES, STATE_DIR_NAME
from tui_upgrader.ops.archive._internal.extract_zip import extract_zip
from tui_upgrader.ops.archive.extract import extract_tar
from tui_upgrader.ops.deploy_files import find_compose_file

logger = logging.getLogger(__name__)

MAX_MEMBERS = 200_000
MAX_TOTAL_BYTES = 64 * 1024**3
# The declared bound on how much a package may inflate: releases (text, image
# layers) stay far below 100:1; a zip bomb does not. Small packages may use
# up to RATIO_FLOOR whatever their ratio.
MAX_UNPACK_RATIO = 100
RATIO_FLOOR = 256 * 1024**2


def unpack_limit(archive_size: int) -> int:
    """The most a package of ``archive_size`` bytes may unpack to."""
    return min(MAX_TOTAL_BYTES, max(RATIO_FLOOR, MAX_UNPACK_RATIO * archive_size))


PREFIX = "docker/"


class _OutsideTopFolderError(Exception):
    """The one-pass tar extraction met a member outside ``docker/``."""


def _under_top_folder(name: PurePosixPath) -> bool:
    if name.parts[:1] == ("docker",):
        return True
    raise _OutsideTopFolderError(str(name))


def _zip_prefix(archive: Path) -> str | None:
    """``docker/`` when every entry lies in it (the central directory: no inflating)."""
    try:
        with zipfile.ZipFile(archive) as zf:
            names = [n.removeprefix("./") for n in zf.namelist()]
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageError(
            _("{name}: not a readable zip archive ({exc})").format(name=archive.name, exc=exc)
        ) from exc
    cleaned = [n for n in names if n not in ("", ".", "./")]
    if cleaned and all(n == "docker" or n.startswith(PREFIX) for n in cleaned):
        return PREFIX
    return None


def _fresh(dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True, mode=0o700)


def unpack(archive: Path, dest: Path, cancel: threading.Event | None = None) -> Path:
    """Extract into a fresh ``dest``; returns it. Raises PackageError naming the member."""
    extract = extract_zip if zipfile.is_zipfile(archive) else extract_tar
    run = partial(
        extract,
        archive,
        dest,
        error_type=PackageError,
        label=archive.name,
        max_members=MAX_MEMBERS,
        max_total_bytes=unpack_limit(archive.stat().st_size),
        cancel=cancel,
    )
    _fresh(dest)
    if extract is extract_zip:
        run(strip_prefix=_zip_prefix(archive))
    else:
        # A compressed tar cannot be listed without inflating all of it, so
        # assume the usual docker/ top folder and read it once; a member
        # outside it (rare: a flat package) costs a second pass.
        try:
            run(strip_prefix=PREFIX, select=_under_top_folder)
        except _OutsideTopFolderError:
            _fresh(dest)
            run()
    if (dest / STATE_DIR_NAME).exists() or (dest / STATE_DIR_NAME).is_symlink():
        # Applying it would move our journal and state aside mid-upgrade.
        raise PackageError(
            _(
                "{name}: holds {state_dir}/, the tool's own state dir; a release package must not"
            ).format(name=archive.name, state_dir=STATE_DIR_NAME)
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
        raise PackageError(
            _("{name}: the full package holds no compose file ({names}, under docker/)").format(
                name=name, names=", ".join(COMPOSE_FILE_NAMES)
            )
        )
    return compose


def check_patch(staged: Path, ops: PatchOperations, name: str) -> None:
    missing = [p for p in ops.replaced if not (staged / p).exists()]
    if missing:
        raise PackageError(
            _("{name}: the patch lists {missing} to replace but does not contain it").format(
                name=name, missing=", ".join(missing)
            )
        )
