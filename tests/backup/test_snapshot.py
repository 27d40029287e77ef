"""The two-pass snapshot: an exact copy while serving, an exact cold copy after the final pass."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.backup.snapshot_trees import (
    IS_ROOT,
    SKIP,
    make_deploy,
    picture,
    settled,
    short_racy_window,
)
from tests.support.tmpfs import small_tmpfs
from tui_upgrader.core.errors import BackupError
from tui_upgrader.ops.backup import snapshot_copy
from tui_upgrader.ops.backup._internal.tree import exclusion
from tui_upgrader.ops.backup.clone import idle_io, io_priority
from tui_upgrader.ops.backup.snapshot import MOUNT_SNAPSHOT, Snapshot, snapshot_root
from tui_upgrader.ops.backup.tracker import NO_TRACKING_ENV

__all__ = ["short_racy_window"]  # the autouse fixture, for every test here


def _snapshot(deploy: Path) -> Snapshot:
    return Snapshot(deploy, exclusion(deploy, ()))


@pytest.mark.parametrize("tracking", [True, False], ids=["inotify", "full-walk"])
def test_precopy_is_exact_and_final_pass_catches_every_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracking: bool
) -> None:
    if not tracking:
        monkeypatch.setenv(NO_TRACKING_ENV, "1")
    deploy = tmp_path / "deploy"
    make_deploy(deploy)
    settled(deploy)
    snap = _snapshot(deploy)
    first = snap.precopy()
    tree = snapshot_root(deploy) / "tree"
    assert first.copied == 54  # 53 files and one hard link
    assert picture(tree) == picture(deploy, skip=SKIP)
    assert not (tree / "images").exists()

    db = deploy / "data" / "db"
    (db / "page005").write_bytes(b"Z" * (3000 + 5))  # same size, new content
    (db / "page014").write_bytes(b"shrunk")  # rewritten in place, cut to size
    (db / "page006").unlink()
    (db / "new").write_bytes(b"new file")
    (deploy / "data" / "empty").rmdir()
    (deploy / "data" / "empty").write_text("was a dir")
    (db / "page007").chmod(0o640)
    os.link(db / "page008", deploy / "data" / "hard2")
    (deploy / "data" / "link").unlink()
    os.symlink("db/page009", deploy / "data" / "link")
    (deploy / "app" / "sub" / "deeper").mkdir(parents=True)

    second = snap.final_pass()
    assert picture(tree) == picture(deploy, skip=SKIP)
    assert second.removed == 1
    assert second.copied == 8, second  # page005/014, new, empty, page007, hard2, page008, link
    assert second.tracked is tracking
    if tracking:  # only what the events named (and their parents' attributes)
        assert second.entries < 15, second
    else:
        assert second.entries == first.entries + 3  # new, hard2, sub, deeper; page006 gone


def test_final_pass_resumes_from_the_record_on_disk(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    make_deploy(deploy)
    settled(deploy)
    _snapshot(deploy).precopy()
    (deploy / "data" / "db" / "page010").write_bytes(b"changed")
    again = _snapshot(deploy)  # another process: only the record files are known
    assert again.load()
    stats = again.final_pass()
    assert stats.copied == 1
    assert picture(snapshot_root(deploy) / "tree") == picture(deploy, skip=SKIP)


def test_a_file_changed_just_before_its_copy_is_copied_again(tmp_path: Path) -> None:
    """The same timestamp tick could hide a later write: such files are racy."""
    deploy = tmp_path / "deploy"
    make_deploy(deploy)
    settled(deploy)
    (deploy / "data" / "hot").write_bytes(b"A" * 100)
    snap = _snapshot(deploy)
    snap.precopy()
    hot = os.stat(deploy / "data" / "hot")
    # A write inside the same tick, faked: same size and the same times as recorded.
    (deploy / "data" / "hot").write_bytes(b"B" * 100)
    os.utime(deploy / "data" / "hot", ns=(hot.st_atime_ns, hot.st_mtime_ns))
    snap.final_pass()
    assert (snapshot_root(deploy) / "tree" / "data" / "hot").read_bytes() == b"B" * 100


def test_large_file_changed_in_place_rewrites_only_its_changed_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot_copy, "BLOCK_COMPARE_MIN", 1024 * 1024)
    deploy = tmp_path / "deploy"
    make_deploy(deploy)
    big = deploy / "data" / "big.db"
    big.write_bytes(os.urandom(8 * 1024 * 1024))
    settled(deploy)
    snap = _snapshot(deploy)
    snap.precopy()
    with big.open("r+b") as fh:
        fh.seek(3 * 1024 * 1024 + 17)
        fh.write(b"new page")
        fh.seek(0, os.SEEK_END)
        fh.write(b"appended")
    stats = snap.final_pass()
    assert stats.bytes_copied == 1024 * 1024 + 8  # the changed block and the new tail
    assert (snapshot_root(deploy) / "tree" / "data" / "big.db").read_bytes() == big.read_bytes()


def test_not_enough_room_is_one_line_before_anything_is_copied(tmp_path: Path) -> None:
    deploy = tmp_path / "deploy"
    with small_tmpfs(deploy, 96 * 1024 * 1024):
        make_deploy(deploy)
        (deploy / "data" / "fill").write_bytes(b"x" * 60 * 1024 * 1024)
        with pytest.raises(BackupError, match=r"not enough free space .* pre-copy snapshot"):
            _snapshot(deploy).check_space()
        assert not snapshot_root(deploy).exists()


def test_the_copy_runs_at_idle_io_priority_and_restores_it() -> None:
    before = io_priority()
    seen: list[int | None] = []

    def body() -> None:
        with idle_io():
            seen.append(io_priority())
        seen.append(io_priority())

    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    assert seen[0] is not None and seen[0] >> 13 == 3  # IOPRIO_CLASS_IDLE
    assert seen[1] == before
    assert io_priority() == before  # another thread's priority never changed


@pytest.mark.skipif(not IS_ROOT, reason="loop mounts need root")
def test_data_on_its_own_mount_gets_its_part_inside_that_mount(tmp_path: Path) -> None:
    from tests.backup.loopfs import loop_mounted

    deploy = tmp_path / "deploy"
    make_deploy(deploy)
    with loop_mounted(deploy / "data", tmp_path / "data.img"):
        snap = _snapshot(deploy)
        assert [p.rel for p in snap.parts] == ["", "data"]
        snap.precopy()
        part = deploy / "data" / MOUNT_SNAPSHOT / "tree"
        assert os.lstat(part).st_dev == os.lstat(deploy / "data").st_dev
        assert picture(part) == picture(deploy / "data", skip=(MOUNT_SNAPSHOT,))
        assert not (snapshot_root(deploy) / "tree" / "data").exists()
        (deploy / "data" / "db" / "page011").write_bytes(b"later")
        snap.final_pass()
        assert picture(part) == picture(deploy / "data", skip=(MOUNT_SNAPSHOT,))
        snap.remove()
        assert not os.path.lexists(deploy / "data" / MOUNT_SNAPSHOT)


def test_tracked_final_pass_follows_new_moved_and_removed_trees_and_hard_links(
    tmp_path: Path,
) -> None:
    deploy = tmp_path / "deploy"
    make_deploy(deploy)
    (deploy / "data" / "old" / "deep").mkdir(parents=True)
    (deploy / "data" / "old" / "deep" / "x").write_text("x")
    (deploy / "data" / "gone" / "deep").mkdir(parents=True)
    (deploy / "data" / "gone" / "deep" / "y").write_text("y")
    settled(deploy)
    snap = _snapshot(deploy)
    snap.precopy()
    # A tree made (and filled) in one go, a tree renamed, a tree removed, a write
    # through one name of a hard-linked inode (the other name gets no event).
    (deploy / "data" / "fresh" / "a" / "b").mkdir(parents=True)
    (deploy / "data" / "fresh" / "a" / "b" / "f").write_text("new")
    (deploy / "data" / "old").rename(deploy / "data" / "moved")
    shutil.rmtree(deploy / "data" / "gone")
    with (deploy / "data" / "hard").open("r+b") as fh:
        fh.write(b"through the other name")
    stats = snap.final_pass()
    assert stats.tracked, stats
    assert picture(snapshot_root(deploy) / "tree") == picture(deploy, skip=SKIP)
