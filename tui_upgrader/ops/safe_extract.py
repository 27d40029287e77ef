"""Safe extraction of tar and zip archives: backups and release packages.

One policy for both formats; every refusal names the member:

- names are relative and normalised: no absolute path, no ``..`` segment, no NUL
  (zip also: no backslash or drive letter, which Windows tools write);
- only regular files, directories, symlinks and hard links; devices, fifos and
  unknown types are refused;
- nothing is written through a link: no member may lie below a symlink, and
  symlinks are created last, after every file and directory;
- a hard link must point at a regular file extracted earlier from the archive;
- a symlink target must be relative and, resolved through every other symlink
  of the archive, stay inside ``dest`` (checked once all links are known, so
  member order cannot fool it);
- member count and total size are capped (zip bombs, corrupt headers);
- ``dest`` must be missing or empty, so the archive is the only source of links.

Why not just ``tarfile.data_filter`` (3.11.4+): it rewrites modes (drops
group/other write, set-id bits), discards owners and refuses to keep the
archive's view of the tree, while a root restore of a deploy dir must bring
back modes, owners and mtimes exactly. Its destination checks also resolve
links on disk as each member arrives, which depends on member order (the 2025
tarfile filter bypasses, CVE-2025-4517 and friends, fixed after the 3.11.7 we
run). So the checks live here, order-independent, and tarfile keeps doing the
mechanics it is good at (``extract``: file copy, hard links, numeric
chown/chmod/utime). With ``preserve_attrs=False`` (untrusted release packages)
the standard filter is applied on top, for exactly the attribute sanitising it
was designed for.
"""

from __future__ import annotations

import logging
import os
import tarfile
import threading
from pathlib import Path, PurePosixPath
from typing import IO

from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.ops.extract_policy import (
    ExtractStats,
    OnMember,
    Plan,
    Select,
    below_prefix,
    check_member_name,
    normalise,
)
from tui_upgrader.ops.safe_extract_zip import extract_zip

__all__ = ["ExtractStats", "check_member_name", "extract_tar", "extract_zip"]

logger = logging.getLogger(__name__)


def _tar_kind(member: tarfile.TarInfo) -> str | None:
    if member.isreg():
        return "file"
    if member.isdir():
        return "dir"
    if member.issym():
        return "symlink"
    if member.islnk():
        return "hardlink"
    return None


def _open_tar(archive: Path | IO[bytes]) -> tarfile.TarFile:
    """A path may be compressed (gzip/bz2/xz); a stream must be plain tar bytes.

    ``errorlevel=2``: a failed chown/chmod/utime is an error, not a debug line.

    A seekable stream is read in random-access mode, which is far cheaper per
    member than tarfile's stream mode and only ever seeks forward when members
    are taken in order (as here).
    """
    if isinstance(archive, Path):
        return tarfile.open(archive, "r:*", errorlevel=2)
    if archive.seekable():
        return tarfile.TarFile(fileobj=archive, mode="r", errorlevel=2, copybufsize=1 << 20)
    return tarfile.open(fileobj=archive, mode="r|", errorlevel=2)


def extract_tar(
    archive: Path | IO[bytes],
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
    """Extract a tar into ``dest`` (missing or empty) under the module's policy.

    ``archive``: a path (plain, gzip, bz2 or xz) or a binary stream of plain tar
    bytes. ``preserve_attrs``: keep modes, numeric owners (when root) and mtimes
    exactly (our own hash-verified backups); otherwise the standard ``data``
    filter sanitises them (release packages). ``select`` sees each normalised
    name before ``strip_prefix`` is removed and may skip members;
    ``strip_prefix`` (e.g. ``docker``) must contain every selected member, and
    its own entry becomes the root.
    """
    label = label or (str(archive) if isinstance(archive, Path) else "archive")
    prefix = (
        None
        if strip_prefix is None
        else normalise(strip_prefix, error_type=error_type, label=label)
    )
    plan = Plan(
        dest,
        error_type=error_type,
        label=label,
        max_members=max_members,
        max_total_bytes=max_total_bytes,
        cancel=cancel,
        on_member=on_member,
    )
    dest_str = str(dest)
    dirs: list[tarfile.TarInfo] = []
    link_info: dict[str, tarfile.TarInfo] = {}
    try:
        with _open_tar(archive) as tar:
            for member in tar:
                raw = member.name
                full = normalise(raw, error_type=error_type, label=label)
                if select is not None and not select(PurePosixPath(full)):
                    continue
                rel = below_prefix(full, prefix)
                if rel is None:
                    raise plan.refuse(raw, f"lies outside the expected top folder {prefix}/")
                kind = _tar_kind(member)
                if kind is None:
                    raise plan.refuse(raw, "device, fifo or other special file")
                if rel == ".":
                    if kind != "dir":
                        raise plan.refuse(raw, "the archive root is not a directory")
                    if preserve_attrs:
                        dirs.append(member.replace(name=".", deep=False))
                    continue
                plan.admit(raw, rel, kind, member.size if kind == "file" else 0)
                linkname = member.linkname
                if kind == "symlink":
                    plan.check_symlink(raw, rel, linkname)
                elif kind == "hardlink":
                    target = below_prefix(
                        normalise(linkname, error_type=error_type, label=label), prefix
                    )
                    if target is None:
                        raise plan.refuse(raw, f"hard link outside {prefix}/")
                    plan.check_hardlink(raw, target)
                    linkname = target
                info = member.replace(name=rel, linkname=linkname, deep=False)
                if not preserve_attrs:
                    try:
                        filtered = tarfile.data_filter(info, dest_str)
                    except tarfile.FilterError as exc:
                        raise plan.refuse(raw, str(exc)) from exc
                    if filtered is None:  # pragma: no cover - data_filter never skips
                        continue
                    info = filtered
                if kind == "symlink":
                    link_info[rel] = info
                    continue  # created, and counted, once every member is known
                if kind == "dir":
                    tar.extract(info, dest_str, set_attrs=False, filter="fully_trusted")
                    dirs.append(info)
                    plan.stats.dirs += 1
                else:
                    tar.extract(info, dest_str, numeric_owner=True, filter="fully_trusted")
                    if kind == "file":
                        plan.stats.files += 1
                    else:
                        plan.stats.hardlinks += 1
                plan.counted()

            def link_attrs(name: str, path: str) -> None:
                info = link_info[name]
                if preserve_attrs:
                    if os.geteuid() == 0:
                        os.lchown(path, info.uid, info.gid)
                    os.utime(path, (info.mtime, info.mtime), follow_symlinks=False)

            plan.make_symlinks(link_attrs)
            # Deepest first, once everything below exists, as extractall does:
            # creating entries changes a directory's mtime, and a read-only mode
            # would block the creation of its children.
            for info in sorted(dirs, key=lambda d: d.name, reverse=True):
                path = os.path.join(dest_str, info.name)
                tar.chown(info, path, numeric_owner=True)
                tar.utime(info, path)
                tar.chmod(info, path)
    except tarfile.ExtractError as exc:
        raise error_type(f"{label}: extraction into {dest} failed: {exc}") from exc
    except (tarfile.TarError, EOFError) as exc:
        raise error_type(f"{label}: unreadable tar: {exc}") from exc
    except OSError as exc:
        raise error_type(f"{label}: extraction into {dest} failed: {exc}") from exc
    return plan.stats
