"""A byte-exact picture of a directory tree: content, modes, symlinks, empty dirs."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

Tree = dict[str, str]


def tree_snapshot(root: Path, *, exclude: tuple[str, ...] = ()) -> Tree:
    """relative path -> "dir 0755" / "file 0644 <sha256>" / "link -> target".

    Every entry is listed (not only files), so an empty directory, a mode change or a
    symlink turned into a copy all show up as a difference.
    """
    out: Tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(dirnames + filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if rel.split("/")[0] in exclude:
                continue
            path = Path(dirpath) / name
            st = path.lstat()
            mode = f"{stat.S_IMODE(st.st_mode):04o}"
            if stat.S_ISLNK(st.st_mode):
                out[rel] = f"link -> {os.readlink(path)}"
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = f"dir {mode}"
            elif stat.S_ISREG(st.st_mode):
                out[rel] = f"file {mode} {_sha256(path)}"
            else:
                out[rel] = f"special {st.st_mode:o}"
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in exclude]
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_diff(got: Tree, want: Tree, limit: int = 8) -> str:
    """The first differences, one per line, for an assertion message."""
    lines = []
    for key in sorted(got.keys() | want.keys()):
        if got.get(key) != want.get(key):
            lines.append(f"  {key}: {got.get(key)!r} != {want.get(key)!r}")
    more = f"\n  ... {len(lines) - limit} more" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more
