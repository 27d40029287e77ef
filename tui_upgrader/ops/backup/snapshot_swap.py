"""A rollback's data/: the snapshot's copy swapped in with renames, whatever its size.

On the deploy dir's filesystem ``<snapshot>/tree/data`` and ``data/`` are
exchanged with one ``renameat2(RENAME_EXCHANGE)``: one system call, and at
every instant ``data/`` is either tree whole. The failed version's data ends
up inside the snapshot and goes with it. A rerun after a kill knows the
exchange happened by the inode ``data/`` then has (``data_identity``).

When ``data/`` is its own mount point it cannot be renamed; its part of the
snapshot lives inside it (``data/.tui-upgrader-snapshot/tree``). The swap then
renames each top-level entry: the live ones into ``failed/``, then the
snapshot's into ``data/``: one rename per top-level entry of data/, not per
file or byte. A marker between the two phases makes a rerun after a kill
finish the phase it was in, never redo the first.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tui_upgrader.ops.backup.snapshot import MOUNT_SNAPSHOT, Snapshot
from tui_upgrader.ops.backup.swap import exchange
from tui_upgrader.ops.fault_points import crash_point
from tui_upgrader.ops.fsutil import atomic_write_text, fsync_dir

DATA = "data"


def data_identity(snapshot: Snapshot) -> int | None:
    """The inode of the snapshot's data/ (None: it holds none, or data/ is a mount)."""
    if snapshot.part_of(DATA).rel == DATA:
        return None
    try:
        return os.lstat(snapshot.parts[0].tree / DATA).st_ino
    except FileNotFoundError:
        return None


def has_data(snapshot: Snapshot) -> bool:
    part = snapshot.part_of(DATA)
    if part.rel == DATA:
        return part.tree.is_dir() or (part.root / "swapped").exists()
    return os.path.lexists(part.tree / DATA)


def swap_data_in(snapshot: Snapshot, identity: int | None) -> None:
    """Put the snapshot's data/ in place of the live one (idempotent, see the module doc)."""
    part = snapshot.part_of(DATA)
    live = snapshot.deploy_dir / DATA
    if part.rel == DATA:
        _swap_entries(part.root, part.tree, live)
        return
    saved = part.tree / DATA
    if identity is not None and os.path.lexists(live) and os.lstat(live).st_ino == identity:
        return  # a run killed after the exchange
    crash_point("snapshot-swap")
    if not os.path.lexists(live):
        os.rename(saved, live)
    elif not exchange(saved, live):
        aside = part.root / "data.failed"
        os.rename(live, aside)
        os.rename(saved, live)
    fsync_dir(snapshot.deploy_dir)


def _swap_entries(root: Path, tree: Path, live: Path) -> None:
    if (root / "swapped").exists():
        return
    marker = root / "moved-out.json"
    failed = root / "failed"
    if not marker.exists():
        failed.mkdir(mode=0o700, exist_ok=True)
        for name in sorted(os.listdir(live)):
            if name != MOUNT_SNAPSHOT:
                os.rename(live / name, failed / name)
                crash_point("snapshot-swap")
        st = os.lstat(tree)
        attrs = [st.st_mode, st.st_uid, st.st_gid, st.st_atime_ns, st.st_mtime_ns]
        atomic_write_text(marker, json.dumps(attrs))
    for name in sorted(os.listdir(tree)):
        os.rename(tree / name, live / name)
        crash_point("snapshot-swap")
    mode, uid, gid, atime, mtime = json.loads(marker.read_text(encoding="utf-8"))
    if os.geteuid() == 0:
        os.chown(live, uid, gid)
    os.chmod(live, stat.S_IMODE(mode))
    os.utime(live, ns=(atime, mtime))
    os.mkdir(root / "swapped", 0o700)
    fsync_dir(live)
