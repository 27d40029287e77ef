"""Rollback's data/ from the snapshot (renames only), and the archive written from the snapshot."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backup.loopfs import loop_mounted
from tests.backup.snapshot_trees import SKIP, make_deploy, picture, settled, short_racy_window
from tui_upgrader.ops.backup._internal.tree import exclusion
from tui_upgrader.ops.backup.snapshot import MOUNT_SNAPSHOT, Snapshot
from tui_upgrader.ops.backup.snapshot_swap import data_identity, has_data, swap_data_in
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings

__all__ = ["short_racy_window"]  # the fixture, used here too

IS_ROOT = os.geteuid() == 0


def _snapshot(deploy: Path) -> Snapshot:
    return Snapshot(deploy, exclusion(deploy, ()))


def _new_version_writes(deploy: Path) -> None:
    """What a failed new version leaves in data/: migrated, added, removed."""
    (deploy / "data" / "db" / "page012").write_bytes(b"migrated")
    (deploy / "data" / "db" / "page013").unlink()
    (deploy / "data" / "v2-only").mkdir()


def test_rollback_swaps_the_snapshot_data_in_with_one_exchange(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    make_deploy(deploy)
    settled(deploy)
    snap = _snapshot(deploy)
    snap.precopy()
    snap.final_pass()
    want = picture(deploy / "data")
    identity = data_identity(snap)
    assert identity is not None and has_data(snap)
    _new_version_writes(deploy)
    swap_data_in(snap, identity)
    assert os.lstat(deploy / "data").st_ino == identity  # the snapshot's tree itself, moved
    assert picture(deploy / "data") == want
    swap_data_in(_snapshot(deploy), identity)  # a rerun after a kill changes nothing
    assert picture(deploy / "data") == want
    snap.remove()
    assert picture(deploy / "data") == want


@pytest.mark.skipif(not IS_ROOT, reason="loop mounts need root")
def test_rollback_on_a_data_mount_renames_top_level_entries_and_survives_a_kill(
    tmp_path: Path,
) -> None:
    deploy = tmp_path / "deploy"
    make_deploy(deploy)
    with loop_mounted(deploy / "data", tmp_path / "data.img"):
        settled(deploy)
        snap = _snapshot(deploy)
        snap.precopy()
        snap.final_pass()
        want = picture(deploy / "data", skip=(MOUNT_SNAPSHOT,))
        _new_version_writes(deploy)
        # Killed after the third top-level rename, then run again (as recover would).
        code = (
            "import sys; from pathlib import Path; "
            "from tests.backup.test_snapshot_swap import _snapshot; "
            "from tui_upgrader.ops.backup.snapshot_swap import swap_data_in; "
            "swap_data_in(_snapshot(Path(sys.argv[1])), None)"
        )
        env = {**os.environ, "TUI_UPGRADER_TEST_CRASH_AT": "snapshot-swap@3"}
        killed = subprocess.run(
            [sys.executable, "-c", code, str(deploy)], env=env, check=False, timeout=60
        )
        assert killed.returncode == -9
        swap_data_in(_snapshot(deploy), None)
        assert picture(deploy / "data", skip=(MOUNT_SNAPSHOT,)) == want
        _snapshot(deploy).remove()
        assert sorted(os.listdir(deploy / "data")) == sorted(want_names(want))


def want_names(pic: dict[str, object]) -> list[str]:
    return [rel for rel in pic if rel != "." and "/" not in rel]


def _restore_by_hand(archive: Path, into: Path) -> None:
    into.mkdir()
    subprocess.run(
        ["tar", "-I", "zstd", "--numeric-owner", "-xpf", str(archive), "-C", str(into)],
        check=True,
        timeout=60,
    )


@pytest.mark.parametrize("mounted", [False, True])
def test_archive_from_the_snapshot_restores_by_hand_to_the_cold_tree(
    tmp_path: Path, mounted: bool
) -> None:
    if mounted and not IS_ROOT:
        pytest.skip("loop mounts need root")
    deploy = tmp_path / "deploy"
    make_deploy(deploy)
    store = BackupStore(Settings(deploy_dir=deploy, data_dir=tmp_path / "state"))
    with loop_mounted(deploy / "data", tmp_path / "d.img") if mounted else contextlib.nullcontext():
        settled(deploy)
        snap = _snapshot(deploy)
        snap.precopy()
        (deploy / "data" / "db" / "page020").write_bytes(b"written while serving")
        snap.final_pass()
        want = picture(
            deploy,
            skip=(*SKIP, ".tui-upgrader/snapshot", f"data/{MOUNT_SNAPSHOT}"),
            whole_seconds=True,
        )
        (deploy / "data" / "db" / "page021").write_bytes(b"the new version, after the stop")
        record = store.create(
            deploy,
            kind="pre-upgrade",
            version="1.0.0.0",
            source=snap.parts[0].tree,
            grafts=snap.grafts(),
        )
    assert record.deploy_dir == deploy.resolve()
    assert store.verify(record.id).ok
    _restore_by_hand(record.archive_path, tmp_path / "restored")
    got = picture(tmp_path / "restored", whole_seconds=True)
    for item in [*got.values(), *want.values()]:
        item.pop("xattrs")  # the archive format keeps none (README "Backups"); the snapshot does
    assert got == want
