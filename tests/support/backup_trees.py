"""Trees with every kind of entry, and their snapshots, for the backup tests."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

IS_ROOT = os.geteuid() == 0


LONG_NAME = "a-very-long-directory-name-" + "x" * 90  # > 100 bytes: needs a pax record


def _file(path: Path, data: bytes, mode: int, mtime: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.chmod(path, mode)
    os.utime(path, (mtime, mtime))


def make_tree(root: Path) -> None:
    """A deploy dir with every kind of entry a backup must keep exactly."""
    root.mkdir(parents=True, exist_ok=True)
    t = 1_700_000_000
    _file(root / "compose.yaml", b"services: {}\n", 0o644, t)
    _file(root / ".env", b"SECRET=1\n", 0o600, t + 1)
    _file(root / "app" / "run.sh", b"#!/bin/sh\necho hi\n", 0o755, t + 2)
    _file(root / "app" / "lib" / "big.bin", os.urandom(300_000), 0o640, t + 3)
    _file(root / "config" / "app.yml", b"a: 1\n" * 1000, 0o664, t + 4)
    _file(root / "config" / "über-日本.yml", "ünïcödé: ✓\n".encode(), 0o644, t + 5)
    _file(root / "data" / "db" / "rows.sql", b"INSERT 1;\n" * 5000, 0o600, t + 6)
    _file(root / "data" / LONG_NAME / "deep" / "file.txt", b"long\n", 0o644, t + 7)
    os.link(root / "config" / "app.yml", root / "config" / "app-hardlink.yml")
    os.link(root / "data" / "db" / "rows.sql", root / "data" / "db" / "rows-link.sql")
    (root / "data" / "empty" / "nested-empty").mkdir(parents=True)
    (root / "data" / "sticky").mkdir()
    os.chmod(root / "data" / "sticky", 0o1777)
    os.symlink("run.sh", root / "app" / "current")
    os.symlink("../config/app.yml", root / "app" / "config-link")
    os.symlink("not-yet-there", root / "data" / "dangling")
    os.symlink("..", root / "data" / "up-to-root")
    _file(root / ".tui-upgrader" / "state.toml", b'version = "1.4.2.3"\n', 0o600, t + 8)
    if IS_ROOT:
        os.chown(root / "data" / "db" / "rows.sql", 999, 998)
        os.chown(root / "app" / "run.sh", 1234, 5678)
        os.lchown(root / "app" / "current", 4321, 8765)
        os.chown(root / "data" / "empty", 777, 778)
    for dirpath, dirnames, _files in os.walk(root):
        for name in dirnames:
            os.utime(os.path.join(dirpath, name), (t + 100, t + 100), follow_symlinks=False)
    os.utime(root, (t + 200, t + 200))


def make_runtime_items(root: Path) -> None:
    """What backups leave out: image tars, the journal and the runner's work dirs."""
    _file(root / "images" / "app-amd64.tar", b"image layers", 0o644, 1_700_000_500)
    _file(root / ".tui-upgrader" / "journal.json", b'{"step": "x"}', 0o600, 1_700_000_500)
    _file(root / ".tui-upgrader" / "staging" / "pkg.txt", b"staged", 0o644, 1_700_000_500)


Snapshot = dict[str, tuple[Any, ...]]


def snapshot(root: Path, skip: Callable[[str], bool] = lambda rel: False) -> Snapshot:
    """Every entry: type, mode, owner, mtime (s), content hash or link target,
    plus which names share an inode (hard links)."""
    out: Snapshot = {}
    inodes: dict[int, list[str]] = {}
    top = os.lstat(root)
    out["."] = ("dir", stat.S_IMODE(top.st_mode), top.st_uid, top.st_gid, int(top.st_mtime))
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            if skip(rel):
                if name in dirnames:
                    dirnames.remove(name)
                continue
            st = os.lstat(path)
            common = (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, int(st.st_mtime))
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path), st.st_uid, st.st_gid, int(st.st_mtime))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", *common)
            else:
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                out[rel] = ("file", *common, digest)
                inodes.setdefault(st.st_ino, []).append(rel)
    out["<hardlinks>"] = tuple(sorted(tuple(sorted(v)) for v in inodes.values() if len(v) > 1))
    return out


def runtime_item(rel: str) -> bool:
    """Entries a backup never holds (so the snapshots compare everything else)."""
    return rel == "images" or (
        rel.startswith(".tui-upgrader/") and rel != ".tui-upgrader/state.toml"
    )
