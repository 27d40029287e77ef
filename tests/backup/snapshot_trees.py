"""Deploy trees for the snapshot tests, and the exact picture a copy of one must match."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from tui_upgrader.ops.backup import snapshot as snapshot_mod

IS_ROOT = os.geteuid() == 0


def picture(
    root: Path, *, skip: tuple[str, ...] = (), whole_seconds: bool = False
) -> dict[str, Any]:
    """Everything a snapshot must keep: content, kind, mode, owner, mtime_ns, xattrs,
    symlink targets and which paths share an inode."""
    out: dict[str, Any] = {}
    inodes: dict[int, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [
            d for d in dirnames if os.path.relpath(os.path.join(dirpath, d), root) not in skip
        ]
        for name in (
            [".", *dirnames, *filenames] if dirpath == str(root) else [*dirnames, *filenames]
        ):
            path = os.path.join(dirpath, name) if name != "." else dirpath
            rel = os.path.relpath(path, root)
            if rel in skip:
                continue
            st = os.lstat(path)
            xattrs = {}
            if not stat.S_ISLNK(st.st_mode):
                xattrs = {n: os.getxattr(path, n) for n in os.listxattr(path)}
            item: dict[str, Any] = {
                "mode": st.st_mode,
                "owner": (st.st_uid, st.st_gid),
                "xattrs": xattrs,
            }
            if stat.S_ISLNK(st.st_mode):
                item["link"] = os.readlink(path)
            else:
                # Archives keep whole seconds (README "Backups").
                item["mtime"] = st.st_mtime_ns // 10**9 if whole_seconds else st.st_mtime_ns
            if stat.S_ISREG(st.st_mode):
                item["data"] = Path(path).read_bytes()
                if st.st_nlink > 1:
                    item["group"] = inodes.setdefault(st.st_ino, rel)
            out[rel] = item
    return out


def make_deploy(root: Path) -> None:
    (root / "app").mkdir(parents=True)
    (root / "data" / "db").mkdir(parents=True)
    (root / "data" / "empty").mkdir()
    (root / "images").mkdir()
    (root / "images" / "big.tar").write_bytes(b"i" * 1000)  # never copied
    (root / "docker-compose.yml").write_text("services: {}\n")
    (root / "app" / "run.sh").write_text("#!/bin/sh\n")
    os.chmod(root / "app" / "run.sh", 0o750)
    for i in range(50):
        (root / "data" / "db" / f"page{i:03d}").write_bytes(os.urandom(3000 + i))
    (root / "data" / "db" / "page000").chmod(0o600)
    os.link(root / "data" / "db" / "page001", root / "data" / "hard")
    os.symlink("db/page002", root / "data" / "link")
    os.setxattr(root / "data" / "db" / "page003", "user.origin", b"test")
    if IS_ROOT:
        os.chown(root / "data" / "db" / "page004", 1234, 4321)
    (root / ".tui-upgrader").mkdir()
    (root / ".tui-upgrader" / "state.toml").write_text('version = "1.0.0.0"\n')
    old = time.time_ns() - 10 * 1_000_000_000
    for dirpath, dirnames, filenames in os.walk(root, topdown=False):
        for name in [*dirnames, *filenames]:
            os.utime(os.path.join(dirpath, name), ns=(old, old), follow_symlinks=False)
    os.utime(root, ns=(old, old))


@pytest.fixture(autouse=True)
def short_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test trees are seconds old: a 20 ms window (the clock's tick is <= 10 ms here)."""
    monkeypatch.setattr(snapshot_mod, "RACY_NS", 20_000_000)


def settled(root: Path) -> None:
    """Until the clock is past the racy window of every change made so far."""
    newest = max(
        os.lstat(os.path.join(d, n)).st_ctime_ns for d, ds, fs in os.walk(root) for n in [*ds, *fs]
    )
    while time.time_ns() < newest + 40_000_000:
        time.sleep(0.005)  # the clock, not another process, is what we wait for


SKIP = ("images", ".tui-upgrader/snapshot", "images/big.tar")
