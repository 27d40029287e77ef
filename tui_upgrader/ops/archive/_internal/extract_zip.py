"""Zip half of safe extraction (release packages); policy in ``archive.extract``."""

from __future__ import annotations

import os
import stat
import threading
import time
import zipfile
from pathlib import Path, PurePosixPath

from tui_upgrader.core.errors import CancelledError, UpgraderError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.archive.policy import (
    MAX_NAME_BYTES,
    ExtractStats,
    OnMember,
    Plan,
    Select,
    below_prefix,
    normalise,
    sanitised_mode,
)


def _zip_mode(info: zipfile.ZipInfo) -> int:
    """The Unix mode a zip entry carries (0 when made on another system)."""
    return (info.external_attr >> 16) if info.create_system == 3 else 0


def extract_zip(
    archive: Path,
    dest: Path,
    *,
    error_type: type[UpgraderError],
    strip_prefix: str | None = None,
    max_members: int,
    max_total_bytes: int,
    cancel: threading.Event | None = None,
    preserve_attrs: bool = False,
    select: Select | None = None,
    on_member: OnMember | None = None,
    label: str | None = None,
) -> ExtractStats:
    """Extract a zip into ``dest`` under the module's policy (see ``extract_tar``).

    Zip has no owners; modes come from Unix entries (sanitised unless
    ``preserve_attrs``), mtimes from the entry's local timestamp.
    """
    label = label or str(archive)
    plan = Plan(
        dest,
        error_type=error_type,
        label=label,
        max_members=max_members,
        max_total_bytes=max_total_bytes,
        cancel=cancel,
        on_member=on_member,
        strip_prefix=strip_prefix,
    )
    prefix = plan.prefix
    dirs: list[tuple[str, int, float]] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                raw = info.filename
                full = normalise(raw, error_type=error_type, label=label, windows=True)
                if select is not None and not select(PurePosixPath(full)):
                    continue
                rel = below_prefix(full, prefix)
                if rel is None:
                    raise plan.refuse(raw, f"lies outside the expected top folder {prefix}/")
                mode = _zip_mode(info)
                ftype = stat.S_IFMT(mode)
                is_dir = info.is_dir() or ftype == stat.S_IFDIR
                kind = "dir" if is_dir else "symlink" if ftype == stat.S_IFLNK else "file"
                if ftype not in (0, stat.S_IFREG, stat.S_IFDIR, stat.S_IFLNK):
                    raise plan.refuse(raw, "device, fifo or other special file")
                if rel == ".":
                    continue
                mtime = time.mktime((*info.date_time, 0, 0, -1))
                plan.admit(raw, rel, kind, info.file_size if kind == "file" else 0)
                path = os.path.join(dest, rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if kind == "dir":
                    os.makedirs(path, mode=0o700, exist_ok=True)
                    dirs.append((path, sanitised_mode(mode, True, preserve_attrs), mtime))
                    plan.stats.dirs += 1
                elif kind == "symlink":
                    if info.file_size > MAX_NAME_BYTES:
                        raise plan.refuse(raw, "symlink target is longer than PATH_MAX")
                    target = zf.read(info).decode("utf-8", "surrogateescape")
                    plan.check_symlink(raw, rel, target)
                else:
                    _copy_zip_member(zf, info, path, plan, raw)
                    os.chmod(path, sanitised_mode(mode, False, preserve_attrs))
                    os.utime(path, (mtime, mtime))
                    plan.stats.files += 1
                plan.counted()

            plan.make_symlinks(lambda _name, _path: None)
            for path, perm, mtime in sorted(dirs, reverse=True):
                os.utime(path, (mtime, mtime))
                os.chmod(path, perm)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise error_type(f"{label}: unreadable zip: {exc}") from exc
    except OSError as exc:
        raise error_type(f"{label}: extraction into {dest} failed: {exc}") from exc
    return plan.stats


def _copy_zip_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, plan: Plan, raw: str
) -> None:
    # The declared size was checked in admit(); count real bytes too, because
    # a crafted entry may inflate to more than it declares.
    written = 0
    with zf.open(info) as src, open(path, "xb") as dst:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > info.file_size:
                raise plan.refuse(raw, "inflates to more than its declared size")
            if plan.cancel is not None and plan.cancel.is_set():
                raise CancelledError(_("{label}: extraction cancelled").format(label=plan.label))
            dst.write(chunk)
