"""Resumable, verified package downloads (model: pip's ``pip._internal.network.download``).

Bytes stream to ``<dest>.part`` and are hashed in a second thread as they
arrive. An interrupted transfer resumes with ``Range`` + ``If-Range``; the
``.part.json`` sidecar (see ``resume_meta``) says what the partial belongs to.
Only a file whose SHA-256 matches is renamed to ``dest``, so a file at
``dest`` is always a verified one and is reused without any request.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
from humanize import naturalsize

from tui_upgrader.core.errors import (
    CancelledError,
    DiskSpaceError,
    DownloadError,
    HashMismatchError,
    InputError,
    UpgraderError,
)
from tui_upgrader.core.events import Emit, LogEvent, ProgressEvent, Step, discard
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.core.stages import Stage
from tui_upgrader.core.throttle import RateGate
from tui_upgrader.ops.download._internal.hashing import HashPipe, sha256_file
from tui_upgrader.ops.download._internal.resume_meta import discard_partial, part_path
from tui_upgrader.ops.download._internal.transfer import Transfer, TransferContext
from tui_upgrader.ops.fsutil import fsync_dir, private_dir
from tui_upgrader.ops.http import RetryPolicy, make_client
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.stagelog import stage_log

logger = logging.getLogger(__name__)

__all__ = ["DownloadResult", "RetryPolicy", "download"]

PROGRESS_INTERVAL_S = 0.1  # at most 10 progress events per second
COPY_BLOCK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MANIFEST = N_("the manifest")


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadResult:
    path: Path
    sha256: str
    size: int
    bytes_transferred: int  # body bytes received over the network, all attempts
    resumed: bool  # the file includes bytes kept from an earlier attempt
    requests: int  # HTTP requests made (0 = the cached file was reused)


@dataclass(slots=True)
class _Progress:
    """Throttles ``ProgressEvent``s to PROGRESS_INTERVAL_S."""

    emit: Emit
    step: Step
    label: str
    clock: Callable[[], float] = time.monotonic
    gate: RateGate = field(init=False)
    # Speed is measured from the first report of this run, so a resumed
    # download does not count the bytes it already had as transferred now.
    origin: tuple[float, int] | None = None

    def __post_init__(self) -> None:
        self.gate = RateGate(PROGRESS_INTERVAL_S, self.clock)

    def __call__(self, done: int, total: int | None, *, force: bool = False) -> None:
        now = self.clock()
        if self.origin is None:
            self.origin = (now, done)
        if self.gate.allow(final=force):
            started, base = self.origin
            rate = (done - base) / (now - started) if now - started > 0.2 else None
            eta = (total - done) / rate if rate and total is not None and total >= done else None
            self.emit(ProgressEvent(self.step, done, total, self.label, rate or None, eta))


def _normalise_sha(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip().lower().removeprefix("sha256:")
    if not _SHA256.match(text):
        raise InputError(_("invalid sha256 {value!r}: expected 64 hex digits").format(value=value))
    return text


def local_source(url: str) -> Path | None:
    """A ``file://`` URL or a plain path (air-gapped USB), else None."""
    if url.startswith("file://"):
        return Path(unquote(urlsplit(url).path))
    if "://" not in url:
        return Path(url)
    return None


def check_free_space(directory: Path, needed: int, what: str) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise DiskSpaceError(
            _(
                "{directory}: not enough free space for {what}: need "
                "{naturalsize}, {naturalsize2} free"
            ).format(
                directory=directory,
                what=what,
                naturalsize=naturalsize(needed, binary=True),
                naturalsize2=naturalsize(free, binary=True),
            )
        )


def _reuse_complete(
    dest: Path, expected: str | None, expected_size: int | None, progress: _Progress
) -> DownloadResult | None:
    try:
        size = dest.stat().st_size
    except FileNotFoundError:
        return None
    if expected_size is not None and size != expected_size:
        logger.warning("%s: %d bytes, expected %d; downloading again", dest, size, expected_size)
        dest.unlink()
        return None
    actual = sha256_file(dest)
    if expected is not None and actual != expected:
        logger.warning(
            "%s: cached file does not match sha256 %s; downloading again", dest, expected
        )
        dest.unlink()
        return None
    if expected is None:
        logger.warning("%s: reusing an unverifiable cached package", dest)
    logger.info("%s: already downloaded and verified, no request made", dest)
    progress(size, size, force=True)
    return DownloadResult(
        path=dest, sha256=actual, size=size, bytes_transferred=0, resumed=False, requests=0
    )


def _verify(
    url: str,
    expected: str | None,
    expected_size: int | None,
    sha: str,
    size: int,
    expected_from: str = MANIFEST,
) -> UpgraderError | None:
    if expected_size is not None and size != expected_size:
        return DownloadError(
            _("{url}: received {size} bytes, {source} says {expected_size}").format(
                url=url, size=size, source=_(expected_from), expected_size=expected_size
            )
        )
    if expected is not None and sha != expected:
        if expected_from == MANIFEST:
            return HashMismatchError(url, expected, sha)
        name = url.rsplit("/", 1)[-1]
        return HashMismatchError(
            _("package {name}").format(name=name), expected, sha, against=_(expected_from)
        )
    return None


def _commit(dest: Path) -> None:
    os.replace(part_path(dest), dest)
    fsync_dir(dest.parent)
    discard_partial(dest)


def _open_regular(source: Path) -> tuple[int, int]:
    """An open descriptor on ``source`` and its size; anything but a regular file is refused.

    Opened non-blocking, so a FIFO cannot hang the open itself; the check is on
    the descriptor (fstat), so the file cannot be swapped after it.
    """
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise DownloadError(
            _("{source}: cannot read package: {strerror}").format(
                source=source, strerror=exc.strerror
            )
        ) from exc
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise DownloadError(
            _("{source}: not a regular file (a device, FIFO or directory is refused)").format(
                source=source
            )
        )
    return fd, st.st_size


def _copy_local(
    source: Path,
    dest: Path,
    expected: str | None,
    expected_size: int | None,
    progress: _Progress,
    cancel: threading.Event,
    expected_from: str = MANIFEST,
) -> DownloadResult:
    """Copy from a local path through the same hash + verify path as HTTP.

    The copy stops one byte past the signed (or declared) length, or the
    file's own size when nothing declares one: a file that grows (or is
    replaced by an endless one) cannot fill the disk.
    """
    fd, size = _open_regular(source)
    limit = (expected_size if expected_size is not None else size) + 1
    check_free_space(dest.parent, min(size, limit), dest.name)
    part = part_path(dest)
    pipe = HashPipe()
    done = 0
    try:
        with os.fdopen(fd, "rb") as src, part.open("wb") as out:
            os.fchmod(out.fileno(), 0o600)
            while done < limit and (block := src.read(min(COPY_BLOCK, limit - done))):
                out.write(block)
                pipe.feed(block)
                done += len(block)
                progress(done, expected_size if expected_size is not None else size)
                if cancel.is_set():
                    raise CancelledError(_("copy of {source} cancelled").format(source=source))
            out.flush()
            os.fsync(out.fileno())
        sha = pipe.hexdigest()
    except BaseException:
        pipe.close()
        discard_partial(dest)
        raise
    problem = _verify(str(source), expected, expected_size, sha, done, expected_from)
    if problem is not None:
        discard_partial(dest)
        raise problem
    _commit(dest)
    progress(done, done, force=True)
    return DownloadResult(
        path=dest, sha256=sha, size=done, bytes_transferred=0, resumed=False, requests=0
    )


def download(
    url: str,
    dest: Path,
    *,
    expected_sha256: str | None,
    expected_size: int | None = None,
    settings: Settings,
    emit: Emit = discard,
    cancel: threading.Event | None = None,
    client: httpx.Client | None = None,
    step: Step = Step.DOWNLOADING_UPDATE,
    retry: RetryPolicy | None = None,
    expected_from: str = MANIFEST,
) -> DownloadResult:
    """Download ``url`` to ``dest`` and verify it; resume whatever is resumable.

    ``expected_sha256`` None means unverifiable (the caller decided to allow
    it). ``expected_from`` names who vouches for hash and size ("the signed
    targets" for a TUF-verified release), for the errors. Raises DownloadError,
    HashMismatchError, DiskSpaceError or CancelledError (the partial file is
    kept for the next attempt).
    """
    expected = _normalise_sha(expected_sha256)
    cancel = cancel or threading.Event()
    progress = _Progress(emit, step, dest.name)
    try:
        private_dir(dest.parent)
    except OSError as exc:
        raise DownloadError(
            _("{parent}: cannot create: {strerror}").format(
                parent=dest.parent, strerror=exc.strerror
            )
        ) from exc
    reused = _reuse_complete(dest, expected, expected_size, progress)
    if reused is not None:
        stage_log(emit, Stage.DOWNLOAD_REUSED, sha256=reused.sha256)
        return reused
    stage_log(
        emit,
        Stage.DOWNLOAD_START,
        url=url,
        size=naturalsize(expected_size, binary=True)
        if expected_size is not None
        else "size unknown",
    )
    source = local_source(url)
    if source is not None:
        return _copy_local(source, dest, expected, expected_size, progress, cancel, expected_from)

    http = client or make_client(settings)
    ctx = TransferContext(
        url=url,
        dest=dest,
        expected_sha256=expected,
        expected_size=expected_size,
        settings=settings,
        client=http,
        cancel=cancel,
        policy=retry or RetryPolicy.from_settings(settings),
        progress=progress,
        log=lambda level, text: emit(LogEvent(level, text)),
        note=lambda stage, values: stage_log(emit, stage, **values),
        check_space=lambda needed: check_free_space(dest.parent, needed, dest.name),
        expected_from=expected_from,
    )
    try:
        for attempt in (1, 2):
            transfer = Transfer(ctx)
            sha, size = transfer.run()
            problem = _verify(url, expected, expected_size, sha, size, expected_from)
            if problem is None:
                _commit(dest)
                progress(size, size, force=True)
                logger.info("%s: %d bytes verified (%s)", dest, size, sha)
                return DownloadResult(
                    path=dest,
                    sha256=sha,
                    size=size,
                    bytes_transferred=ctx.bytes_transferred,
                    resumed=transfer.resumed,
                    requests=ctx.requests,
                )
            discard_partial(dest)
            if attempt == 2:
                raise problem
            text = _("{problem}; deleted it, downloading once more from scratch").format(
                problem=problem
            )
            logger.warning("%s", text)
            ctx.log("warning", text)
        raise AssertionError("unreachable")
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskSpaceError(
                _("{parent}: disk full while writing {name}").format(
                    parent=dest.parent, name=dest.name
                )
            ) from exc
        raise DownloadError(f"{dest}: {exc.strerror or exc}") from exc
    finally:
        if client is None:
            http.close()
