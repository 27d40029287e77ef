"""Reversible apply: forward, backward, and both after a 'kill' at any move."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tui_upgrader.core.envfile import merge_env
from tui_upgrader.core.manifest import PatchOperations
from tui_upgrader.ops import apply as ap


def tree(root: Path) -> dict[str, str]:
    """Path -> content hash / link target / 'dir', ignoring our state dir."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir.parts[:1] == (".tui-upgrader",):
            continue
        for d in dirnames:
            if (rel_dir / d).parts[:1] != (".tui-upgrader",):
                out[str(rel_dir / d)] = "dir"
        for f in filenames:
            p = Path(dirpath) / f
            out[str(rel_dir / f)] = (
                "->" + os.readlink(p)
                if p.is_symlink()
                else hashlib.sha256(p.read_bytes()).hexdigest()
            )
    return out


def make(root: Path, files: dict[str, str]) -> None:
    for rel, body in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(body)


OLD = {
    "docker-compose.yml": "old compose",
    ".env": "A=1\n",
    "app/app.jar": "old jar",
    "app/legacy.jar": "legacy",
    "config/app.yml": "old cfg",
    "data/db": "precious",
    "plugins/old/p.txt": "old plugin",
}
NEW = {
    "docker-compose.yml": "new compose",
    ".env": "A=1\nB=2\n",
    "app/app.jar": "new jar",
    "config/app.yml": "new cfg",
    "front/index.html": "new front",
    "data/seed": "seed only for first install",
}


@pytest.fixture
def deploy(tmp_path: Path) -> Path:
    d = tmp_path / "deploy"
    make(d, OLD)
    make(ap.staging_dir(d), NEW)
    return d


def test_full_apply_replaces_all_but_keep_paths_and_undo_restores(deploy: Path) -> None:
    before = tree(deploy)
    moves = ap.plan_full_moves(deploy, ap.staging_dir(deploy), ("data", "upload"))
    assert "data" not in {m.path for m in moves}
    ap.apply_moves(deploy, moves, [])
    after = tree(deploy)
    assert (deploy / "app/app.jar").read_text() == "new jar"
    assert not (deploy / "app/legacy.jar").exists()
    assert not (deploy / "plugins").exists()
    assert (deploy / "data/db").read_text() == "precious"
    assert not (deploy / "data/seed").exists()
    assert after != before
    ap.undo_moves(deploy, moves, [])
    assert tree(deploy) == before


def test_first_install_takes_the_seed_data(tmp_path: Path) -> None:
    d = tmp_path / "empty"
    d.mkdir()
    make(ap.staging_dir(d), NEW)
    moves = ap.plan_full_moves(d, ap.staging_dir(d), ("data",))
    ap.apply_moves(d, moves, [])
    assert (d / "data/seed").exists()


def test_patch_apply_changes_exactly_the_listed_paths(deploy: Path) -> None:
    ops = PatchOperations(
        replace_files=("app/app.jar", "config/app.yml", "new/deep/file.txt"),
        replace_dirs=("front",),
        delete_files=("app/legacy.jar", "app/app.jar"),  # overlap: replace wins
        delete_dirs=("plugins/old",),
    )
    make(ap.staging_dir(deploy), {"new/deep/file.txt": "n"})
    before = tree(deploy)
    moves, skipped = ap.plan_patch_moves(deploy, ops, ("data",))
    assert skipped == []
    created = ap.missing_parents(deploy, moves)
    assert created == ["new", "new/deep"]
    ap.apply_moves(deploy, moves, created)
    after = tree(deploy)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {
        "app/app.jar",
        "config/app.yml",
        "app/legacy.jar",
        "plugins/old",
        "plugins/old/p.txt",
        "front",
        "front/index.html",
        "new",
        "new/deep",
        "new/deep/file.txt",
    }
    assert (deploy / "app/app.jar").read_text() == "new jar"
    ap.undo_moves(deploy, moves, created)
    assert tree(deploy) == before


def test_patch_never_touches_keep_paths(deploy: Path) -> None:
    ops = PatchOperations(replace_files=("data/db",), delete_dirs=("data",))
    moves, skipped = ap.plan_patch_moves(deploy, ops, ("data",))
    assert moves == [] and skipped == ["data/db", "data"]


@pytest.mark.parametrize("stop_after", range(0, 7))
def test_kill_mid_apply_then_undo_or_redo_is_exact(deploy: Path, stop_after: int) -> None:
    """Simulate a kill after N moves: undo gives the old tree, redo the new one."""
    before = tree(deploy)
    moves = ap.plan_full_moves(deploy, ap.staging_dir(deploy), ("data",))
    ap.apply_moves(deploy, moves[:stop_after], [])
    # a second deploy dir, fully applied, is the reference for "exactly new"
    ref = deploy.parent / "ref"
    make(ref, OLD)
    make(ap.staging_dir(ref), NEW)
    ap.apply_moves(ref, ap.plan_full_moves(ref, ap.staging_dir(ref), ("data",)), [])
    ap.apply_moves(deploy, moves, [])  # resume: idempotent
    assert tree(deploy) == tree(ref)
    ap.undo_moves(deploy, moves, [])
    assert tree(deploy) == before


def test_env_merge_keeps_admin_values_and_adds_new_keys() -> None:
    admin = "# mine\nDB_PASSWORD=s3cret\nPORT=8080\n"
    release = "DB_PASSWORD=changeme\nPORT=80\nNEW_FLAG=on\nexport OTHER=1\n"
    merged = merge_env(admin, release, "1.1.0")
    assert merged.added_keys == ("NEW_FLAG", "OTHER")
    assert "DB_PASSWORD=s3cret" in merged.text and "changeme" not in merged.text
    assert merged.text.startswith(admin)
    assert set(merged.kept_keys) == {"DB_PASSWORD", "PORT"}
    assert merge_env(admin, "PORT=1\n", "x").text == admin
