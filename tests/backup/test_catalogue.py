"""The catalogue: records, ids, names, reopening, schema, retention, the lock."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.backup_trees import IS_ROOT, make_tree
from tui_upgrader.core.errors import BackupError, InputError
from tui_upgrader.ops.backup import catalogue as catalogue_module
from tui_upgrader.ops.backup.catalogue import MIGRATIONS, Catalogue
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings


def test_two_backups_in_the_same_second_get_distinct_names(
    store: BackupStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen = datetime(2026, 5, 10, 12, 34, 56, 123456, tzinfo=UTC)
    monkeypatch.setattr(catalogue_module, "utc_now", lambda: frozen)
    make_tree(settings.deploy_dir)

    first = store.create(settings.deploy_dir, kind="manual", version="1.0.0")
    second = store.create(settings.deploy_dir, kind="manual", version="1.0.0")

    assert first.created == second.created == frozen
    assert first.archive_path != second.archive_path
    assert first.archive_path.exists() and second.archive_path.exists()
    assert first.archive_path.name == "backup-000001-manual-20260510T123456Z.tar.zst"


def test_catalogue_survives_reopen(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)
    made = store.create(
        settings.deploy_dir,
        kind="pre-upgrade",
        version="1.4.2.3",
        from_version="1.4.2.3",
        to_version="1.5.0",
        note="before 1.5",
    )

    reopened = BackupStore(settings)
    (again,) = reopened.list()

    assert again == made
    assert (
        again.created.tzinfo is not None and again.created.microsecond == made.created.microsecond
    )
    assert (again.kind, again.from_version, again.to_version, again.note) == (
        "pre-upgrade",
        "1.4.2.3",
        "1.5.0",
        "before 1.5",
    )
    assert reopened.verify(made.id).status == "ok"


def test_list_is_newest_first_and_ids_are_never_reused(
    store: BackupStore, settings: Settings
) -> None:
    make_tree(settings.deploy_dir)
    ids = [store.create(settings.deploy_dir, kind="manual", version=None).id for _ in range(3)]
    store.delete(ids[-1])

    assert [r.id for r in store.list()] == [ids[1], ids[0]]
    assert store.create(settings.deploy_dir, kind="manual", version=None).id == ids[-1] + 1
    with pytest.raises(InputError, match=f"no backup with id {ids[-1]}"):
        store.get(ids[-1])


def test_a_lost_catalogue_does_not_reuse_names(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)
    for _ in range(2):
        store.create(settings.deploy_dir, kind="manual", version=None)
    settings.catalogue_path.unlink()
    for extra in settings.catalogue_path.parent.glob("catalogue.sqlite3-*"):
        extra.unlink()

    record = BackupStore(settings).create(settings.deploy_dir, kind="manual", version=None)

    assert record.id == 3
    assert len(list(settings.backups_dir.glob("backup-*"))) == 3


def test_schema_is_versioned_and_a_newer_one_refused(tmp_path: Path) -> None:
    path = tmp_path / "cat.sqlite3"
    Catalogue(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(BackupError, match="newer than this tool"):
        Catalogue(path)


def test_a_file_that_is_not_a_catalogue_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cat.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(BackupError, match=f"catalogue {path}"):
        Catalogue(path)


def test_prune_keeps_the_newest_pre_upgrade_backups(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)

    def pre() -> int:
        return store.create(settings.deploy_dir, kind="pre-upgrade", version=None).id

    manual = store.create(settings.deploy_dir, kind="manual", version=None).id
    old = [pre() for _ in range(4)]
    failed = store.catalogue.insert(
        kind="pre-upgrade",
        version=None,
        deploy_dir=settings.deploy_dir,
        codec="zstd",
        note="",
        from_version=None,
        to_version=None,
        archive_for=lambda i, _t: settings.backups_dir / f"backup-{i:06d}-failed.tar.zst",
    ).id
    store.catalogue.update(failed, status="failed", error="disk full")
    newest = pre()

    deleted = store.prune(keep=2, protect_id=old[0])

    assert deleted == [old[1], old[2]]
    remaining = {r.id for r in store.list()}
    assert remaining == {manual, old[0], old[3], failed, newest}
    assert sorted(p.name[:13] for p in settings.backups_dir.glob("backup-*")) == sorted(
        f"backup-{i:06d}" for i in (manual, old[0], old[3], newest)
    )
    # A failed record older than every kept backup goes too.
    assert store.prune(keep=1, protect_id=newest) == [old[0], old[3], failed]


def test_prune_leaves_other_deploy_dirs_alone(
    store: BackupStore, settings: Settings, tmp_path: Path
) -> None:
    # One catalogue serves every deploy dir of the user: upgrading stack A
    # must not delete stack B's way back.
    stack_b = tmp_path / "stack-b"
    (stack_b / "data").mkdir(parents=True)
    (stack_b / "data" / "rows").write_text("b")
    make_tree(settings.deploy_dir)

    def pre(deploy: Path) -> int:
        return store.create(deploy, kind="pre-upgrade", version=None).id

    b_backups = [pre(stack_b) for _ in range(2)]
    a_old = [pre(settings.deploy_dir) for _ in range(2)]
    a_newest = pre(settings.deploy_dir)

    assert store.prune(keep=1, protect_id=None) == []  # cannot tell whose: delete nothing
    assert store.prune(keep=1, protect_id=a_newest) == a_old

    remaining = {r.id for r in store.list()}
    assert remaining == {*b_backups, a_newest}
    assert all(store.get(i).archive_exists() for i in b_backups)


@pytest.fixture
def held_lock(settings: Settings) -> Iterator[None]:
    """Another process holds the store lock until the test ends."""
    settings.backups_dir.mkdir(parents=True)
    lock = settings.backups_dir / ".lock"
    proc = subprocess.Popen(
        ["flock", "-x", str(lock), "sh", "-c", "echo locked; cat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stdout is not None
    try:
        assert proc.stdout.readline() == b"locked\n"  # it holds the lock now
        yield
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def test_a_second_operation_is_refused_while_one_runs(
    store: BackupStore, settings: Settings, held_lock: None
) -> None:
    make_tree(settings.deploy_dir)
    with pytest.raises(BackupError, match="another backup, restore or delete is running"):
        store.create(settings.deploy_dir, kind="manual", version=None)
    assert store.list() == []  # reading still works


@pytest.mark.skipif(not IS_ROOT, reason="mounting a tmpfs needs root")
def test_disk_full_during_create(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)
    (settings.deploy_dir / "data" / "blob.bin").write_bytes(os.urandom(4 << 20))
    settings.backups_dir.mkdir(parents=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(settings.backups_dir)], check=True
    )
    try:
        with pytest.raises(BackupError, match="no space left on device") as caught:
            store.create(settings.deploy_dir, kind="manual", version=None)
        assert "partial archive was removed" in caught.value.message

        (record,) = store.list()
        assert record.status == "failed" and "no space left" in (record.error or "")
        assert [p.name for p in settings.backups_dir.iterdir() if p.name != ".lock"] == []
    finally:
        subprocess.run(["umount", str(settings.backups_dir)], check=True)


def test_a_missing_deploy_dir_leaves_no_record(tmp_path: Path) -> None:
    from tui_upgrader.core.errors import InputError
    from tui_upgrader.ops.backup.store import BackupStore
    from tui_upgrader.ops.settings import Settings

    store = BackupStore(Settings(deploy_dir=tmp_path / "nope", data_dir=tmp_path / "data"))
    with pytest.raises(InputError, match="no such deploy dir"):
        store.create(tmp_path / "nope", kind="manual", version=None)
    assert store.list() == []
