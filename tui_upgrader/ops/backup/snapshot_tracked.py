"""The final pass's work list when a change tracker saw everything (``ops.backup.tracker``).

Instead of a stat of every entry: the paths the events named, each new or
retyped directory's whole subtree, the racy entries, the large files, and every
hard link of a changed inode. What vanished is returned apart, with what the
record holds below it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from tui_upgrader.ops.backup.snapshot_walk import listing
from tui_upgrader.ops.backup.tracker import ChangeTracker

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.snapshot import Part, Snapshot

Entries = list[tuple[str, os.stat_result]]


def _skipped(skip: Callable[[str], bool], rel: str) -> bool:
    parts = rel.split("/")
    return any(skip("/".join(parts[: i + 1])) for i in range(len(parts)))


def _under(skip: Callable[[str], bool], prefix: str) -> Callable[[str], bool]:
    def inner(rel: str) -> bool:
        return skip(prefix + rel)

    return inner


def _below(record: Mapping[str, object], rel: str) -> set[str]:
    if rel == ".":
        return {r for r in record if r != "."}
    prefix = rel + "/"
    return {r for r in record if r.startswith(prefix)}


def tracked_changes(
    snapshot: Snapshot, index: int, part: Part, tracker: ChangeTracker
) -> tuple[Entries, set[str]]:
    skip = snapshot.skip(part)
    record = part.record
    wanted = {rel or "." for p, rel in tracker.dirty if p == index}
    trees = {rel or "." for p, rel in tracker.new_trees if p == index}
    wanted = {rel for rel in wanted if rel == "." or not _skipped(skip, rel)}
    wanted |= part.always
    by_inode: dict[int, list[str]] | None = None
    found: dict[str, os.stat_result] = {}
    gone: set[str] = set()
    todo = sorted(wanted)
    while todo:
        rel = todo.pop()
        if rel in found or rel in gone:
            continue
        path = str(part.source) if rel == "." else os.path.join(part.source, rel)
        try:
            st = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            gone.add(rel)
            gone |= _below(record, rel)
            continue
        mode = st.st_mode
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            gone.add(rel)
            continue
        found[rel] = st
        old = record.get(rel)
        if stat.S_ISDIR(mode) and (rel in trees or old is None or old[0] != "d"):
            prefix = "" if rel == "." else rel + "/"
            inner = listing(path, _under(skip, prefix))
            seen = set()
            for sub, sub_st in inner.entries[1:]:
                found[prefix + sub] = sub_st
                seen.add(prefix + sub)
            gone |= _below(record, rel) - seen
        elif stat.S_ISREG(mode) and (st.st_nlink > 1 or (old is not None and old[0] != "f")):
            if by_inode is None:
                by_inode = {}
                for other, e in record.items():
                    if e[0] == "f":
                        by_inode.setdefault(e[4], []).append(other)
            todo.extend(r for r in by_inode.get(st.st_ino, []) if r not in found)
            if old is not None and old[0] == "d":
                gone |= _below(record, rel)
    gone -= set(found)
    # Parents first, as the copy needs them.
    return sorted(found.items(), key=lambda item: item[0].split("/")), gone
