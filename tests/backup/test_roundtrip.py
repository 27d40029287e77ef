"""A backup brings back exactly what it took, for both codecs."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import stat
import tarfile
from pathlib import Path

import pytest
import zstandard

from tests.support.backup_trees import (
    IS_ROOT,
    LONG_NAME,
    make_runtime_items,
    make_tree,
    runtime_item,
    snapshot,
)
from tui_upgrader.core.errors import BackupError
from tui_upgrader.core.events import Event, LogEvent, ProgressEvent, Step
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings


def _members(path: Path) -> list[str]:
    with path.open("rb") as raw:
        if path.name.endswith(".zst"):
            reader = zstandard.ZstdDecompressor().stream_reader(raw)
            with tarfile.open(fileobj=reader, mode="r|") as tar:
                return [m.name for m in tar]
        with tarfile.open(fileobj=raw, mode="r|gz") as tar:
            return [m.name for m in tar]


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_round_trip_restores_the_exact_tree(settings: Settings, codec: str) -> None:
    settings = dataclasses.replace(settings, backup_codec=codec)
    store = BackupStore(settings)
    deploy = settings.deploy_dir
    make_tree(deploy)
    make_runtime_items(deploy)
    before = snapshot(deploy, skip=runtime_item)
    events: list[Event] = []

    record = store.create(deploy, kind="manual", version="1.4.2.3", emit=events.append)

    assert record.status == "completed" and record.codec == codec
    assert record.archive_path.name.startswith(f"backup-{record.id:06d}-manual-")
    assert record.file_count == 9 and record.sha256 and record.size  # hard links not counted
    progress = [e for e in events if isinstance(e, ProgressEvent)]
    assert progress[-1] == ProgressEvent(
        Step.CREATING_BACKUP, record.content_bytes or 0, record.content_bytes
    )

    # Break the live tree in every way a restore must undo.
    shutil.rmtree(deploy / "app")
    (deploy / "config" / "app.yml").write_text("changed")
    (deploy / "new-file").write_text("not in the backup")
    os.chmod(deploy / ".env", 0o644)
    (deploy / "images" / "newer-amd64.tar").write_bytes(b"loaded after the backup")

    restore_events: list[Event] = []
    store.restore(record.id, deploy, emit=restore_events.append)

    assert snapshot(deploy, skip=runtime_item) == before
    # What backups never hold is carried over from the live tree, as it was.
    assert (deploy / "images" / "newer-amd64.tar").read_bytes() == b"loaded after the backup"
    assert (deploy / ".tui-upgrader" / "journal.json").read_bytes() == b'{"step": "x"}'
    assert (deploy / ".tui-upgrader" / "staging" / "pkg.txt").exists()
    last = [e for e in restore_events if isinstance(e, ProgressEvent)][-1]
    assert last == ProgressEvent(Step.RESTORING_BACKUP, record.size or 0, record.size)
    # No staging dir left beside or inside the deploy dir.
    assert [p.name for p in deploy.parent.iterdir() if "tui-restore" in p.name] == []


def test_restore_into_a_missing_deploy_dir(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)
    before = snapshot(settings.deploy_dir)
    record = store.create(settings.deploy_dir, kind="manual", version=None)
    target = settings.deploy_dir.parent / "elsewhere"

    store.restore(record.id, target)

    assert snapshot(target) == before


def test_backup_holds_state_but_not_images_or_journal(
    store: BackupStore, settings: Settings
) -> None:
    make_tree(settings.deploy_dir)
    make_runtime_items(settings.deploy_dir)

    record = store.create(settings.deploy_dir, kind="manual", version=None)

    names = _members(record.archive_path)
    assert ".tui-upgrader/state.toml" in names
    assert (
        "compose.yaml" in names and ".env" in names and f"data/{LONG_NAME}/deep/file.txt" in names
    )
    assert not [
        n
        for n in names
        if n.startswith(("images", ".tui-upgrader/journal", ".tui-upgrader/staging"))
    ]


def test_configured_excludes_are_left_out_and_kept_on_restore(tmp_path: Path) -> None:
    settings = Settings(
        deploy_dir=tmp_path / "deploy",
        data_dir=tmp_path / "data",
        backup_excludes=("data/cache", "*.tmp"),
    )
    store = BackupStore(settings)
    make_tree(settings.deploy_dir)
    (settings.deploy_dir / "data" / "cache").mkdir()
    (settings.deploy_dir / "data" / "cache" / "c1").write_text("cached")
    (settings.deploy_dir / "app" / "x.tmp").write_text("tmp")

    record = store.create(settings.deploy_dir, kind="manual", version=None)
    names = _members(record.archive_path)
    assert "data/cache" not in names and "app/x.tmp" not in names
    (settings.deploy_dir / "data" / "cache" / "c2").write_text("newer")

    store.restore(record.id, settings.deploy_dir)

    assert sorted(p.name for p in (settings.deploy_dir / "data" / "cache").iterdir()) == [
        "c1",
        "c2",
    ]
    assert (settings.deploy_dir / "app" / "x.tmp").read_text() == "tmp"


def test_data_only_restore_leaves_everything_else(store: BackupStore, settings: Settings) -> None:
    deploy = settings.deploy_dir
    make_tree(deploy)
    data_before = snapshot(deploy / "data")
    record = store.create(
        deploy, kind="pre-upgrade", version="1.0.0", from_version="1.0.0", to_version="2.0.0"
    )
    (deploy / "app" / "run.sh").write_text("new version")
    shutil.rmtree(deploy / "data" / "db")
    (deploy / "data" / "migrated.flag").write_text("x")

    store.restore(record.id, deploy, data_only=True)

    assert snapshot(deploy / "data") == data_before
    assert (deploy / "app" / "run.sh").read_text() == "new version"
    assert int(deploy.stat().st_mtime) == 1_700_000_200  # staging inside it left no trace
    assert [p.name for p in deploy.iterdir() if "tui-restore" in p.name] == []


def test_archive_catalogue_and_dirs_are_private(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)
    record = store.create(settings.deploy_dir, kind="manual", version=None)

    assert stat.S_IMODE(record.archive_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.backups_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.catalogue_path.stat().st_mode) == 0o600
    for extra in settings.catalogue_path.parent.glob("catalogue.sqlite3-*"):
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600, extra


def test_codec_levels(tmp_path: Path) -> None:
    for codec in ("gzip", "zstd"):
        settings = Settings(
            deploy_dir=tmp_path / "deploy", data_dir=tmp_path / codec, backup_codec=codec
        )
        if not settings.deploy_dir.exists():
            make_tree(settings.deploy_dir)
        record = BackupStore(settings).create(settings.deploy_dir, kind="manual", version=None)
        head = record.archive_path.read_bytes()[:16]
        if codec == "gzip":
            # XFL byte: 2 = "maximum compression" (level 9, tarfile's default), 0 = level 6.
            assert head[:2] == b"\x1f\x8b" and head[8] == 0
        else:
            params = zstandard.get_frame_parameters(head)
            assert head[:4] == b"\x28\xb5\x2f\xfd" and params.has_checksum


@pytest.mark.skipif(not IS_ROOT, reason="owners can only be restored by root")
def test_owners_survive_as_numbers(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)
    record = store.create(settings.deploy_dir, kind="manual", version=None)
    os.chown(settings.deploy_dir / "app" / "run.sh", 0, 0)

    store.restore(record.id, settings.deploy_dir)

    st = os.lstat(settings.deploy_dir / "app" / "run.sh")
    assert (st.st_uid, st.st_gid) == (1234, 5678)
    link = os.lstat(settings.deploy_dir / "app" / "current")
    assert (link.st_uid, link.st_gid) == (4321, 8765)


def test_a_link_the_restore_would_refuse_fails_the_backup_up_front(
    store: BackupStore, settings: Settings
) -> None:
    make_tree(settings.deploy_dir)
    os.symlink("/usr/share/zoneinfo/UTC", settings.deploy_dir / "config" / "tz")

    with pytest.raises(BackupError, match=r"symlink 'config/tz' -> '/usr/share/zoneinfo/UTC'"):
        store.create(settings.deploy_dir, kind="manual", version=None)

    (record,) = store.list()
    assert record.status == "failed" and "backup_excludes" in (record.error or "")
    assert list(settings.backups_dir.glob("*backup-*")) == []


def test_sockets_are_skipped_with_a_warning(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(settings.deploy_dir / "data" / "app.sock"))
    events: list[Event] = []
    try:
        record = store.create(settings.deploy_dir, kind="manual", version=None, emit=events.append)
    finally:
        sock.close()

    assert record.status == "completed"
    assert "data/app.sock" not in _members(record.archive_path)
    assert any(isinstance(e, LogEvent) and "data/app.sock" in e.message for e in events)
