"""The downloader against the project's own ``serve`` (and local sources)."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from collections import namedtuple
from pathlib import Path

import pytest

from tests.support.download_helpers import FAST_RETRY, Recorder
from tests.support.http_servers import payload, sha256
from tui_upgrader.core.errors import CancelledError, DiskSpaceError, HashMismatchError, InputError
from tui_upgrader.core.events import Event, ProgressEvent
from tui_upgrader.ops.download._internal.resume_meta import meta_path, part_path, read_meta
from tui_upgrader.ops.download.fetch import PROGRESS_INTERVAL_S, download
from tui_upgrader.ops.release.server import ReleaseServer
from tui_upgrader.ops.settings import Settings

SIZE = 2 * 1024 * 1024 + 7


@pytest.fixture
def package(release_dir: Path) -> bytes:
    data = payload(SIZE, seed=11)
    (release_dir / "docker-x86_64.zip").write_bytes(data)
    return data


@pytest.fixture
def url(release_server: ReleaseServer, package: bytes) -> str:
    return release_server.url_for("docker-x86_64.zip")


def cancel_after_first_chunk(cancel: threading.Event) -> Recorder:
    class CancelOnProgress(Recorder):
        def __call__(self, event: Event) -> None:
            super().__call__(event)
            if isinstance(event, ProgressEvent):
                cancel.set()

    return CancelOnProgress()


def test_full_download_with_throttled_progress(
    url: str, package: bytes, dest: Path, settings: Settings, recorder: Recorder
) -> None:
    started = time.monotonic()
    result = download(
        url,
        dest,
        expected_sha256=sha256(package),
        expected_size=SIZE,
        settings=settings,
        emit=recorder,
    )
    elapsed = time.monotonic() - started

    assert hashlib.sha256(dest.read_bytes()).hexdigest() == result.sha256 == sha256(package)
    assert (result.size, result.bytes_transferred, result.requests) == (SIZE, SIZE, 1)
    assert not result.resumed and result.path == dest
    assert oct(dest.stat().st_mode & 0o777) == oct(0o600)
    assert not part_path(dest).exists() and not meta_path(dest).exists()
    progress = [e for e in recorder.events if isinstance(e, ProgressEvent)]
    assert (progress[-1].done, progress[-1].total) == (SIZE, SIZE)
    assert all(e.label == dest.name for e in progress)
    # <= 10 per second, plus the forced start-of-response and final events.
    assert len(progress) <= elapsed / PROGRESS_INTERVAL_S + 1 + 2


def test_complete_file_makes_no_request(
    release_server: ReleaseServer, url: str, package: bytes, dest: Path, settings: Settings
) -> None:
    download(url, dest, expected_sha256=sha256(package), expected_size=SIZE, settings=settings)
    release_server.shutdown()  # any request now would fail

    result = download(
        url, dest, expected_sha256=sha256(package), expected_size=SIZE, settings=settings
    )

    assert (result.requests, result.bytes_transferred, result.sha256) == (0, 0, sha256(package))


def test_complete_partial_is_verified_without_request(
    release_server: ReleaseServer, url: str, package: bytes, dest: Path, settings: Settings
) -> None:
    cancel = threading.Event()
    with pytest.raises(CancelledError):
        download(
            url,
            dest,
            expected_sha256=sha256(package),
            expected_size=SIZE,
            settings=settings,
            emit=cancel_after_first_chunk(cancel),
            cancel=cancel,
        )
    # As if killed between the last byte and the rename.
    part_path(dest).write_bytes(package)
    release_server.shutdown()

    result = download(
        url, dest, expected_sha256=sha256(package), expected_size=SIZE, settings=settings
    )

    assert (result.requests, result.bytes_transferred, result.resumed) == (0, 0, True)
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == sha256(package)


def test_cancel_then_resume_against_serve(
    url: str, package: bytes, dest: Path, settings: Settings
) -> None:
    cancel = threading.Event()
    with pytest.raises(CancelledError):
        download(
            url,
            dest,
            expected_sha256=sha256(package),
            expected_size=SIZE,
            settings=settings,
            emit=cancel_after_first_chunk(cancel),
            cancel=cancel,
        )
    kept = part_path(dest).stat().st_size
    meta = read_meta(dest)
    assert meta is not None and meta.etag and meta.bytes_written == kept and 0 < kept < SIZE

    result = download(
        url, dest, expected_sha256=sha256(package), expected_size=SIZE, settings=settings
    )

    assert result.resumed and result.bytes_transferred == SIZE - kept and result.requests == 1
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == sha256(package)


def test_if_range_restarts_when_the_served_file_changed(
    url: str, release_dir: Path, package: bytes, dest: Path, settings: Settings
) -> None:
    # Unverifiable package: only the ETag tells whether the partial still fits.
    cancel = threading.Event()
    with pytest.raises(CancelledError):
        download(
            url,
            dest,
            expected_sha256=None,
            settings=settings,
            emit=cancel_after_first_chunk(cancel),
            cancel=cancel,
        )
    kept = part_path(dest).stat().st_size
    replacement = payload(SIZE, seed=12)
    served = release_dir / "docker-x86_64.zip"
    served.write_bytes(replacement)
    later = time.time_ns() + 10**9
    os.utime(served, ns=(later, later))

    result = download(url, dest, expected_sha256=None, settings=settings)

    assert hashlib.sha256(dest.read_bytes()).hexdigest() == sha256(replacement) == result.sha256
    assert result.bytes_transferred == SIZE and not result.resumed
    assert kept > 0


def test_free_space_is_checked_before_any_request(
    url: str, package: bytes, dest: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 1000, 1000))

    with pytest.raises(DiskSpaceError, match=r"need 2\.0 MiB, 1000 Bytes free"):
        download(url, dest, expected_sha256=sha256(package), expected_size=SIZE, settings=settings)

    assert not part_path(dest).exists()


def test_free_space_is_checked_from_content_length_when_size_unknown(
    url: str, package: bytes, dest: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: usage(10**9, 10**9 - 1000, 1000))

    with pytest.raises(DiskSpaceError, match="not enough free space"):
        download(url, dest, expected_sha256=sha256(package), settings=settings, retry=FAST_RETRY)

    assert not part_path(dest).exists() and not meta_path(dest).exists()


@pytest.mark.parametrize("as_url", [False, True])
def test_local_source_goes_through_the_same_verification(
    release_dir: Path, package: bytes, dest: Path, settings: Settings, as_url: bool
) -> None:
    source = release_dir / "docker-x86_64.zip"
    where = source.as_uri() if as_url else str(source)

    result = download(where, dest, expected_sha256=sha256(package), settings=settings)

    assert (result.requests, result.size) == (0, SIZE)
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == sha256(package)


def test_local_source_with_wrong_hash_is_refused(
    release_dir: Path, package: bytes, dest: Path, settings: Settings
) -> None:
    wrong = "0" * 64
    with pytest.raises(HashMismatchError, match=f"expected {wrong}, got {sha256(package)}"):
        download(
            str(release_dir / "docker-x86_64.zip"), dest, expected_sha256=wrong, settings=settings
        )
    assert not dest.exists() and not part_path(dest).exists()


def test_malformed_expected_hash_is_an_input_error(dest: Path, settings: Settings) -> None:
    with pytest.raises(InputError, match="64 hex digits"):
        download("http://127.0.0.1:9/x", dest, expected_sha256="abc", settings=settings)


def test_hash_prefix_and_case_are_accepted(
    url: str, package: bytes, dest: Path, settings: Settings
) -> None:
    result = download(
        url, dest, expected_sha256="sha256:" + sha256(package).upper(), settings=settings
    )
    assert result.sha256 == sha256(package)
