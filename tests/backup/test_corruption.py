"""A damaged or hostile archive is reported and never reaches the live tree."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest
import zstandard

from tests.support.backup_trees import make_tree, snapshot
from tui_upgrader.core.errors import BackupError
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_corrupt_archive_is_reported_and_restore_refuses(tmp_path: Path, codec: str) -> None:
    settings = Settings(
        deploy_dir=tmp_path / "deploy", data_dir=tmp_path / "data", backup_codec=codec
    )
    store = BackupStore(settings)
    make_tree(settings.deploy_dir)
    record = store.create(settings.deploy_dir, kind="manual", version=None)
    assert store.verify(record.id).status == "ok"
    (settings.deploy_dir / "app" / "run.sh").write_text("live, newer than the backup")
    live = snapshot(settings.deploy_dir)
    _flip_byte(record.archive_path, (record.size or 0) // 2)

    report = store.verify(record.id)
    assert report.status == "corrupt" and report.detail

    with pytest.raises(BackupError, match=f"backup {record.id}"):
        store.restore(record.id, settings.deploy_dir)
    assert snapshot(settings.deploy_dir) == live
    assert [p for p in tmp_path.iterdir() if "tui-restore" in p.name] == []


def test_hash_mismatch_alone_is_corrupt(store: BackupStore, settings: Settings) -> None:
    """An archive that still decompresses cleanly but is not the one recorded."""
    make_tree(settings.deploy_dir)
    first = store.create(settings.deploy_dir, kind="manual", version=None)
    (settings.deploy_dir / "config" / "app.yml").write_text("other")
    second = store.create(settings.deploy_dir, kind="manual", version=None)
    second.archive_path.replace(first.archive_path)
    live = snapshot(settings.deploy_dir)

    report = store.verify(first.id)
    assert report.status == "corrupt" and "sha256 mismatch" in report.detail

    with pytest.raises(BackupError, match="is corrupt"):
        store.restore(first.id, settings.deploy_dir)
    assert snapshot(settings.deploy_dir) == live


def test_missing_and_truncated_archives(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)
    gone = store.create(settings.deploy_dir, kind="manual", version=None)
    cut = store.create(settings.deploy_dir, kind="manual", version=None)
    gone.archive_path.unlink()
    cut.archive_path.write_bytes(cut.archive_path.read_bytes()[: (cut.size or 0) // 3])

    missing = store.verify(gone.id)
    assert missing.status == "missing"
    assert missing.expected_sha256 == gone.sha256 is not None  # what to look for elsewhere
    assert store.verify(cut.id).status == "corrupt"
    with pytest.raises(BackupError, match="is missing"):
        store.restore(gone.id, settings.deploy_dir)
    with pytest.raises(BackupError):
        store.restore(cut.id, settings.deploy_dir)
    assert (settings.deploy_dir / "compose.yaml").exists()


def _crafted_zstd_tar(entries: list[tarfile.TarInfo]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info in entries:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isreg() else None)
    return zstandard.ZstdCompressor().compress(buf.getvalue())


@pytest.mark.parametrize(
    ("name", "kind", "linkname", "problem"),
    [
        ("../escape", tarfile.REGTYPE, "", "'..' segment"),
        ("/etc/cron.d/evil", tarfile.REGTYPE, "", "absolute path"),
        ("data/link", tarfile.SYMTYPE, "../../../etc", "outside the extraction target"),
        ("data/null", tarfile.CHRTYPE, "", "device, fifo"),
    ],
)
def test_crafted_backup_is_refused_naming_the_member(
    store: BackupStore, settings: Settings, name: str, kind: bytes, linkname: str, problem: str
) -> None:
    """Even an archive whose hash the catalogue agrees with (an attacker with
    write access to the backups dir and the catalogue) cannot escape."""
    make_tree(settings.deploy_dir)
    record = store.create(settings.deploy_dir, kind="manual", version=None)
    entries = [tarfile.TarInfo("data"), tarfile.TarInfo(name)]
    entries[0].type = tarfile.DIRTYPE
    entries[1].type = kind
    entries[1].linkname = linkname
    entries[1].size = 1 if kind == tarfile.REGTYPE else 0
    payload = _crafted_zstd_tar(entries)
    record.archive_path.write_bytes(payload)
    store.catalogue.update(
        record.id, sha256=hashlib.sha256(payload).hexdigest(), size=len(payload), entry_count=2
    )
    live = snapshot(settings.deploy_dir)

    with pytest.raises(BackupError) as caught:
        store.restore(record.id, settings.deploy_dir)

    assert repr(name) in caught.value.message and problem in caught.value.message
    assert snapshot(settings.deploy_dir) == live
    assert not (settings.deploy_dir.parent / "escape").exists()
