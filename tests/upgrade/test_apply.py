"""Reversible apply: forward, backward, and both after a 'kill' at any move."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.upgrade_env import tree
from tui_upgrader.core.envfile import merge_env
from tui_upgrader.core.errors import PackageError
from tui_upgrader.core.manifest import PatchOperations
from tui_upgrader.ops.upgrade._internal import apply as ap
from tui_upgrader.ops.upgrade.journal import Move


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


# --- paths inside one another, the state dir, .env, leftovers, flushing -------------


def test_a_patch_listing_a_path_inside_another_is_refused_before_anything_moves(
    deploy: Path,
) -> None:
    make(deploy, {"app/plugins/x": "old x", "app/plugins/y": "the admin's plugin"})
    make(ap.staging_dir(deploy), {"app/plugins/x": "new x", "app/plugins/z": "new z"})
    before = tree(deploy)
    ops = PatchOperations(replace_files=("app/plugins/x",), replace_dirs=("app/plugins",))
    with pytest.raises(PackageError, match=r"^app/plugins/x: lies inside app/plugins"):
        ap.plan_patch_moves(deploy, ops, ("data",))
    nested = [Move("app/plugins/x", "replace", True), Move("app/plugins", "replace", True)]
    with pytest.raises(PackageError, match="lies inside"):
        ap.apply_moves(deploy, nested, [])
    with pytest.raises(PackageError, match="lies inside"):
        ap.undo_moves(deploy, nested, [])
    assert tree(deploy) == before


def test_undo_leaves_a_live_path_it_did_not_install(deploy: Path) -> None:
    """A set-aside copy next to a live path the staged copy never became: keep both."""
    moves = [Move("app", "replace", True)]
    make(ap.previous_dir(deploy), {"app/app.jar": "set aside"})  # staged app/ still there
    with pytest.raises(PackageError, match=r"^app: the live path is not the copy"):
        ap.undo_moves(deploy, moves, [])
    assert (deploy / "app/legacy.jar").read_text() == "legacy"
    assert (ap.previous_dir(deploy) / "app/app.jar").read_text() == "set aside"


def test_undo_never_deletes_a_path_that_appeared_before_apply_reached_it(deploy: Path) -> None:
    moves = ap.plan_full_moves(deploy, ap.staging_dir(deploy), ("data",))
    assert Move("front", "replace", False) in moves
    make(deploy, {"front/admin.html": "made by the old stack after planning"})
    ap.undo_moves(deploy, moves, [])  # apply never ran: the staged front/ is still there
    assert (deploy / "front/admin.html").exists()


def test_a_full_package_shipping_the_state_dir_is_refused(deploy: Path) -> None:
    make(ap.staging_dir(deploy), {".tui-upgrader/state.toml": 'version = "9.9.9"\n'})
    with pytest.raises(PackageError, match=r"^\.tui-upgrader: the package ships"):
        ap.plan_full_moves(deploy, ap.staging_dir(deploy), ("data",))
    for move in (Move(".tui-upgrader", "replace", True), Move(".tui-upgrader/x", "delete", True)):
        with pytest.raises(PackageError, match="state dir is never moved"):
            ap.apply_moves(deploy, [move], [])
        with pytest.raises(PackageError, match="state dir is never moved"):
            ap.undo_moves(deploy, [move], [])
    assert ap.staging_dir(deploy).is_dir()


def test_a_full_package_without_env_keeps_the_live_one(deploy: Path) -> None:
    (ap.staging_dir(deploy) / ".env").unlink()
    moves = ap.plan_full_moves(deploy, ap.staging_dir(deploy), ("data",))
    assert ".env" not in {m.path for m in moves}
    ap.apply_moves(deploy, moves, [])
    assert (deploy / ".env").read_text() == "A=1\n"


def test_a_patch_never_deletes_env(deploy: Path) -> None:
    ops = PatchOperations(delete_files=(".env", "app/legacy.jar"))
    moves, skipped = ap.plan_patch_moves(deploy, ops, ("data",))
    assert moves == [Move("app/legacy.jar", "delete", True)] and skipped == [".env"]


def test_leftovers_in_previous_refuse_planning_and_empty_ones_go(deploy: Path) -> None:
    prev = ap.previous_dir(deploy)
    make(prev, {"app/app.jar": "set aside by an earlier run"})
    with pytest.raises(PackageError, match="holds files an earlier upgrade set aside"):
        ap.plan_full_moves(deploy, ap.staging_dir(deploy), ("data",))
    with pytest.raises(PackageError, match="holds files an earlier upgrade set aside"):
        ap.plan_patch_moves(deploy, PatchOperations(replace_files=("app/app.jar",)), ())
    (prev / "app/app.jar").unlink()
    ap.plan_full_moves(deploy, ap.staging_dir(deploy), ("data",))
    assert not prev.exists()


def test_files_are_flushed_before_the_stop_and_after_the_moves(
    deploy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each sync must come after the writes it is there to make durable."""
    seen: list[tuple[Path, str | None]] = []

    def record(path: Path) -> None:
        jar = deploy / "app/app.jar"
        seen.append((path, jar.read_text() if jar.exists() else None))

    monkeypatch.setattr(ap, "sync_filesystem", record)
    staged = ap.staging_dir(deploy)
    moves = ap.plan_full_moves(deploy, staged, ("data",))
    assert seen == [(staged, "old jar")]
    patch_moves, _ = ap.plan_patch_moves(deploy, PatchOperations(replace_files=("app",)), ())
    assert seen[-1] == (staged, "old jar")
    seen.clear()
    ap.apply_moves(deploy, moves, [])
    assert seen == [(deploy, "new jar")]
    ap.undo_moves(deploy, moves, [])
    assert seen[-1] == (deploy, "old jar")
    assert patch_moves == [Move("app", "replace", True)]
