"""The rules safe extraction applies to every member, for tar and zip alike.

See ``archive.extract`` for the policy and why it is not just tarfile's filter.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tui_upgrader.core.errors import CancelledError, UpgraderError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.archive.links import escaping_links

MAX_NAME_BYTES = 4096  # PATH_MAX: longer names are corrupt or hostile


@dataclass(slots=True)
class ExtractStats:
    members: int = 0  # extracted members (the root entry excluded)
    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    hardlinks: int = 0
    content_bytes: int = 0  # regular file content


OnMember = Callable[[ExtractStats], None]
Select = Callable[[PurePosixPath], bool]


def normalise(
    name: str, *, error_type: type[UpgraderError], label: str, windows: bool = False
) -> str:
    def refuse(problem: str) -> UpgraderError:
        return error_type(f"{label}: member {name!r}: {problem}")

    if "\x00" in name:
        raise refuse("name contains a NUL byte")
    if len(name) > MAX_NAME_BYTES // 4 and len(name.encode("utf-8", "surrogateescape")) > (
        MAX_NAME_BYTES
    ):
        raise refuse("name is longer than PATH_MAX")
    if windows and ("\\" in name or (len(name) > 1 and name[1] == ":")):
        raise refuse("name uses Windows path syntax")
    if name.startswith("/"):
        raise refuse("absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise refuse("path contains a '..' segment")
    return "/".join(parts) if parts else "."


def check_member_name(
    name: str,
    *,
    error_type: type[UpgraderError],
    label: str = "archive",
    windows: bool = False,
) -> PurePosixPath:
    """``./a//b/`` -> ``a/b``; the archive root (``.``, ``./``) -> ``.``.

    Raises ``error_type`` naming the member for an absolute path, a ``..``
    segment, a NUL byte, an over-long name and (``windows``) backslashes or
    drive letters.
    """
    return PurePosixPath(normalise(name, error_type=error_type, label=label, windows=windows))


def sanitised_mode(mode: int, is_dir: bool, preserve: bool) -> int:
    """The permission bits a member gets; 0755/0644 when it carries none.

    Unless ``preserve``, what ``tarfile.data_filter`` does to tar files: no
    set-id bits, no group/other write, files always owner-readable/writable.
    Directories keep their (sanitised) mode too: the data filter leaves it to
    the creator, and ours creates 0700, which non-root containers cannot read.
    """
    perm = stat.S_IMODE(mode)
    if not perm:
        return 0o755 if is_dir else 0o644
    if preserve:
        return perm
    perm &= 0o755
    if not is_dir:
        perm = (perm | 0o600) if perm & 0o100 else (perm & ~0o111) | 0o600
    return perm


def below_prefix(rel: str, prefix: str | None) -> str | None:
    """Member path below ``prefix``; None when it is outside it."""
    if prefix is None:
        return rel
    if rel == prefix:
        return "."
    if not rel.startswith(prefix + "/"):
        return None
    return rel[len(prefix) + 1 :]


def parents_of(rel: str) -> list[str]:
    """``a/b/c`` -> ``["a/b", "a"]``."""
    out = []
    cut = rel.rfind("/")
    while cut > 0:
        rel = rel[:cut]
        out.append(rel)
        cut = rel.rfind("/")
    return out


class Plan:
    """Bookkeeping shared by the tar and zip extractors: names, links, limits."""

    def __init__(
        self,
        dest: Path,
        *,
        error_type: type[UpgraderError],
        label: str,
        max_members: int,
        max_total_bytes: int,
        cancel: threading.Event | None,
        on_member: OnMember | None,
        strip_prefix: str | None = None,
    ) -> None:
        # The folder every member must sit in (e.g. ``docker``), normalised once.
        self.prefix = (
            None
            if strip_prefix is None
            else normalise(strip_prefix, error_type=error_type, label=label)
        )
        if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
            raise error_type(f"{label}: extraction target {dest} is not an empty directory")
        dest.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.dest = dest
        self.error_type = error_type
        self.label = label
        self.max_members = max_members
        self.max_total_bytes = max_total_bytes
        self.cancel = cancel
        self.on_member = on_member
        self.stats = ExtractStats()
        self.files: set[str] = set()
        self.dirs: set[str] = {"."}  # every directory that exists, explicit or implied
        self.links: dict[str, str] = {}  # symlink name -> target, created at the end
        self.raw_names: dict[str, str] = {}  # symlink name -> member name, for messages
        self.link_order: list[str] = []

    def refuse(self, name: str, problem: str) -> UpgraderError:
        return self.error_type(f"{self.label}: member {name!r}: {problem}")

    def admit(self, raw: str, rel: str, kind: str, size: int) -> None:
        """Check one member against everything seen so far, then count it."""
        if self.cancel is not None and self.cancel.is_set():
            raise CancelledError(_("{label}: extraction cancelled").format(label=self.label))
        if self.stats.members >= self.max_members:
            raise self.error_type(f"{self.label}: more than {self.max_members} members")
        if self.stats.content_bytes + size > self.max_total_bytes:
            raise self.error_type(
                f"{self.label}: content exceeds {self.max_total_bytes} bytes at member {raw!r}"
            )
        parents = parents_of(rel)
        for parent in parents:
            if parent in self.links or parent in self.files:
                raise self.refuse(raw, f"lies below {parent!r}, which is not a directory")
        if rel in self.links or rel in self.files:
            raise self.refuse(raw, "appears twice in the archive")
        if kind == "dir":
            self.dirs.add(rel)
        elif rel in self.dirs:
            raise self.refuse(raw, "would replace a directory")
        elif kind == "symlink":
            self.link_order.append(rel)
        else:
            self.files.add(rel)
        self.dirs.update(parents)
        self.stats.members += 1
        self.stats.content_bytes += size

    def check_symlink(self, raw: str, rel: str, target: str) -> None:
        if not target:
            raise self.refuse(raw, "symlink with an empty target")
        if target.startswith("/"):
            raise self.refuse(raw, f"symlink to an absolute path ({target})")
        if "\x00" in target:
            raise self.refuse(raw, "symlink target contains a NUL byte")
        self.links[rel] = target
        self.raw_names[rel] = raw

    def check_hardlink(self, raw: str, target: str) -> None:
        if target not in self.files:
            raise self.refuse(
                raw, f"hard link to {target!r}, which is not a file extracted before it"
            )

    def counted(self) -> None:
        if self.on_member is not None:
            self.on_member(self.stats)

    def make_symlinks(self, attrs: Callable[[str, str], None]) -> None:
        """Validate every link against the complete link map, then create them."""
        bad = escaping_links(self.links)
        if bad:
            name = bad[0]
            raise self.refuse(
                self.raw_names[name],
                f"symlink to {self.links[name]!r} points outside the extraction target",
            )
        for name in self.link_order:
            path = os.path.join(self.dest, name)
            os.symlink(self.links[name], path)
            self.stats.symlinks += 1
            attrs(name, path)
            self.counted()
