"""``BackupStore`` and ``FakeBackupStore`` both implement ``ops.ports.BackupPort``.

mypy proves the shapes: each factory below returns a ``BackupPort``. The tests
prove the fake answers the port's calls the way the real store does, so runner
and UI tests on the fake say something about the real thing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.fakes import FakeBackupStore
from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.ports import BackupPort
from tui_upgrader.ops.settings import Settings


def real_store(settings: Settings) -> BackupPort:
    return BackupStore(settings)


def fake_store(settings: Settings) -> BackupPort:
    return FakeBackupStore(settings.backups_dir, settings=settings)


MakeStore = Callable[[Settings], BackupPort]
EACH_STORE = pytest.mark.parametrize("make", [real_store, fake_store], ids=["real", "fake"])


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    deploy = tmp_path / "deploy"
    for rel, body in {
        "compose.yaml": "services: {}\n",
        "app/run.sh": "echo 1.4.2\n",
        "data/db.txt": "rows of 1.4.2\n",
    }.items():
        (deploy / rel).parent.mkdir(parents=True, exist_ok=True)
        (deploy / rel).write_text(body)
    return Settings(deploy_dir=deploy, data_dir=tmp_path / "data")


@EACH_STORE
def test_create_list_get_verify_delete(make: MakeStore, settings: Settings) -> None:
    store = make(settings)
    assert store.settings is settings
    assert list(store.list()) == []
    first = store.create(settings.deploy_dir, kind="manual", version="1.4.2.0")
    second = store.create(
        settings.deploy_dir,
        kind="pre-upgrade",
        version="1.4.2.0",
        from_version="1.4.2.0",
        to_version="1.5.0.0",
    )
    assert [r.id for r in store.list()] == [second.id, first.id]  # newest first
    got = store.get(first.id)
    assert (got.id, got.kind, got.status) == (first.id, "manual", "completed")
    assert got.archive_exists() and got.size is not None and got.size > 0
    report = store.verify(first.id)
    assert report.ok and report.id == first.id

    store.delete(first.id)
    assert [r.id for r in store.list()] == [second.id]
    assert not first.archive_path.exists()
    with pytest.raises(UpgraderError):
        store.get(first.id)


@EACH_STORE
def test_verify_reports_a_missing_archive(make: MakeStore, settings: Settings) -> None:
    store = make(settings)
    made = store.create(settings.deploy_dir, kind="manual", version=None)
    made.archive_path.unlink()
    report = store.verify(made.id)
    assert (report.ok, report.status) == (False, "missing")
    assert str(made.archive_path) in report.detail


@EACH_STORE
def test_data_only_restore_brings_back_data_alone(make: MakeStore, settings: Settings) -> None:
    store = make(settings)
    deploy = settings.deploy_dir
    made = store.create(deploy, kind="manual", version="1.4.2.0")
    (deploy / "data/db.txt").write_text("rows written after the backup\n")
    (deploy / "app/run.sh").write_text("echo hand-edited\n")
    store.restore(made.id, deploy, data_only=True)
    assert (deploy / "data/db.txt").read_text() == "rows of 1.4.2\n"
    assert (deploy / "app/run.sh").read_text() == "echo hand-edited\n"
