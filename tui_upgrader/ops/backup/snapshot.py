"""The pre-upgrade snapshot: a copy of the deploy dir made while the stack serves.

Two passes keep the stop window independent of the data's size:

1. ``precopy`` (old stack still serving): every entry a backup covers is copied
   into a snapshot tree on the same filesystem, at idle I/O priority, and what
   each source looked like when it was copied (kind, size, mtime_ns, ctime_ns,
   inode) is recorded. A file written while it was being copied shows a newer
   ctime later; a file that changed less than ``RACY_NS`` before it was copied
   is marked racy (a later write in the same timestamp tick would go unseen)
   and is always copied again.
2. ``final_pass`` (stack stopped): a stat walk of the live tree; whatever differs
   from the record is copied again, whatever disappeared is removed. The tree is
   then an exact cold copy, as good as a cold backup taken at that moment.

Layout: ``<deploy>/.tui-upgrader/snapshot/{tree,record.json}`` for the deploy
dir; a top-level entry that is its own mount point (``data/`` on another disk)
has its part inside that mount, ``<deploy>/data/.tui-upgrader-snapshot/``, so
both copies and rollbacks stay renames on one filesystem. Deeper mount points
are not supported: the caller then takes the cold path.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tui_upgrader.core.errors import BackupError, CancelledError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.paths import STATE_DIR_NAME
from tui_upgrader.ops.backup._internal.tree import Excluded, exclusion
from tui_upgrader.ops.backup.clone import can_reflink, copy_attrs, copy_xattrs, idle_io
from tui_upgrader.ops.backup.snapshot_copy import BLOCK_COMPARE_MIN, Entry, copy_entry, recopy
from tui_upgrader.ops.backup.snapshot_tracked import tracked_changes
from tui_upgrader.ops.backup.snapshot_walk import Listing, listing, remove_entry
from tui_upgrader.ops.backup.swap import remove_tree, sync_filesystem
from tui_upgrader.ops.backup.tracker import ChangeTracker
from tui_upgrader.ops.fault_points import crash_point
from tui_upgrader.ops.fsutil import atomic_write_text, private_dir

SNAPSHOT_DIR = "snapshot"
MOUNT_SNAPSHOT = ".tui-upgrader-snapshot"
RACY_NS = 2_000_000_000
RESERVE_BYTES = 64 * 1024 * 1024

Progress = Callable[[int, int], None]  # bytes done, total


@dataclass(slots=True)
class Part:
    """One filesystem's share: ``rel`` ("" = the deploy dir, else a top-level mount point)."""

    rel: str
    source: Path
    root: Path
    record: dict[str, Entry] = field(default_factory=dict)
    # Looked at by every final pass, whatever the tracker saw: racy and large files.
    always: set[str] = field(default_factory=set)

    @property
    def tree(self) -> Path:
        return self.root / "tree"

    @property
    def record_path(self) -> Path:
        return self.root / "record.json"


@dataclass(frozen=True, slots=True)
class PassStats:
    entries: int
    copied: int
    removed: int
    bytes_copied: int
    seconds: float
    reflinked: int = 0
    tracked: bool = False  # the final pass looked only at what inotify saw change


def snapshot_root(deploy_dir: Path) -> Path:
    return deploy_dir / STATE_DIR_NAME / SNAPSHOT_DIR


def snapshot_of(deploy_dir: Path, excludes: tuple[str, ...], data_dir: Path | None) -> Snapshot:
    """The snapshot of ``deploy_dir`` covering what its backups cover (``backup_excludes``)."""
    return Snapshot(deploy_dir, exclusion(deploy_dir, excludes, data_dir))


def _mount_parts(deploy_dir: Path, excluded: Excluded) -> list[str]:
    device = os.lstat(deploy_dir).st_dev
    found = []
    with os.scandir(deploy_dir) as it:
        for entry in it:
            if excluded(entry.name) or not entry.is_dir(follow_symlinks=False):
                continue
            if entry.stat(follow_symlinks=False).st_dev != device:
                found.append(entry.name)
    return sorted(found)


class Snapshot:
    """The snapshot of one deploy dir (see the module doc)."""

    def __init__(self, deploy_dir: Path, excluded: Excluded) -> None:
        self.deploy_dir = deploy_dir
        self.excluded = excluded
        mounts = _mount_parts(deploy_dir, excluded) if deploy_dir.is_dir() else []
        self.parts = [Part("", deploy_dir, snapshot_root(deploy_dir))] + [
            Part(m, deploy_dir / m, deploy_dir / m / MOUNT_SNAPSHOT) for m in mounts
        ]
        self._mounts = set(mounts)
        self.tracker: ChangeTracker | None = None

    # --- layout --------------------------------------------------------------------

    def part_of(self, top: str) -> Part:
        for part in self.parts[1:]:
            if part.rel == top:
                return part
        return self.parts[0]

    def exists(self) -> bool:
        return any(os.path.lexists(part.root) for part in self.parts)

    def grafts(self) -> dict[str, Path]:
        """Mount parts' trees by their top-level name, for writing the archive."""
        return {part.rel: part.tree for part in self.parts[1:]}

    def remove(self) -> None:
        if self.tracker is not None:
            self.tracker.close()
            self.tracker = None
        for part in self.parts:
            remove_tree(part.root)

    def skip(self, part: Part) -> Callable[[str], bool]:
        """What the walk of ``part`` leaves out (rels relative to its source)."""
        prefix = f"{part.rel}/" if part.rel else ""

        def skip(rel: str) -> bool:
            if not part.rel and rel in self._mounts:
                return True
            if part.rel and rel == MOUNT_SNAPSHOT:
                return True
            return self.excluded(prefix + rel)

        return skip

    def _listing(self, part: Part) -> Listing:
        return listing(part.source, self.skip(part))

    # --- space ---------------------------------------------------------------------

    def check_space(self) -> list[Listing]:
        """The listings the pre-copy will copy; raises BackupError when a part's
        filesystem has not the room (or the inodes) for its copy."""
        listings = []
        for part in self.parts:
            private_dir(part.root)  # before the watches: creating it changes its parent
        if self.tracker is not None:
            self.tracker.close()
        self.tracker = ChangeTracker()
        for index, part in enumerate(self.parts):
            self.tracker.watch(index, str(part.source), self.skip(part))
        for part in self.parts:
            found = self._listing(part)
            listings.append(found)
            stats = os.statvfs(part.source)
            free = stats.f_bavail * stats.f_frsize
            # Never to the last block: the stack keeps writing while we copy.
            reserve = min(RESERVE_BYTES, stats.f_blocks * stats.f_frsize // 20)
            need = len(found.entries) * 4096 + reserve
            if not can_reflink(str(part.root)):
                need += found.allocated
            if need > free or len(found.entries) > stats.f_favail:
                self.tracker.close()
                self.tracker = None
                self.remove()
                raise BackupError(
                    _(
                        "not enough free space on the filesystem of {where} for the pre-copy "
                        "snapshot: it needs {need} MiB and {entries} inodes, {free} MiB and "
                        "{inodes} inodes are free"
                    ).format(
                        where=part.source,
                        need=need // 2**20,
                        entries=len(found.entries),
                        free=free // 2**20,
                        inodes=stats.f_favail,
                    )
                )
        return listings

    # --- pass 1 ----------------------------------------------------------------------

    def precopy(
        self,
        listings: list[Listing] | None = None,
        *,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> PassStats:
        started = time.monotonic()
        listings = listings if listings is not None else self.check_space()
        total = sum(found.content for found in listings)
        done = copied = reflinked = 0
        with idle_io():
            for part, found in zip(self.parts, listings, strict=True):
                remove_tree(part.tree)
                part.record_path.unlink(missing_ok=True)
                part.record = {}
                links: dict[tuple[int, int], str] = {}
                dirs: list[tuple[str, os.stat_result]] = []
                for rel, st in found.entries:
                    if cancel is not None and cancel.is_set():
                        raise CancelledError(_("pre-copy cancelled; nothing was stopped"))
                    src, dst = self._paths(part, rel)
                    try:
                        st, cloned = copy_entry(part.tree, src, dst, st, links, rel)
                    except FileNotFoundError:
                        continue  # deleted while we looked: the final pass agrees
                    if stat.S_ISDIR(st.st_mode):
                        dirs.append((rel, st))
                    elif stat.S_ISREG(st.st_mode):
                        done += st.st_size
                        copied += 1
                        reflinked += cloned
                        if progress is not None:
                            progress(done, total)
                    part.record[rel] = _entry(st, racy_before=time.time_ns() - RACY_NS)
                    crash_point("snapshot-precopy")
                for rel, st in reversed(dirs):
                    src, dst = self._paths(part, rel)
                    copy_xattrs(src, dst)
                    copy_attrs(st, dst)
                # Written out now, while the stack serves: else the first fsync inside
                # the stop (ext4, data=ordered) waits for every dirty page of the copy.
                sync_filesystem(part.root)
                self._save(part, final=False)
                part.always = _always(part.record)
        entries = sum(len(p.record) for p in self.parts)
        return PassStats(entries, copied, 0, done, time.monotonic() - started, reflinked)

    def _paths(self, part: Part, rel: str) -> tuple[str, str]:
        if rel == ".":
            return str(part.source), str(part.tree)
        return os.path.join(part.source, rel), os.path.join(part.tree, rel)

    def _save(self, part: Part, *, final: bool) -> None:
        text = json.dumps({"version": 1, "final": final, "entries": part.record})
        atomic_write_text(part.record_path, text)

    def load(self) -> bool:
        """Read every part's record (a resumed run); False when one is missing."""
        for part in self.parts:
            try:
                raw = json.loads(part.record_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return False
            part.record = {
                rel: (str(k), int(size), int(mt), int(ct), int(ino), bool(racy))
                for rel, (k, size, mt, ct, ino, racy) in raw["entries"].items()
            }
            part.always = _always(part.record)
        return True

    # --- pass 2 ----------------------------------------------------------------------

    def final_pass(self, *, progress: Progress | None = None) -> PassStats:
        """Make the tree an exact copy of the (stopped) live tree: see the module doc.

        With a change tracker that saw everything since before the pre-copy listed
        the tree, only what it names is looked at (``tracked_changes``); else every
        entry is.
        """
        started = time.monotonic()
        tracker, self.tracker = self.tracker, None
        tracked = tracker is not None and tracker.finish()
        totals = [0, 0, 0, 0]  # entries looked at, copied, removed, bytes written
        for index, part in enumerate(self.parts):
            if tracked:
                assert tracker is not None
                entries, gone = tracked_changes(self, index, part, tracker)
            else:
                found = self._listing(part)
                entries = found.entries
                gone = set(part.record) - {rel for rel, _ in entries}
            self._sync(part, entries, gone, totals)
            # The rollback may need it after a power cut. (The record is not saved
            # again: it serves only to resume a final pass, from the pre-copy's.)
            sync_filesystem(part.root)
        if tracker is not None:
            tracker.close()
        if progress is not None:
            progress(totals[3], totals[3])
        looked, copied, removed, written = totals
        return PassStats(looked, copied, removed, written, time.monotonic() - started, 0, tracked)

    def _sync(
        self,
        part: Part,
        entries: list[tuple[str, os.stat_result]],
        gone: set[str],
        totals: list[int],
    ) -> None:
        fix: set[str] = set()
        links: dict[tuple[int, int], str] = {}
        totals[0] += len(entries)
        crash_point("snapshot-final")  # also when nothing changed: the pass has begun
        for rel, st in entries:
            crash_point("snapshot-final")
            new = _entry(st, racy_before=0)
            old = part.record.get(rel)
            if old is not None and not old[5] and tuple(old[:5]) == new[:5]:
                continue
            src, dst = self._paths(part, rel)
            if new[0] == "d":
                if old is None or old[0] != "d" or not os.path.isdir(dst):
                    remove_entry(dst)
                    os.mkdir(dst, 0o700)
                fix.add(rel)
            else:
                totals[3] += recopy(part.tree, src, dst, st, old, links, rel)
                totals[1] += 1
            part.record[rel] = new
            fix.add(os.path.dirname(rel) or ".")
        for rel in sorted(gone, reverse=True):
            remove_entry(self._paths(part, rel)[1])
            part.record.pop(rel, None)
            fix.add(os.path.dirname(rel) or ".")
            totals[2] += 1
        for rel in sorted(fix, key=lambda r: r.count("/") if r != "." else -1, reverse=True):
            src, dst = self._paths(part, rel)
            if os.path.isdir(dst) and os.path.isdir(src):
                copy_xattrs(src, dst)
                copy_attrs(os.lstat(src), dst)


def _always(record: dict[str, Entry]) -> set[str]:
    return {rel for rel, e in record.items() if e[5] or (e[0] == "f" and e[1] >= BLOCK_COMPARE_MIN)}


def _entry(st: os.stat_result, *, racy_before: int) -> Entry:
    mode = st.st_mode
    kind = "d" if stat.S_ISDIR(mode) else "l" if stat.S_ISLNK(mode) else "f"
    racy = max(st.st_ctime_ns, st.st_mtime_ns) >= racy_before if racy_before else False
    return (kind, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, racy)
