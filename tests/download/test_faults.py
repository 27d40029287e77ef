"""The downloader against a server that misbehaves on purpose.

Every test checks the final file's SHA-256 and the exact number of body bytes
that crossed the wire, so a resume that silently restarts (or appends the
wrong bytes) fails.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from tests.support.download_helpers import FAST_RETRY, Recorder
from tests.support.http_servers import Fault, FaultServer, payload, sha256
from tui_upgrader.core.errors import CancelledError, DownloadError, HashMismatchError
from tui_upgrader.core.events import LogEvent, ProgressEvent
from tui_upgrader.ops.download._internal.resume_meta import (
    PartialMeta,
    meta_path,
    part_path,
    read_meta,
    write_meta,
)
from tui_upgrader.ops.download.fetch import DownloadResult, RetryPolicy, download
from tui_upgrader.ops.settings import Settings

CHUNK = 64 * 1024  # the largest piece httpx hands us per read


def fetch(
    server: FaultServer,
    dest: Path,
    settings: Settings,
    *,
    emit: Recorder | None = None,
    retry: RetryPolicy = FAST_RETRY,
    size: bool = True,
) -> DownloadResult:
    return download(
        server.url,
        dest,
        expected_sha256=server.sha256,
        expected_size=len(server.data) if size else None,
        settings=settings,
        emit=emit or Recorder(),
        retry=retry,
    )


def file_sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_clean(dest: Path) -> None:
    assert not part_path(dest).exists()
    assert not meta_path(dest).exists()


def test_drop_three_times_resumes_each_time(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    size = len(fault_server.data)
    fault_server.add(Fault(drop_after=100_000), Fault(drop_after=300_000), Fault(drop_after=1))

    result = fetch(fault_server, dest, settings)

    assert file_sha(dest) == fault_server.sha256 == result.sha256
    # Range works, so nothing is fetched twice (at most one chunk per interruption).
    assert size <= result.bytes_transferred <= size + 3 * CHUNK
    assert result.bytes_transferred == size
    assert result.requests == 4 and result.resumed
    ranges = [s.range for s in fault_server.gets]
    assert ranges == [None, "bytes=100000-", "bytes=400000-", "bytes=400001-"]
    assert all(s.if_range == fault_server.etag for s in fault_server.gets[1:])
    assert not any(s.method == "HEAD" for s in fault_server.log)
    assert_clean(dest)


def test_server_ignoring_range_restarts_from_zero(
    fault_server: FaultServer, dest: Path, settings: Settings, recorder: Recorder
) -> None:
    size = len(fault_server.data)
    fault_server.add(Fault(drop_after=200_000), Fault(ignore_range=True))

    result = fetch(fault_server, dest, settings, emit=recorder)

    assert file_sha(dest) == fault_server.sha256
    assert result.bytes_transferred == 200_000 + size
    assert result.requests == 2 and not result.resumed
    assert any(
        isinstance(e, LogEvent) and "restarting from byte 0" in e.message for e in recorder.events
    )


def test_a_shorter_sub_range_is_kept_and_the_rest_requested(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    size = len(fault_server.data)
    # A legal 206 for bytes=200000-: Content-Range bytes 200000-M/size with M < size - 1.
    fault_server.add(Fault(drop_after=200_000), Fault(short_by=300_000))

    result = fetch(fault_server, dest, settings)

    assert file_sha(dest) == fault_server.sha256
    assert result.bytes_transferred == size, "nothing fetched twice"
    resumed_at = size - 300_000
    assert [s.range for s in fault_server.gets] == [None, "bytes=200000-", f"bytes={resumed_at}-"]


def test_wrong_content_range_is_not_appended(
    fault_server: FaultServer, dest: Path, settings: Settings, recorder: Recorder
) -> None:
    size = len(fault_server.data)
    fault_server.add(Fault(drop_after=200_000), Fault(content_range_shift=1000))

    result = fetch(fault_server, dest, settings, emit=recorder)

    assert file_sha(dest) == fault_server.sha256
    # The lying 206 body is never read; the next request is a plain GET from 0.
    assert result.bytes_transferred == 200_000 + size
    gets = fault_server.gets
    assert [s.range for s in gets] == [None, "bytes=200000-", None]
    assert any(
        isinstance(e, LogEvent) and "wrong Content-Range" in e.message for e in recorder.events
    )


def test_500_then_429_with_retry_after_then_success(
    fault_server: FaultServer, dest: Path, settings: Settings, recorder: Recorder
) -> None:
    size = len(fault_server.data)
    fault_server.add(Fault(status=500), Fault(status=429, retry_after="1"))

    result = fetch(fault_server, dest, settings, emit=recorder)

    assert file_sha(dest) == fault_server.sha256
    assert result.bytes_transferred == size
    assert result.requests == 3
    warnings = [
        e.message for e in recorder.events if isinstance(e, LogEvent) and e.level == "warning"
    ]
    assert "HTTP 500" in warnings[0]
    assert "HTTP 429" in warnings[1] and "retrying in 1.0 s" in warnings[1]


def test_stall_longer_than_read_timeout_resumes(
    fault_server: FaultServer, dest: Path, settings: Settings, recorder: Recorder
) -> None:
    size = len(fault_server.data)
    fault_server.add(Fault(stall_after=150_000))

    result = fetch(fault_server, dest, settings, emit=recorder)

    assert file_sha(dest) == fault_server.sha256
    assert result.bytes_transferred == size
    assert result.requests == 2 and result.resumed
    assert fault_server.gets[1].range == "bytes=150000-"
    assert any(isinstance(e, LogEvent) and "read timeout" in e.message for e in recorder.events)


def test_changed_etag_between_attempts_restarts(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    size = len(fault_server.data)
    old_etag = fault_server.etag
    # The same bytes are re-published (new ETag) while we are disconnected.
    fault_server.add(Fault(drop_after=200_000), Fault(republish=fault_server.data))

    result = fetch(fault_server, dest, settings)

    assert fault_server.etag != old_etag
    assert fault_server.gets[1].if_range == old_etag
    assert fault_server.gets[1].status == 200
    assert file_sha(dest) == fault_server.sha256
    assert result.bytes_transferred == 200_000 + size
    assert not result.resumed


def test_corrupted_once_is_deleted_and_fetched_again(
    fault_server: FaultServer, dest: Path, settings: Settings, recorder: Recorder
) -> None:
    size = len(fault_server.data)
    fault_server.add(Fault(corrupt=True))

    result = fetch(fault_server, dest, settings, emit=recorder)

    assert file_sha(dest) == fault_server.sha256
    assert result.bytes_transferred == 2 * size
    assert result.requests == 2
    assert any(isinstance(e, LogEvent) and "mismatch" in e.message for e in recorder.events)


def test_corrupted_twice_fails_naming_both_hashes(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    size = len(fault_server.data)
    fault_server.add(Fault(corrupt=True), Fault(corrupt=True))
    data = bytearray(fault_server.data)
    data[size // 2] ^= 0xFF
    actual = sha256(bytes(data))

    with pytest.raises(HashMismatchError) as info:
        fetch(fault_server, dest, settings)

    assert info.value.expected == fault_server.sha256 and info.value.actual == actual
    assert fault_server.sha256 in str(info.value) and actual in str(info.value)
    assert "\n" not in str(info.value)
    assert len(fault_server.gets) == 2
    assert not dest.exists()
    assert_clean(dest)


def test_unknown_content_length(dest: Path, settings: Settings, recorder: Recorder) -> None:
    server = FaultServer(payload(300_000, seed=7), send_length=False)
    try:
        result = fetch(server, dest, settings, emit=recorder, size=False)
    finally:
        server.shutdown()
    assert file_sha(dest) == server.sha256
    assert result.bytes_transferred == result.size == 300_000
    progress = [e for e in recorder.events if isinstance(e, ProgressEvent)]
    assert progress[0].total is None
    assert (progress[-1].done, progress[-1].total) == (300_000, 300_000)


def test_gives_up_after_the_configured_retries(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    fault_server.add(*[Fault(status=503)] * 10)

    with pytest.raises(DownloadError, match="HTTP 503; gave up after 3 requests"):
        fetch(fault_server, dest, settings, retry=RetryPolicy(retries=2, base_delay_s=0.0))

    assert len(fault_server.gets) == 3
    assert not dest.exists()


def test_not_found_is_not_retried(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    fault_server.add(Fault(status=404))

    with pytest.raises(DownloadError, match="HTTP 404"):
        fetch(fault_server, dest, settings)

    assert len(fault_server.gets) == 1


def test_size_disagreeing_with_the_manifest_is_refused(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    with pytest.raises(DownloadError, match="the manifest says 1000"):
        download(
            fault_server.url,
            dest,
            expected_sha256=fault_server.sha256,
            expected_size=1000,
            settings=settings,
            retry=FAST_RETRY,
        )
    assert not dest.exists()


def test_cancel_keeps_a_resumable_partial(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    size = len(fault_server.data)
    cancel = threading.Event()

    def cancel_on_first_bytes(event: object) -> None:
        if isinstance(event, ProgressEvent):
            cancel.set()  # checked after the next chunk is written

    with pytest.raises(CancelledError, match="run again to resume"):
        download(
            fault_server.url,
            dest,
            expected_sha256=fault_server.sha256,
            expected_size=size,
            settings=settings,
            emit=cancel_on_first_bytes,
            cancel=cancel,
            retry=FAST_RETRY,
        )
    kept = part_path(dest).stat().st_size
    assert 0 < kept < size
    meta = read_meta(dest)
    assert meta is not None
    assert (meta.url, meta.bytes_written, meta.etag) == (fault_server.url, kept, fault_server.etag)
    assert not dest.exists()

    result = fetch(fault_server, dest, settings)

    assert file_sha(dest) == fault_server.sha256
    assert result.resumed and result.requests == 1
    assert result.bytes_transferred == size - kept
    assert fault_server.gets[-1].range == f"bytes={kept}-"
    assert_clean(dest)


def test_partial_for_another_url_is_discarded(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    size = len(fault_server.data)
    fault_server.add(Fault(drop_after=100_000), *[Fault(status=503)] * 3)
    with pytest.raises(DownloadError):
        fetch(fault_server, dest, settings, retry=RetryPolicy(retries=2, base_delay_s=0.0))
    assert part_path(dest).stat().st_size == 100_000

    result = download(
        fault_server.base_url + "/mirror/docker-x86_64.zip",
        dest,
        expected_sha256=fault_server.sha256,
        expected_size=size,
        settings=settings,
        retry=FAST_RETRY,
    )

    assert file_sha(dest) == fault_server.sha256
    assert result.bytes_transferred == size and not result.resumed
    assert fault_server.gets[-1].range is None


def test_416_for_a_complete_looking_partial_restarts(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    # Size unknown, the partial already holds every byte (killed before the
    # rename): the server answers 416, the partial is suspect, start over.
    size = len(fault_server.data)
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(fault_server.data)
    write_meta(
        dest, PartialMeta(fault_server.url, fault_server.sha256, None, etag=fault_server.etag)
    )

    result = fetch(fault_server, dest, settings, size=False)

    assert [s.status for s in fault_server.gets] == [416, 200]
    assert file_sha(dest) == fault_server.sha256
    assert result.bytes_transferred == size and not result.resumed


def test_partial_with_unreadable_sidecar_is_discarded(
    fault_server: FaultServer, dest: Path, settings: Settings
) -> None:
    size = len(fault_server.data)
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(fault_server.data[:500_000])
    meta_path(dest).write_text("{ torn write")

    result = fetch(fault_server, dest, settings)

    assert fault_server.gets[0].range is None
    assert file_sha(dest) == fault_server.sha256
    assert result.bytes_transferred == size and not result.resumed
