"""One pass of a download: resume what is on disk, retry until the body is complete.

The caller (fetch.py) verifies the hash and decides about a fresh retry;
this module only moves bytes, keeping the partial file and its sidecar
consistent at every point where it can stop (error, cancel, kill).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Protocol

import httpx

from tui_upgrader.core.errors import CancelledError, DownloadError
from tui_upgrader.core.events import LogLevel
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.stages import Stage
from tui_upgrader.ops.download._internal.hashing import HashPipe
from tui_upgrader.ops.download._internal.resume_meta import (
    PartialMeta,
    discard_partial,
    meta_path,
    part_path,
    read_meta,
    url_key,
    write_meta,
)
from tui_upgrader.ops.http import (
    RETRY_STATUSES,
    RetryPolicy,
    content_length,
    describe_transport_error,
    is_retryable,
    parse_content_range,
    parse_retry_after,
    timeouts,
)
from tui_upgrader.ops.settings import Settings

logger = logging.getLogger(__name__)

Note = Callable[[Stage, dict[str, object]], None]


def _no_note(stage: Stage, values: dict[str, object]) -> None:
    """A ``Note`` for callers without a stage log."""


class ProgressSink(Protocol):
    def __call__(self, done: int, total: int | None, *, force: bool = False) -> None: ...


@dataclass(slots=True)
class TransferContext:
    """Everything a pass needs, plus counters shared across passes."""

    url: str
    dest: Path
    expected_sha256: str | None
    expected_size: int | None
    settings: Settings
    client: httpx.Client
    cancel: threading.Event
    policy: RetryPolicy
    progress: ProgressSink
    log: Callable[[LogLevel, str], None]
    check_space: Callable[[int], None]
    expected_from: str = N_("the manifest")  # who vouches for the size, for the errors
    requests: int = field(default=0)
    bytes_transferred: int = field(default=0)
    note: Note = field(default=_no_note)


class _RetryableError(Exception):
    """An attempt failed in a way another attempt may fix."""

    def __init__(
        self, reason: str, *, retry_after: float | None = None, immediate: bool = False
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.immediate = immediate


class Transfer:
    def __init__(self, ctx: TransferContext) -> None:
        self.ctx = ctx
        self.part = part_path(ctx.dest)
        self.name = ctx.dest.name
        self.offset = 0
        self.total: int | None = ctx.expected_size
        self.use_range = True
        self.resumed = False
        self.meta = PartialMeta(url_key(ctx.url), ctx.expected_sha256, ctx.expected_size)
        self._received = 0  # bytes in the current attempt
        self._meta_noted = False

    # --- the pass -------------------------------------------------------------

    def run(self) -> tuple[str, int]:
        """Return (sha256, size) of the complete ``.part`` file."""
        pipe = HashPipe()
        try:
            with self._open_partial(pipe) as fh:
                self._loop(fh, pipe)
                fh.flush()
                os.fsync(fh.fileno())
            return pipe.hexdigest(), self.offset
        except BaseException:
            if self.offset == 0:
                discard_partial(self.ctx.dest)  # nothing worth resuming
            raise
        finally:
            pipe.close()

    def _open_partial(self, pipe: HashPipe) -> IO[bytes]:
        ctx = self.ctx
        meta = read_meta(ctx.dest)
        try:
            size: int | None = self.part.stat().st_size
        except FileNotFoundError:
            size = None
        why = ""
        if size is not None:
            if meta is None:
                why = "it has no readable sidecar"
            elif not meta.matches(ctx.url, ctx.expected_sha256, ctx.expected_size):
                why = "its sidecar names another URL, hash or size"
            elif size > (ctx.expected_size if ctx.expected_size is not None else size):
                why = "it is larger than the package"
            elif meta.total is not None and size > meta.total:
                why = "it is larger than the file the server announced"
            elif ctx.expected_sha256 is None and meta.validator is None:
                why = "nothing can prove it is a prefix of the same file"
        if why:
            logger.info("%s: discarding the partial download: %s", self.part, why)
            discard_partial(ctx.dest)
            size, meta = None, None
        elif size is None and meta is not None:
            meta_path(ctx.dest).unlink(missing_ok=True)
            meta = None
        if meta is not None and size:
            self.meta, self.offset = meta, size
            self.total = ctx.expected_size if ctx.expected_size is not None else meta.total
            logger.info("%s: resuming after %d bytes", self.part, size)
            ctx.note(Stage.DOWNLOAD_RESUME, {"offset": size, "url": ctx.url})
        fd = os.open(self.part, os.O_RDWR | os.O_CREAT, 0o600)
        fh = os.fdopen(fd, "r+b")
        fh.seek(self.offset)
        fh.truncate(self.offset)
        if self.offset:
            pipe.feed_file(self.part, self.offset)
            # A prefix that already is the whole package is verified without a request.
            self.resumed = self.total is not None and self.offset == self.total
        return fh

    def _loop(self, fh: IO[bytes], pipe: HashPipe) -> None:
        ctx = self.ctx
        if self.total is not None:
            ctx.check_space(self.total - self.offset)
        failures = 0
        while self.total is None or self.offset < self.total or self.offset == 0:
            self._check_cancel(fh)
            try:
                self._attempt(fh, pipe)
                return
            except _RetryableError as retry:
                failures = 1 if self._received else failures + 1
                if failures > ctx.policy.retries:
                    raise DownloadError(
                        _("{url}: {reason}; gave up after {requests} requests").format(
                            url=ctx.url, reason=retry.reason, requests=ctx.requests
                        )
                    ) from retry
                delay = 0.0 if retry.immediate else ctx.policy.delay(failures, retry.retry_after)
                text = _(
                    "download of {name}: {reason}; retrying in {delay:.1f} s from byte {offset}"
                ).format(name=self.name, reason=retry.reason, delay=delay, offset=self.offset)
                logger.warning("%s", text)
                ctx.log("warning", text)
                if delay > 0 and ctx.cancel.wait(delay):
                    raise self._cancelled(fh) from None

    # --- one request -----------------------------------------------------------

    def _attempt(self, fh: IO[bytes], pipe: HashPipe) -> None:
        ctx = self.ctx
        headers = {"Accept-Encoding": "identity"}
        ranged = self.offset > 0 and self.use_range
        if ranged:
            headers["Range"] = f"bytes={self.offset}-"
            if self.meta.validator:
                headers["If-Range"] = self.meta.validator
        self._received = 0
        ctx.requests += 1
        try:
            with ctx.client.stream(
                "GET",
                ctx.url,
                headers=headers,
                timeout=timeouts(ctx.settings),
                follow_redirects=True,
            ) as response:
                self._accept(response, ranged, fh, pipe)
                for chunk in response.iter_raw():
                    self._write(chunk, fh, pipe)
        except httpx.TransportError as exc:
            self._save(fh)
            if not is_retryable(exc):
                raise DownloadError(f"{ctx.url}: {describe_transport_error(exc)}") from exc
            raise _RetryableError(describe_transport_error(exc)) from exc
        except httpx.HTTPError as exc:  # InvalidURL, TooManyRedirects, ...
            raise DownloadError(f"{ctx.url}: {exc}") from exc
        if self.total is not None and self.offset < self.total:
            self._save(fh)
            raise _RetryableError(
                _("connection closed at byte {offset} of {total}").format(
                    offset=self.offset, total=self.total
                )
            )
        self.total = self.offset

    def _accept(
        self, response: httpx.Response, ranged: bool, fh: IO[bytes], pipe: HashPipe
    ) -> None:
        ctx = self.ctx
        status = response.status_code
        if status == 206:
            raw = response.headers.get("content-range")
            got = parse_content_range(raw)
            start = self.offset if ranged else 0
            # A server may answer ``bytes=N-`` with less than the rest (a CDN's range
            # cap): keep those bytes and ask for the remainder, as after a drop.
            if (
                got is None
                or got.start != start
                or got.total is None
                or not got.start <= got.end <= got.total - 1
                or (self.total is not None and got.total != self.total)
            ):
                self.use_range = False  # this server's ranges cannot be trusted
                raise _RetryableError(
                    _(
                        "server sent a wrong Content-Range {raw!r} for bytes={start}-; "
                        "restarting without Range"
                    ).format(raw=raw, start=start),
                    immediate=True,
                )
            if not ranged and self.offset:
                self._restart(fh, pipe)
            total: int | None = got.total
            self.resumed = self.resumed or ranged
        elif status == 200:
            if self.offset:
                text = _(
                    "download of {name}: the server sent the whole file (Range ignored "
                    "or the file changed); restarting from byte 0"
                ).format(name=self.name)
                logger.info("%s", text)
                ctx.log("info", text)
                self._restart(fh, pipe)
            total = content_length(response)
        elif status == 416 and ranged:
            self._restart(fh, pipe)
            raise _RetryableError(
                _("server refused the resume range (416); partial file discarded"), immediate=True
            )
        elif status in RETRY_STATUSES:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise _RetryableError(
                _("server answered HTTP {status}").format(status=status), retry_after=retry_after
            )
        else:
            raise DownloadError(
                _("{url}: server answered HTTP {status} {reason_phrase}").format(
                    url=ctx.url, status=status, reason_phrase=response.reason_phrase
                )
            )
        if total is not None:
            if ctx.expected_size is not None and total != ctx.expected_size:
                raise DownloadError(
                    _("{url}: the server's file has {total} bytes, {source} says {size}").format(
                        url=ctx.url,
                        total=total,
                        source=_(ctx.expected_from),
                        size=ctx.expected_size,
                    )
                )
            self.total = total
            ctx.check_space(total - self.offset)
        self.meta = replace(
            self.meta,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            total=self.total,
            bytes_written=self.offset,
        )
        write_meta(ctx.dest, self.meta)
        if not self._meta_noted:
            self._meta_noted = True
            ctx.note(Stage.DOWNLOAD_META, {"path": meta_path(ctx.dest)})
        ctx.progress(self.offset, self.total)

    def _write(self, chunk: bytes, fh: IO[bytes], pipe: HashPipe) -> None:
        size = len(chunk)
        self.ctx.bytes_transferred += size
        # Checked before writing: endless data never lands on disk past the length.
        if self.total is not None and self.offset + size > self.total:
            text = (
                _("{url}: the server sent more than the {total} bytes it announced; stopped there")
                if self.ctx.expected_size is None
                else _(
                    "{url}: the server sent more than the {total} bytes {source} allow; "
                    "stopped there"
                )
            )
            raise DownloadError(
                text.format(url=self.ctx.url, total=self.total, source=_(self.ctx.expected_from))
            )
        fh.write(chunk)
        pipe.feed(chunk)
        self.offset += size
        self._received += size
        self._check_cancel(fh)
        self.ctx.progress(self.offset, self.total)

    # --- state changes -------------------------------------------------------------

    def _restart(self, fh: IO[bytes], pipe: HashPipe) -> None:
        fh.seek(0)
        fh.truncate(0)
        pipe.reset()
        self.offset = 0
        self.resumed = False
        self.total = self.ctx.expected_size

    def _save(self, fh: IO[bytes]) -> None:
        """Make what we have durable and say so in the sidecar."""
        fh.flush()
        os.fsync(fh.fileno())
        self.meta = replace(self.meta, bytes_written=self.offset, total=self.total)
        write_meta(self.ctx.dest, self.meta)

    def _check_cancel(self, fh: IO[bytes]) -> None:
        if self.ctx.cancel.is_set():
            raise self._cancelled(fh)

    def _cancelled(self, fh: IO[bytes]) -> CancelledError:
        self._save(fh)
        of = f" of {self.total}" if self.total is not None else ""
        return CancelledError(
            _(
                "download of {name} cancelled at {offset}{of} bytes; {part} is "
                "kept, run again to resume"
            ).format(name=self.name, offset=self.offset, of=of, part=self.part)
        )
