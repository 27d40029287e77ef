"""Several verified downloads under one progress bar, each resumed on its own (#23).

A real fault-injecting server on 127.0.0.1 in directory mode serves the files.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http_servers import Fault, FaultServer, payload, sha256
from tui_upgrader.core.errors import HashMismatchError
from tui_upgrader.core.events import Event, LogEvent, ProgressEvent
from tui_upgrader.ops.download.many import Wanted, download_many
from tui_upgrader.ops.settings import Settings


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[FaultServer, dict[str, bytes]]]:
    root = tmp_path / "store"
    root.mkdir()
    files = {"a.bin": payload(300_000, seed=1), "b.bin": payload(500_000, seed=2)}
    for name, data in files.items():
        (root / name).write_bytes(data)
    server = FaultServer(b"")
    server.serve_directory(root)
    yield server, files
    server.shutdown()


def _wanted(server: FaultServer, files: dict[str, bytes], dest: Path) -> list[Wanted]:
    return [
        Wanted(f"{server.base_url}/{name}", dest / name, sha256(data), len(data))
        for name, data in files.items()
    ]


def test_one_bar_and_a_drop_resumes_only_that_file(
    served: tuple[FaultServer, dict[str, bytes]], tmp_path: Path
) -> None:
    server, files = served
    server.add(Fault(), Fault(drop_after=200_000))  # b.bin's first attempt is cut
    events: list[Event] = []

    results = download_many(
        _wanted(server, files, tmp_path / "cache"),
        settings=Settings(cache_dir=tmp_path / "cache"),
        emit=events.append,
        cancel=threading.Event(),
        label="2 blobs",
        expected_from="the image index",
    )

    assert [r.path.read_bytes() for r in results] == list(files.values())
    b_gets = [s for s in server.gets if s.path == "/b.bin"]
    assert [s.range for s in b_gets] == [None, "bytes=200000-"]
    assert [s.range for s in server.gets if s.path == "/a.bin"] == [None]
    progress = [e for e in events if isinstance(e, ProgressEvent)]
    total = sum(len(d) for d in files.values())
    assert {e.total for e in progress} == {total} and {e.label for e in progress} == {"2 blobs"}
    dones = [e.done for e in progress]
    assert dones == sorted(dones) and dones[-1] == total
    assert not [e for e in events if isinstance(e, LogEvent) and e.level == "info"]


def test_a_changed_file_is_refused_and_not_kept(
    served: tuple[FaultServer, dict[str, bytes]], tmp_path: Path
) -> None:
    server, files = served
    wanted = _wanted(server, files, tmp_path / "cache")
    wanted[1] = Wanted(wanted[1].url, wanted[1].dest, "0" * 64, wanted[1].size)

    with pytest.raises(HashMismatchError, match="the image index"):
        download_many(
            wanted,
            settings=Settings(cache_dir=tmp_path / "cache"),
            emit=lambda e: None,
            cancel=threading.Event(),
            label="2 blobs",
            expected_from="the image index",
        )
    assert not wanted[1].dest.exists()
