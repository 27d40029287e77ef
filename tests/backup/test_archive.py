"""The archive layer: tarfile parity of the fast header paths, tar interop, cancel."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest

from tests.support.backup_trees import make_tree, snapshot
from tui_upgrader.core.errors import CancelledError
from tui_upgrader.core.events import Event, ProgressEvent
from tui_upgrader.ops.archive.tar_header import FastTarInfo, ustar_header
from tui_upgrader.ops.backup.store import BackupStore
from tui_upgrader.ops.settings import Settings


@pytest.mark.parametrize(
    ("name", "kind", "size", "linkname", "uname", "uid", "mtime"),
    [
        ("app/run.sh", tarfile.REGTYPE, 12345, "", "root", 0, 1_700_000_000),
        ("app/", tarfile.DIRTYPE, 0, "", "svc", 999, 1),
        ("./", tarfile.DIRTYPE, 0, "", "", 0, 0),
        ("l", tarfile.SYMTYPE, 0, "../x/y", "root", 65534, 2_000_000_000),
        ("h", tarfile.LNKTYPE, 0, "app/run.sh", "root", 0, 5),
        ("x" * 100, tarfile.REGTYPE, 1, "", "root", 0, 5),
        ("x" * 101, tarfile.REGTYPE, 1, "", "root", 0, 5),  # pax
        ("über.txt", tarfile.REGTYPE, 1, "", "root", 0, 5),  # pax
        ("big", tarfile.REGTYPE, 8 << 30, "", "root", 0, 5),  # pax (size)
        ("id", tarfile.REGTYPE, 1, "", "root", 1 << 22, 5),  # pax (uid)
        ("old", tarfile.REGTYPE, 1, "", "root", 0, -5),  # pax (negative mtime)
    ],
)
def test_fast_header_matches_tarfile(
    name: str, kind: bytes, size: int, linkname: str, uname: str, uid: int, mtime: int
) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.size, info.linkname = kind, size, linkname
    info.mode, info.uid, info.gid, info.mtime = 0o2751, uid, 77, mtime
    info.uname, info.gname = uname, "grp"
    expected = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    fast = ustar_header(
        name if kind != tarfile.DIRTYPE or name.endswith("/") else name + "/",
        mode=0o2751,
        uid=uid,
        gid=77,
        size=size,
        mtime=mtime,
        kind=kind,
        linkname=linkname,
        uname=uname,
        gname="grp",
    )
    if len(expected) == tarfile.BLOCKSIZE:
        assert fast == expected
    else:
        assert fast is None  # needs pax records: tarfile writes it


def _members(data: bytes, tarinfo: type[tarfile.TarInfo]) -> list[dict[str, object]]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:", tarinfo=tarinfo) as tar:
        return [{**m.get_info(), "offset": m.offset_data} for m in tar]


@pytest.mark.parametrize("fmt", ["gnu", "ustar", "posix", "v7"])
def test_fast_parser_matches_tarfile_on_gnu_tar_archives(tmp_path: Path, fmt: str) -> None:
    make_tree(tmp_path / "tree")
    if fmt in ("ustar", "v7"):  # these formats cannot hold the long or non-ASCII names
        for long in (tmp_path / "tree" / "data").glob("a-very-long*"):
            subprocess.run(["rm", "-rf", str(long)], check=True)
        for odd in (tmp_path / "tree" / "config").glob("über*"):
            odd.unlink()
    data = subprocess.run(
        ["tar", f"--format={fmt}", "-cf", "-", "-C", str(tmp_path / "tree"), "."],
        capture_output=True,
        check=True,
    ).stdout

    assert _members(data, FastTarInfo) == _members(data, tarfile.TarInfo)


def test_gnu_tar_reads_our_archives(store: BackupStore, settings: Settings, tmp_path: Path) -> None:
    make_tree(settings.deploy_dir)
    record = store.create(settings.deploy_dir, kind="manual", version=None)
    out = tmp_path / "by-gnu-tar"
    out.mkdir()

    subprocess.run(
        ["tar", "-I", "zstd", "--numeric-owner", "-xpf", str(record.archive_path), "-C", str(out)],
        check=True,
    )

    assert snapshot(out) == snapshot(settings.deploy_dir)


def test_trailing_garbage_makes_an_archive_corrupt(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)
    record = store.create(settings.deploy_dir, kind="manual", version=None)
    with record.archive_path.open("ab") as fh:
        fh.write(b"appended later")

    assert store.verify(record.id).status == "corrupt"


def test_cancelled_create_keeps_nothing(store: BackupStore, settings: Settings) -> None:
    make_tree(settings.deploy_dir)
    (settings.deploy_dir / "data" / "big.bin").write_bytes(os.urandom(3 << 20))
    cancel = threading.Event()

    def emit(event: Event) -> None:  # the user presses Cancel once work has begun
        if isinstance(event, ProgressEvent):
            cancel.set()

    with pytest.raises(CancelledError, match="nothing was kept"):
        store.create(settings.deploy_dir, kind="manual", version=None, emit=emit, cancel=cancel)

    (record,) = store.list()
    assert record.status == "failed" and "cancelled" in (record.error or "")
    assert [p.name for p in settings.backups_dir.iterdir() if p.name != ".lock"] == []
