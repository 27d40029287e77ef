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
run). So the checks live here, order-independent; tarfile still parses the
archive (pax, GNU names, sparse), and with ``preserve_attrs=False`` (untrusted
release packages) the standard ``data_filter`` is applied on top, for exactly
the attribute sanitising it was designed for.

Files are written here rather than by ``TarFile.extract``: opened with
``O_CREAT|O_EXCL|O_NOFOLLOW`` and given owner, mode and mtime through the open
descriptor, so no path is looked up twice and nothing existing is followed or
overwritten; it is also about twice as cheap per small file, which is what a
deploy dir is mostly made of. Directories get their attributes last, deepest
first (creating entries changes a directory's mtime; a read-only mode would
block its children), as ``extractall`` does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tarfile
import threading
from pathlib import Path, PurePosixPath
from typing import IO, cast

from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.ops.archive._internal.extract_zip import extract_zip
from tui_upgrader.ops.archive.policy import (
    ExtractStats,
    OnMember,
    Plan,
    Select,
    below_prefix,
    check_member_name,
    normalise,
    sanitised_mode,
)
from tui_upgrader.ops.archive.tar_header import FastTarInfo

__all__ = ["ExtractStats", "check_member_name", "extract_tar", "extract_zip"]

logger = logging.getLogger(__name__)

CHUNK = 1 << 20


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

    A seekable stream is read in random-access mode, which is far cheaper per
    member than tarfile's stream mode and only ever seeks forward when members
    are taken in order (as here). ``errorlevel=2``: a failed chown/chmod/utime
    is an error, not a debug line.
    """
    if isinstance(archive, Path):
        return tarfile.open(archive, "r:*", errorlevel=2, tarinfo=FastTarInfo)
    if archive.seekable():
        return tarfile.TarFile(
            fileobj=archive, mode="r", errorlevel=2, tarinfo=FastTarInfo, copybufsize=CHUNK
        )
    return tarfile.open(fileobj=archive, mode="r|", errorlevel=2, tarinfo=FastTarInfo)


class _Writer:
    """Creates members under ``dest`` by descriptor (see the module docstring)."""

    def __init__(self, tar: tarfile.TarFile, dest: str, preserve: bool) -> None:
        self.tar = tar
        self.dest = dest
        self.chown = preserve and os.geteuid() == 0
        self.made: set[str] = {dest}

    def parent(self, path: str) -> None:
        parent = os.path.dirname(path)
        if parent not in self.made:
            os.makedirs(parent, exist_ok=True)
            self.made.add(parent)

    def attrs(self, target: int | str, info: tarfile.TarInfo, *, follow: bool = True) -> None:
        # The data filter sets ids and modes to None ("leave as created");
        # typeshed does not know, hence the casts.
        uid, gid = cast(int | None, info.uid), cast(int | None, info.gid)
        mode, mtime = cast(int | None, info.mode), cast(float | None, info.mtime)
        if self.chown and uid is not None and gid is not None:
            os.chown(target, uid, gid, follow_symlinks=follow)
        if mode is not None and follow:
            os.chmod(target, mode)
        if mtime is not None:
            os.utime(target, (mtime, mtime), follow_symlinks=follow)

    def directory(self, path: str) -> None:
        self.parent(path)
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
        self.made.add(path)

    def file(self, info: tarfile.TarInfo, path: str) -> None:
        if info.sparse is not None:  # rare (GNU sparse): tarfile knows how
            self.tar.extract(info, self.dest, numeric_owner=True, filter="fully_trusted")
            return
        self.parent(path)
        fd = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
        )
        try:
            source = self.tar.fileobj
            source.seek(info.offset_data)
            copy_to = getattr(source, "copy_to", None)
            if copy_to is not None:
                copy_to(fd, info.size)
            else:
                left = info.size
                while left:
                    data = source.read(min(left, CHUNK))
                    if not data:
                        raise tarfile.ReadError("unexpected end of data")
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                    left -= len(data)
            if info.mode is None:
                info.mode = 0o644
            self.attrs(fd, info)
        finally:
            os.close(fd)

    def hardlink(self, info: tarfile.TarInfo, path: str) -> None:
        self.parent(path)
        os.link(os.path.join(self.dest, info.linkname), path, follow_symlinks=False)
        self.attrs(path, info)


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
    dest_str = str(dest)
    dirs: list[tarfile.TarInfo] = []
    link_info: dict[str, tarfile.TarInfo] = {}
    try:
        with _open_tar(archive) as tar:
            writer = _Writer(tar, dest_str, preserve_attrs)
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
                        member.name = "."
                        dirs.append(member)
                    continue
                plan.admit(raw, rel, kind, member.size if kind == "file" else 0)
                if kind == "symlink":
                    plan.check_symlink(raw, rel, member.linkname)
                elif kind == "hardlink":
                    try:
                        full_target = normalise(member.linkname, error_type=error_type, label=label)
                    except UpgraderError as exc:
                        problem = exc.message.rsplit(": ", 1)[-1]
                        raise plan.refuse(
                            raw, f"hard link to {member.linkname!r}: {problem}"
                        ) from exc
                    target = below_prefix(full_target, prefix)
                    if target is None:
                        raise plan.refuse(raw, f"hard link outside {prefix}/")
                    plan.check_hardlink(raw, target)
                    member.linkname = target
                member.name = rel
                info = member
                if not preserve_attrs:
                    try:
                        filtered = tarfile.data_filter(member, dest_str)
                    except tarfile.FilterError as exc:
                        raise plan.refuse(raw, str(exc)) from exc
                    if filtered is None:  # pragma: no cover - data_filter never skips
                        continue
                    info = filtered
                    if kind == "dir" and info.mode is None:
                        # The filter leaves directory modes to the creator;
                        # ours makes 0700. Sanitise the member's own, as zip does.
                        info.mode = sanitised_mode(member.mode, True, False)
                path = os.path.join(dest_str, rel)
                if kind == "symlink":
                    link_info[rel] = info
                    continue  # created, and counted, once every member is known
                if kind == "dir":
                    writer.directory(path)
                    dirs.append(info)
                    plan.stats.dirs += 1
                elif kind == "file":
                    writer.file(info, path)
                    plan.stats.files += 1
                else:
                    writer.hardlink(info, path)
                    plan.stats.hardlinks += 1
                plan.counted()

            def link_attrs(name: str, path: str) -> None:
                if preserve_attrs:
                    writer.attrs(path, link_info[name], follow=False)

            plan.make_symlinks(link_attrs)
            for info in sorted(dirs, key=lambda d: d.name, reverse=True):
                writer.attrs(os.path.join(dest_str, info.name), info)
    except (tarfile.TarError, EOFError) as exc:
        raise error_type(f"{label}: unreadable tar: {exc}") from exc
    except OSError as exc:
        raise error_type(f"{label}: extraction into {dest} failed: {exc}") from exc
    return plan.stats
