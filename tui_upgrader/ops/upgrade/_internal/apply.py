"""Swap the staged release into the deploy dir by rename, reversibly.

Every path the apply step touches is listed up front (``plan_*_moves``) and
stored in the journal before anything moves. The old version of each path is
renamed into ``.tui-upgrader/previous/`` and the new one renamed in from
``.tui-upgrader/staging/``. Both live inside the deploy dir, so every move is a
same-filesystem ``rename``: atomic per path. Undo and redo read only the
journal's list and what exists on disk, so they are idempotent and work after a
kill at any point.

That only holds when the moved paths are disjoint (none inside another) and
none is our own state dir: the planners refuse anything else before the stop,
and apply and undo check it again before touching a file. Undo removes a live
path only when it is the copy apply moved in (its staged copy is gone) or
stands where a path the upgrade deleted used to be; anything else is left
where it is, and the old copy stays in ``previous/``.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from tui_upgrader.core.errors import PackageError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.manifest import PatchOperations
from tui_upgrader.core.paths import (
    COMPOSE_OVERRIDE_NAMES,
    JOURNAL_FILE_NAME,
    STATE_DIR_NAME,
    is_under,
)
from tui_upgrader.ops.backup.swap import sync_filesystem
from tui_upgrader.ops.fault_points import crash_point
from tui_upgrader.ops.fsutil import remove_stale_temps
from tui_upgrader.ops.state import STATE_FILE, state_dir
from tui_upgrader.ops.upgrade.journal import Move

logger = logging.getLogger(__name__)

# The admin's settings: never deleted by an upgrade, merged when a package ships one.
ENV_FILE = ".env"


def staging_dir(deploy_dir: Path) -> Path:
    return deploy_dir / STATE_DIR_NAME / "staging"


def previous_dir(deploy_dir: Path) -> Path:
    return deploy_dir / STATE_DIR_NAME / "previous"


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def plan_full_moves(deploy_dir: Path, staged: Path, keep: tuple[str, ...]) -> list[Move]:
    """Top-level entries: everything old goes, everything new comes, keep paths stay.

    A keep path (``data``) that the package ships is only taken when the deploy
    dir has none yet (first install seed). A live ``.env`` the package does not
    ship stays (one it ships was merged into the staged copy beforehand).
    Ends with the staged tree flushed to disk: after the stop, a crash must not
    leave half-written files for a resumed apply to move in.
    """
    _check_work_dirs(deploy_dir)
    old = {p.name for p in deploy_dir.iterdir()} - {STATE_DIR_NAME}
    new = {p.name for p in staged.iterdir()}
    if STATE_DIR_NAME in new:
        raise PackageError(
            _("{state_dir}: the package ships the tool's own state dir; refusing it").format(
                state_dir=STATE_DIR_NAME
            )
        )
    protected = set(keep) | set(COMPOSE_OVERRIDE_NAMES)  # the admin's compose overrides
    moves: list[Move] = []
    for name in sorted(old | new):
        if name in protected and name in old:
            continue
        if name == ENV_FILE and name not in new:
            continue
        action = "replace" if name in new else "delete"
        moves.append(Move(name, action, name in old))
    _check_moves(moves)
    sync_filesystem(staged)
    return moves


def plan_patch_moves(
    deploy_dir: Path, ops: PatchOperations, keep: tuple[str, ...]
) -> tuple[list[Move], list[str]]:
    """Replace wins over delete; keep paths are never touched (returned as skipped).

    A listed ``.env`` is replaced by the staged copy (merged with the live one
    beforehand, like a full upgrade's) but never deleted. Paths inside one
    another are refused here, before the stop: which copy would win is
    undefined, and setting the outer one aside would take the inner one along.
    """
    _check_work_dirs(deploy_dir)
    moves: list[Move] = []
    skipped: list[str] = []
    for path in dict.fromkeys(ops.replaced):
        if is_under(path, keep):
            skipped.append(path)
            continue
        moves.append(Move(path, "replace", _exists(deploy_dir / path)))
    for path in dict.fromkeys(ops.deleted):
        if is_under(path, keep) or path == ENV_FILE:
            skipped.append(path)
            continue
        if _exists(deploy_dir / path):
            moves.append(Move(path, "delete", True))
    _check_moves(moves)
    _check_parents(deploy_dir, moves)
    _check_parents(staging_dir(deploy_dir), [m for m in moves if m.action == "replace"])
    sync_filesystem(staging_dir(deploy_dir))
    return moves, skipped


def _check_moves(moves: Sequence[Move]) -> None:
    """Raise before anything moves: a path inside another one, or in our state dir."""
    listed: dict[str, str] = {}
    for move in moves:
        parts = PurePosixPath(move.path).parts
        if parts[:1] == (STATE_DIR_NAME,):
            raise PackageError(
                _("{path}: the tool's own state dir is never moved").format(path=move.path)
            )
        if move.path in listed:
            raise PackageError(
                _("{path}: listed twice ({listed}, {action})").format(
                    path=move.path, listed=listed[move.path], action=move.action
                )
            )
        listed[move.path] = move.action
    for path in listed:
        for parent in PurePosixPath(path).parents:
            if str(parent) in listed:
                raise PackageError(
                    _(
                        "{path}: lies inside {parent}, also changed by this upgrade; a "
                        "path may not be listed inside another"
                    ).format(path=path, parent=parent)
                )


def _check_parents(root: Path, moves: Sequence[Move]) -> None:
    """No move goes through a symlink: a link an earlier release shipped (``app`` ->
    ``/etc``, ``cache`` -> ``data``) would carry a rename or a delete out of the
    deploy dir or into a keep path. The moved path itself may be a link (a rename
    moves the link, never what it points at)."""
    for move in moves:
        for parent in reversed(PurePosixPath(move.path).parents[:-1]):
            if (root / parent).is_symlink():
                raise PackageError(
                    _("{path}: {parent} is a symbolic link; nothing is changed through it").format(
                        path=move.path, parent=root / parent
                    )
                )


def _check_work_dirs(deploy_dir: Path) -> None:
    """A ``previous/`` left by an earlier run would pass for copies this one set aside.

    No journal refers to it (planning only runs without one), so empty
    leftovers go; files in it are the admin's to look at, never ours to delete.
    """
    prev = previous_dir(deploy_dir)
    if not _exists(prev):
        return
    if any(not p.is_dir() or p.is_symlink() for p in prev.rglob("*")):
        raise PackageError(
            _(
                "{prev}: holds files an earlier upgrade set aside; move them out "
                "of the way before upgrading again"
            ).format(prev=prev)
        )
    shutil.rmtree(prev)


def missing_parents(deploy_dir: Path, moves: Iterable[Move]) -> list[str]:
    """Parent dirs a replace must create; listed so undo can remove them again."""
    needed: list[str] = []
    for move in moves:
        if move.action != "replace":
            continue
        parent = Path(move.path).parent
        chain = []
        while str(parent) not in (".", ""):
            chain.append(parent)
            parent = parent.parent
        for p in reversed(chain):
            if not _exists(deploy_dir / p) and str(p) not in needed:
                needed.append(str(p))
    return needed


def apply_moves(deploy_dir: Path, moves: Sequence[Move], created_dirs: Iterable[str]) -> None:
    """Forward: idempotent, so ``recover --resume`` just calls it again.

    Ends with the deploy dir flushed, so the journal never moves past the
    apply step (and the state never names the new version) before the
    installed files are on disk.
    """
    _check_moves(moves)
    _check_parents(deploy_dir, moves)
    staged, prev = staging_dir(deploy_dir), previous_dir(deploy_dir)
    for rel in created_dirs:
        (deploy_dir / rel).mkdir(exist_ok=True)
    for index, move in enumerate(moves):
        crash_point(f"apply-move-{index}")  # tests: a kill between two renames
        live, old, new = deploy_dir / move.path, prev / move.path, staged / move.path
        if move.action == "replace" and not _exists(new):
            if not _exists(live):
                raise PackageError(
                    _("{path}: neither the staged nor the applied copy exists").format(
                        path=move.path
                    )
                )
            continue  # already moved in by an earlier run
        if _exists(live) and not _exists(old):
            # Also covers a path that appeared after planning (say, a bind-mount
            # source Docker created): aside, it is put back by undo like any other.
            old.parent.mkdir(parents=True, exist_ok=True)
            os.rename(live, old)
            crash_point(f"apply-move-{index}:aside")  # tests: set aside, new not in yet
        if _exists(live):
            # Never delete what the journal could not put back.
            raise PackageError(
                _("{path}: both the live and the set-aside copy exist").format(path=move.path)
            )
        if move.action == "replace":
            os.rename(new, live)
    sync_filesystem(deploy_dir)
    logger.info("applied %d move(s)", len(moves))


def undo_moves(deploy_dir: Path, moves: Sequence[Move], created_dirs: Iterable[str]) -> None:
    """Backward: put every old path back and drop every new one; idempotent.

    A live path is removed only when this upgrade made it: the copy apply moved
    in (the staged one is gone), or whatever stands where a deleted path was
    (the new version wrote it). Anything else, next to a set-aside copy, is a
    conflict: both are left in place and reported once every other path is back.
    """
    _check_moves(moves)
    _check_parents(deploy_dir, moves)
    staged, prev = staging_dir(deploy_dir), previous_dir(deploy_dir)
    conflicts: list[str] = []
    for move in reversed(moves):
        live, old = deploy_dir / move.path, prev / move.path
        ours = move.action == "delete" or not _exists(staged / move.path)
        if _exists(old):
            if _exists(live):
                if not ours:
                    conflicts.append(move.path)
                    continue
                _remove(live)
            os.rename(old, live)
        elif not move.existed and ours and _exists(live):
            _remove(live)
    for rel in reversed(list(created_dirs)):
        path = deploy_dir / rel
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    sync_filesystem(deploy_dir)
    if conflicts:
        raise PackageError(
            _(
                "{conflicts}: the live path is not the copy this upgrade "
                "installed; left it, the old copy is in {prev}"
            ).format(conflicts=", ".join(conflicts), prev=prev)
        )


def discard_work_dirs(deploy_dir: Path) -> None:
    """Staging, previous, and the temp files a kill mid-write left in the state dir."""
    for path in (staging_dir(deploy_dir), previous_dir(deploy_dir)):
        if path.exists():
            shutil.rmtree(path)
    remove_state_temps(deploy_dir)


def remove_state_temps(deploy_dir: Path) -> None:
    """The temp files a kill mid-write left beside the journal or state (under the lock)."""
    for name in (JOURNAL_FILE_NAME, STATE_FILE):
        remove_stale_temps(state_dir(deploy_dir), name)
