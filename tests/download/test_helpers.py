"""Pure helpers of the downloader: header parsing, backoff, sidecar round trip."""

from __future__ import annotations

from email.utils import formatdate
from pathlib import Path

import pytest

from tui_upgrader.ops.download._internal.hashing import HashPipe, sha256_file
from tui_upgrader.ops.download._internal.resume_meta import (
    PartialMeta,
    meta_path,
    read_meta,
    write_meta,
)
from tui_upgrader.ops.http import (
    ContentRange,
    RetryPolicy,
    parse_content_range,
    parse_retry_after,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("bytes 100-199/200", ContentRange(100, 199, 200)),
        ("bytes 0-0/1", ContentRange(0, 0, 1)),
        ("bytes 5-9/*", ContentRange(5, 9, None)),
        ("bytes 10-5/100", None),  # end before start
        ("bytes 0-200/200", None),  # end beyond the total
        ("items 0-1/2", None),
        ("bytes */200", None),
        (None, None),
    ],
)
def test_parse_content_range(value: str | None, expected: ContentRange | None) -> None:
    assert parse_content_range(value) == expected


def test_parse_retry_after_seconds_and_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(formatdate(1_000_030, usegmt=True), now=1_000_000) == 30.0
    assert parse_retry_after(formatdate(1_000_000, usegmt=True), now=1_000_030) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    for failures, cap in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        delays = {policy.delay(failures) for _ in range(50)}
        assert all(cap / 2 <= d <= cap for d in delays)
        assert len(delays) > 1  # jittered
    assert policy.delay(1, retry_after=20.0) == 20.0
    assert RetryPolicy(max_retry_after_s=60.0).delay(1, retry_after=3600.0) == 60.0
    assert RetryPolicy(base_delay_s=0.0).delay(3) == 0.0


def test_sidecar_round_trip_and_rejects_garbage(tmp_path: Path) -> None:
    dest = tmp_path / "pkg.zip"
    meta = PartialMeta("http://x/pkg.zip", "a" * 64, 10, etag='"e1"', total=10, bytes_written=4)
    write_meta(dest, meta)
    back = read_meta(dest)
    assert back is not None
    assert (back.url, back.etag, back.bytes_written, back.validator) == (
        meta.url,
        '"e1"',
        4,
        '"e1"',
    )
    assert back.matches("http://x/pkg.zip", "a" * 64, 10)
    assert not back.matches("http://mirror/pkg.zip", "a" * 64, 10)
    assert oct(meta_path(dest).stat().st_mode & 0o777) == oct(0o600)

    meta_path(dest).write_text('{"version": 1, "url": 5}')
    assert read_meta(dest) is None
    meta_path(dest).write_text("not json")
    assert read_meta(dest) is None


def test_weak_etag_falls_back_to_last_modified() -> None:
    meta = PartialMeta("u", None, None, etag='W/"weak"', last_modified="Tue, 01 Jan 2030")
    assert meta.validator == "Tue, 01 Jan 2030"


def test_hash_pipe_handles_prefix_reset_and_batches(tmp_path: Path) -> None:
    prefix = tmp_path / "prefix"
    prefix.write_bytes(b"a" * 3_000_000)
    pipe = HashPipe()
    pipe.feed(b"discarded")
    pipe.reset()
    pipe.feed_file(prefix, 2_000_000)
    for _ in range(40):
        pipe.feed(b"b" * 65536)
    whole = tmp_path / "whole"
    whole.write_bytes(b"a" * 2_000_000 + b"b" * 65536 * 40)
    assert pipe.hexdigest() == sha256_file(whole)


def test_progress_events_carry_speed_and_eta() -> None:
    from tui_upgrader.core.events import Event, ProgressEvent, Step
    from tui_upgrader.ops.download import fetch as download

    now = [100.0]
    seen: list[Event] = []
    progress = download._Progress(seen.append, Step.DOWNLOADING_UPDATE, "p.zip", lambda: now[0])
    progress(1000, 11000)  # a resumed download: 1000 bytes were already there
    now[0] += 2.0
    progress(5000, 11000)
    last = seen[-1]
    assert isinstance(last, ProgressEvent)
    assert last.bytes_per_s == pytest.approx(2000.0)  # (5000 - 1000) / 2 s
    assert last.eta_s == pytest.approx(3.0)  # 6000 bytes left at 2000 B/s
    assert last.to_json() == {
        "type": "progress",
        "step": "DownloadingUpdate",
        "done": 5000,
        "total": 11000,
    }
