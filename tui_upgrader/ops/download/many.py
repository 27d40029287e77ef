"""Several verified downloads under one progress bar (thin image delivery's blobs).

Each file goes through ``fetch.download`` (Range resume per file, retries,
hash and length checked before the file is renamed into place), so a dropped
connection costs only the blob it cut. The per-file progress events are
turned into one ``ProgressEvent`` over the planned bytes; the per-file
"downloading ..." lines are folded into the caller's one summary line
(warnings, e.g. retries, still pass).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tui_upgrader.core.events import Emit, Event, LogEvent, ProgressEvent, Step
from tui_upgrader.ops.download.fetch import DownloadResult, download
from tui_upgrader.ops.http import make_client
from tui_upgrader.ops.settings import Settings


@dataclass(frozen=True, slots=True)
class Wanted:
    url: str
    dest: Path
    sha256: str
    size: int


class _OneBar:
    def __init__(self, emit: Emit, total: int, label: str) -> None:
        self._emit = emit
        self.total = total
        self.label = label
        self.base = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, ProgressEvent):
            done = self.base + event.done
            rate = event.bytes_per_s
            eta = (self.total - done) / rate if rate else None
            event = replace(event, done=done, total=self.total, label=self.label, eta_s=eta)
        elif isinstance(event, LogEvent) and event.level == "info":
            return
        self._emit(event)


def download_many(
    wanted: Sequence[Wanted],
    *,
    settings: Settings,
    emit: Emit,
    cancel: threading.Event,
    label: str,
    expected_from: str,
    step: Step = Step.DOWNLOADING_UPDATE,
) -> list[DownloadResult]:
    """Download (or reuse from the cache) every file; raises as ``download`` does."""
    bar = _OneBar(emit, sum(w.size for w in wanted), label)
    results: list[DownloadResult] = []
    with make_client(settings) as client:
        for item in wanted:
            result = download(
                item.url,
                item.dest,
                expected_sha256=item.sha256,
                expected_size=item.size,
                settings=settings,
                emit=bar,
                cancel=cancel,
                client=client,
                step=step,
                expected_from=expected_from,
            )
            results.append(result)
            bar.base += item.size
    return results
