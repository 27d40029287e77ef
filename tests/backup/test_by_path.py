"""Restoring an archive named by path and hash, from a store of other settings (#15)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.backup_trees import make_tree, snapshot
from tui_upgrader.core.errors import BackupError
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings


def _made(tmp_path: Path) -> tuple[Settings, Path, str, dict[str, tuple[Any, ...]]]:
    """A full backup taken under one data dir; returns its settings, archive, hash, tree."""
    settings = Settings(deploy_dir=tmp_path / "deploy", data_dir=tmp_path / "theirs")
    make_tree(settings.deploy_dir)
    before = snapshot(settings.deploy_dir)
    record = BackupStore(settings).create(settings.deploy_dir, kind="pre-upgrade", version=None)
    assert record.sha256 is not None
    return settings, record.archive_path, record.sha256, before


def _spoil_data(deploy: Path) -> None:
    shutil.rmtree(deploy / "data" / "db")
    (deploy / "data" / "migrated").write_text("by the new version\n")


@pytest.mark.parametrize("catalogue_kept", [True, False])
def test_another_store_restores_data_from_the_named_archive(
    tmp_path: Path, catalogue_kept: bool
) -> None:
    theirs, archive, sha256, before = _made(tmp_path)
    _spoil_data(theirs.deploy_dir)
    if not catalogue_kept:
        theirs.catalogue_path.unlink()  # the archive alone must do
    ours = BackupStore(Settings(deploy_dir=theirs.deploy_dir, data_dir=tmp_path / "ours"))
    assert ours.find(1) is None, "our catalogue knows nothing of it"
    ours.restore_archive(
        archive,
        sha256,
        theirs.deploy_dir,
        catalogue=theirs.catalogue_path,
        backup_id=1,
        data_only=True,
    )
    assert snapshot(theirs.deploy_dir) == before


def test_a_full_restore_by_path_needs_no_catalogue_either(tmp_path: Path) -> None:
    theirs, archive, sha256, before = _made(tmp_path)
    (theirs.deploy_dir / "app" / "run.sh").write_text("newer")
    ours = BackupStore(Settings(deploy_dir=theirs.deploy_dir, data_dir=tmp_path / "ours"))
    ours.restore_archive(archive, sha256, theirs.deploy_dir, catalogue=None, backup_id=None)
    assert snapshot(theirs.deploy_dir) == before


def test_an_archive_that_does_not_hash_as_named_is_refused_untouched(tmp_path: Path) -> None:
    theirs, archive, sha256, _before = _made(tmp_path)
    _spoil_data(theirs.deploy_dir)
    live = snapshot(theirs.deploy_dir)
    ours = BackupStore(Settings(deploy_dir=theirs.deploy_dir, data_dir=tmp_path / "ours"))
    with pytest.raises(BackupError, match="corrupt") as caught:
        ours.restore_archive(
            archive, "0" * 64, theirs.deploy_dir, catalogue=None, backup_id=1, data_only=True
        )
    assert "was not touched" in caught.value.message
    assert snapshot(theirs.deploy_dir) == live
    assert sha256 != "0" * 64


def test_a_missing_archive_or_a_foreign_file_is_one_clear_error(tmp_path: Path) -> None:
    ours = BackupStore(Settings(deploy_dir=tmp_path / "deploy", data_dir=tmp_path / "ours"))
    with pytest.raises(BackupError, match="does not exist"):
        ours.restore_archive(tmp_path / "gone.tar.zst", "0" * 64, tmp_path / "deploy")
    stray = tmp_path / "notes.txt"
    stray.write_text("x")
    with pytest.raises(BackupError, match="not a backup archive"):
        ours.restore_archive(stray, "0" * 64, tmp_path / "deploy")
