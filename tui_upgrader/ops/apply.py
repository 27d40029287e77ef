"""Swap the staged release into the deploy dir by rename, reversibly.

Every path the apply step touches is listed up front (``plan_*_moves``) and
stored in the journal before anything moves. The old version of each path is
renamed into ``.tui-upgrader/previous/`` and the new one renamed in from
``.tui-upgrader/staging/``. Both live inside the deploy dir, so every move is a
same-filesystem ``rename``: atomic per path. Undo and redo read only the
journal's list and what exists on disk, so they are idempotent and work after a
kill at any point.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from tui_upgrader.core.errors import PackageError
from tui_upgrader.core.manifest import PatchOperations
from tui_upgrader.core.paths import COMPOSE_OVERRIDE_NAMES, STATE_DIR_NAME, is_under
from tui_upgrader.ops.journal import Move

logger = logging.getLogger(__name__)


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
    dir has none yet (first install seed).
    """
    old = {p.name for p in deploy_dir.iterdir()} - {STATE_DIR_NAME}
    new = {p.name for p in staged.iterdir()}
    protected = set(keep) | set(COMPOSE_OVERRIDE_NAMES)  # the admin's compose overrides
    moves: list[Move] = []
    for name in sorted(old | new):
        if name in protected and name in old:
            continue
        action = "replace" if name in new else "delete"
        moves.append(Move(name, action, name in old))
    return moves


def plan_patch_moves(
    deploy_dir: Path, ops: PatchOperations, keep: tuple[str, ...]
) -> tuple[list[Move], list[str]]:
    """Replace wins over delete; keep paths are never touched (returned as skipped)."""
    moves: list[Move] = []
    skipped: list[str] = []
    for path in ops.replaced:
        if is_under(path, keep):
            skipped.append(path)
            continue
        moves.append(Move(path, "replace", _exists(deploy_dir / path)))
    for path in ops.deleted:
        if is_under(path, keep):
            skipped.append(path)
            continue
        if _exists(deploy_dir / path):
            moves.append(Move(path, "delete", True))
    return moves, skipped


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


def apply_moves(deploy_dir: Path, moves: Iterable[Move], created_dirs: Iterable[str]) -> None:
    """Forward: idempotent, so ``recover --resume`` just calls it again."""
    staged, prev = staging_dir(deploy_dir), previous_dir(deploy_dir)
    for rel in created_dirs:
        (deploy_dir / rel).mkdir(exist_ok=True)
    for move in moves:
        live, old, new = deploy_dir / move.path, prev / move.path, staged / move.path
        if move.action == "replace" and not _exists(new):
            if not _exists(live):
                raise PackageError(f"{move.path}: neither the staged nor the applied copy exists")
            continue  # already moved in by an earlier run
        if _exists(live) and not _exists(old):
            # Also covers a path that appeared after planning (say, a bind-mount
            # source Docker created): aside, it is put back by undo like any other.
            old.parent.mkdir(parents=True, exist_ok=True)
            os.rename(live, old)
        if _exists(live):
            # Never delete what the journal could not put back.
            raise PackageError(f"{move.path}: both the live and the set-aside copy exist")
        if move.action == "replace":
            os.rename(new, live)
    logger.info("applied %d move(s)", len(list(moves)))


def undo_moves(deploy_dir: Path, moves: Iterable[Move], created_dirs: Iterable[str]) -> None:
    """Backward: put every old path back and drop every new one; idempotent."""
    prev = previous_dir(deploy_dir)
    for move in reversed(list(moves)):
        live, old = deploy_dir / move.path, prev / move.path
        if _exists(old):
            if _exists(live):
                _remove(live)
            os.rename(old, live)
        elif not move.existed and _exists(live):
            _remove(live)
    for rel in reversed(list(created_dirs)):
        path = deploy_dir / rel
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()


def discard_work_dirs(deploy_dir: Path) -> None:
    for path in (staging_dir(deploy_dir), previous_dir(deploy_dir)):
        if path.exists():
            shutil.rmtree(path)
