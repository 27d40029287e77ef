"""Release trees (what a package for one architecture holds) and patch diffs.

A tree is every regular file and directory of a release folder, as relative
POSIX paths, minus release metadata (``RELEASE_NOTES.md``), VCS folders, our
own state dir and the image tars meant for another architecture. Symlinks
and special files are refused: a package carries regular files only, so the
runner's extraction never has to decide where a link may point.

The patch from OLD to NEW, per architecture:

- replace.directories: top-most directories that exist in NEW only;
- replace.files: files added or changed (size, execute bit, then SHA-256),
  outside those directories;
- delete.directories: top-most directories that exist in OLD only;
- delete.files: files of OLD only, outside those directories.

A path that changes kind (file <-> directory) appears once, as a replace:
replacing it removes what was there. Image tars take part like any file, so an
unchanged image (same bytes, or for images saved from the engine the same
image ID) never travels in a patch.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tui_upgrader.core.errors import InputError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.manifest import PatchOperations
from tui_upgrader.core.paths import STATE_DIR_NAME, is_under
from tui_upgrader.ops.images.arch_files import image_files_for_arch
from tui_upgrader.ops.release._internal.zipwriter import sha256_file

logger = logging.getLogger(__name__)

IMAGES_DIR = "images"
NOTES_FILE = "RELEASE_NOTES.md"
_SKIPPED_TOP = frozenset({NOTES_FILE, STATE_DIR_NAME, ".git", ".hg", ".svn"})
_IMAGE_SUFFIXES = (".tar", ".tar.gz", ".tar.xz")


@dataclass(frozen=True, slots=True)
class TreeFile:
    rel: str
    source: Path | None  # None: an engine image compared by ID only (old side of a diff)
    size: int
    executable: bool = False
    image_id: str | None = None  # images saved from the engine are compared by ID


@dataclass(frozen=True, slots=True)
class ReleaseTree:
    root: Path
    files: Mapping[str, TreeFile]
    dirs: frozenset[str] = field(default_factory=frozenset)

    def with_files(self, extra: Iterable[TreeFile]) -> ReleaseTree:
        files = dict(self.files)
        dirs = set(self.dirs)
        for item in extra:
            files[item.rel] = item
            dirs.update(_ancestors(item.rel))
        return ReleaseTree(self.root, files, frozenset(dirs))

    def image_tars(self) -> list[str]:
        return sorted(r for r in self.files if _is_image_tar(r))


def _ancestors(rel: str) -> list[str]:
    parts = rel.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _is_image_tar(rel: str) -> bool:
    head, _sep, name = rel.partition("/")
    return head == IMAGES_DIR and "/" not in name and name.endswith(_IMAGE_SUFFIXES)


def scan_tree(root: Path, docker_arch: str) -> ReleaseTree:
    """Walk ``root``; raises InputError naming the first link or special file."""
    wanted_images = {p.name for p in image_files_for_arch(root / IMAGES_DIR, docker_arch)}
    files: dict[str, TreeFile] = {}
    dirs: set[str] = set()
    for current, subdirs, names in os.walk(root, onerror=_walk_error):
        here = Path(current)
        rel_here = here.relative_to(root).as_posix()
        prefix = "" if rel_here == "." else rel_here + "/"
        if not prefix:
            subdirs[:] = [d for d in subdirs if d not in _SKIPPED_TOP]
            names = [n for n in names if n not in _SKIPPED_TOP]
        for name in list(subdirs):
            path = here / name
            if path.is_symlink():
                raise InputError(
                    _("{path}: is a symlink; packages carry regular files only").format(path=path)
                )
            dirs.add(prefix + name)
        for name in names:
            rel = prefix + name
            path = here / name
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                kind = "a symlink" if stat.S_ISLNK(info.st_mode) else "not a regular file"
                raise InputError(
                    _("{path}: is {kind}; packages carry regular files only").format(
                        path=path, kind=kind
                    )
                )
            if _is_image_tar(rel) and name not in wanted_images:
                continue  # another architecture's image
            files[rel] = TreeFile(rel, path, info.st_size, bool(info.st_mode & 0o111))
    return ReleaseTree(root, files, frozenset(dirs))


def _walk_error(exc: OSError) -> None:
    raise InputError(
        _("{filename}: cannot read: {strerror}").format(
            filename=exc.filename, strerror=exc.strerror
        )
    )


def _changed(old: TreeFile, new: TreeFile) -> bool:
    if old.image_id is not None or new.image_id is not None:
        return old.image_id != new.image_id
    if old.size != new.size or old.executable != new.executable:
        return True
    if old.source is None or new.source is None:  # pragma: no cover - only images lack a source
        return True
    return sha256_file(old.source) != sha256_file(new.source)


def _top_most(paths: set[str]) -> set[str]:
    return {p for p in paths if str(PurePosixPath(p).parent) not in paths}


def diff_trees(old: ReleaseTree, new: ReleaseTree) -> PatchOperations:
    """The replace/delete operations that turn ``old`` into ``new`` (sorted)."""
    new_dirs = tuple(sorted(_top_most(set(new.dirs - old.dirs))))
    gone_dirs = tuple(sorted(_top_most(set(old.dirs - new.dirs))))
    replace_files = sorted(
        rel
        for rel, item in new.files.items()
        if not is_under(rel, new_dirs) and (rel not in old.files or _changed(old.files[rel], item))
    )
    replaced = set(replace_files) | set(new_dirs)
    delete_files = sorted(
        rel
        for rel in old.files
        if rel not in new.files and not is_under(rel, gone_dirs) and rel not in replaced
    )
    delete_dirs = [d for d in gone_dirs if d not in replaced]
    ops = PatchOperations(
        replace_files=tuple(replace_files),
        replace_dirs=new_dirs,
        delete_files=tuple(delete_files),
        delete_dirs=tuple(delete_dirs),
    )
    logger.info(
        "patch diff %s -> %s: %d replaced, %d deleted",
        old.root,
        new.root,
        len(ops.replaced),
        len(ops.deleted),
    )
    return ops


def patch_entries(new: ReleaseTree, ops: PatchOperations) -> tuple[list[str], list[str]]:
    """Directories and files the patch package holds: every replaced file, and
    everything under a replaced directory (with its parents, so each entry's
    folder exists in the archive)."""
    files = set(ops.replace_files)
    files.update(r for r in new.files if is_under(r, ops.replace_dirs))
    dirs = {d for d in new.dirs if is_under(d, ops.replace_dirs)}
    for rel in list(files) + list(dirs):
        dirs.update(_ancestors(rel))
    return sorted(dirs), sorted(files)
