"""Backup archives: tar compressed with zstd (default) or gzip, in a pipeline.

Writing: the calling thread builds the tar stream (headers plus file bytes read
straight into 1 MiB buffers); a sink thread compresses, hashes (SHA-256) and
writes. zstd runs multi-threaded inside libzstd (level 3 by default); gzip is
zlib level 6 (tarfile's own gzip mode would use 9, several times slower for a
few percent). Buffers are recycled through a small pool, so memory stays flat
whatever the tree holds.

Reading: a producer thread reads the archive, hashes it, decompresses it and
hands 1 MiB chunks to ``ForwardReader``, which tarfile reads as a plain tar.
Decompression, hashing and the consumer's file writes therefore overlap, much
as ``tar -I zstd -x`` overlaps two processes.

The tar itself: POSIX pax format (UTF-8 names of any length), numeric owners
plus names, modes, whole-second mtimes (as GNU tar writes them), symlinks as
links, hard links as links.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

import zstandard

from tui_upgrader.core.errors import UpgraderError

logger = logging.getLogger(__name__)

Codec = Literal["zstd", "gzip"]
CODECS: tuple[Codec, ...] = ("zstd", "gzip")
SUFFIX: dict[Codec, str] = {"zstd": ".tar.zst", "gzip": ".tar.gz"}
DEFAULT_LEVEL: dict[Codec, int] = {"zstd": 3, "gzip": 6}
CHUNK = 1 << 20
POOL = 6  # buffers in flight between the tar builder and the sink


def parse_codec(value: str) -> Codec:
    if value == "zstd":
        return "zstd"
    if value == "gzip":
        return "gzip"
    raise ValueError(f"unknown backup codec {value!r} (expected zstd or gzip)")


class _HashingFile:
    """Writes everything to ``fd`` and hashes it on the way."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.sha.update(view)
        total = len(view)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]
        self.size += total
        return total

    def flush(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class WrittenArchive:
    sha256: str
    size: int  # bytes on disk
    tar_bytes: int  # uncompressed tar stream


class _Sink(threading.Thread):
    """Compresses, hashes and writes buffers handed over by the tar builder."""

    def __init__(self, fd: int, codec: Codec, level: int, threads: int) -> None:
        super().__init__(name="backup-sink", daemon=True)
        self.out = _HashingFile(fd)
        self.full: queue.Queue[tuple[bytearray, int] | None] = queue.Queue()
        self.free: queue.Queue[bytearray] = queue.Queue()
        for _ in range(POOL):
            self.free.put(bytearray(CHUNK))
        self.error: BaseException | None = None
        self.compressor: Any
        if codec == "zstd":
            # 4 MiB jobs: the default for level 3 is 8 MiB per job, and with a
            # pool of jobs in flight that doubled peak memory for no gain in
            # ratio or speed (measured: 141.9 MB vs 141.9 MB output).
            params = zstandard.ZstdCompressionParameters.from_level(
                level, threads=threads, job_size=4 * CHUNK, write_checksum=True
            )
            cctx = zstandard.ZstdCompressor(compression_params=params)
            self.compressor = cctx.stream_writer(
                cast(IO[bytes], self.out), closefd=False, write_size=CHUNK
            )
        else:
            self.compressor = gzip.GzipFile(
                filename="", mode="wb", fileobj=self.out, compresslevel=level, mtime=0
            )

    def run(self) -> None:
        while (item := self.full.get()) is not None:
            buf, used = item
            if self.error is None:
                try:
                    self.compressor.write(memoryview(buf)[:used])
                except BaseException as exc:  # handed to the builder thread
                    self.error = exc
            self.free.put(buf)
        if self.error is None:
            try:
                self.compressor.close()
            except BaseException as exc:
                self.error = exc


class SinkError(OSError):
    """Compressing or writing the archive failed (disk full, I/O error)."""


class TarBuilder:
    """File-like tar stream into a compressed archive at ``fd``.

    Call ``header``/``file_data`` per member, then ``finish``. Errors of the
    sink (ENOSPC...) surface as OSError from the next call.
    """

    def __init__(self, fd: int, codec: Codec, level: int, threads: int = -1) -> None:
        self._sink = _Sink(fd, codec, level, threads)
        self._sink.start()
        self._buf = self._sink.free.get()
        self._view = memoryview(self._buf)
        self._used = 0
        self.tar_bytes = 0

    def _check(self) -> None:
        error = self._sink.error
        if error is not None:
            if isinstance(error, OSError):
                raise SinkError(error.errno, error.strerror or str(error)) from error
            raise SinkError(f"compression failed: {error}") from error

    def _hand_over(self) -> None:
        self._check()
        self._sink.full.put((self._buf, self._used))
        self._buf = self._sink.free.get()
        self._view = memoryview(self._buf)
        self._used = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            take = min(len(view), CHUNK - self._used)
            self._view[self._used : self._used + take] = view[:take]
            self._used += take
            self.tar_bytes += take
            view = view[take:]
            if self._used == CHUNK:
                self._hand_over()

    def file_data(self, fd: int, size: int, cancelled: Callable[[], bool]) -> None:
        """Copy exactly ``size`` bytes of ``fd`` plus the tar padding."""
        left = size
        while left:
            room = min(CHUNK - self._used, left)
            got = os.readv(fd, [self._view[self._used : self._used + room]])
            if got == 0:
                raise OSError(f"file shrank by {left} bytes while being read")
            self._used += got
            self.tar_bytes += got
            left -= got
            if self._used == CHUNK:
                self._hand_over()
                if cancelled():
                    return
        if size % 512:
            self.write(bytes(512 - size % 512))

    def finish(self) -> WrittenArchive:
        # End of archive: two zero blocks, then pad to tarfile's record size.
        self.write(bytes(1024))
        if self.tar_bytes % 10240:
            self.write(bytes(10240 - self.tar_bytes % 10240))
        if self._used:
            self._hand_over()
        self._sink.full.put(None)
        self._sink.join()
        self._check()
        out = self._sink.out
        return WrittenArchive(out.sha.hexdigest(), out.size, self.tar_bytes)

    def abort(self) -> None:
        self._sink.error = self._sink.error or OSError("aborted")
        self._sink.full.put(None)
        self._sink.join()


# --- reading ----------------------------------------------------------------------


class _HashingReader:
    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()
        self.done = 0

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.sha.update(data)
        self.done += len(data)
        return data


class ForwardReader:
    """Plain tar bytes of a compressed archive, decompressed by a producer thread.

    Seekable only forwards, which is all tarfile needs when members are taken
    in order; ``seekable()`` says True so tarfile uses its cheap random-access
    reader rather than its stream mode. ``error_type`` wraps decompression and
    I/O errors, naming the archive.
    """

    def __init__(self, path: Path, codec: Codec, error_type: type[UpgraderError]) -> None:
        self.path = path
        self._error_type = error_type
        self._fh = path.open("rb")
        self._raw = _HashingReader(self._fh)
        self._queue: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=8)
        self._stop = threading.Event()
        self._chunk = b""
        self._at = 0
        self._pos = 0
        self._eof = False
        self._codec = codec
        self._thread = threading.Thread(target=self._produce, name="backup-reader", daemon=True)
        self._thread.start()

    @property
    def compressed_done(self) -> int:
        return self._raw.done

    def _put(self, item: bytes | BaseException | None) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            reader: Any
            if self._codec == "zstd":
                dctx = zstandard.ZstdDecompressor()
                reader = dctx.stream_reader(
                    cast(IO[bytes], self._raw), read_size=CHUNK, read_across_frames=True
                )
            else:
                reader = gzip.GzipFile(fileobj=cast(IO[bytes], self._raw), mode="rb")
            while chunk := reader.read(CHUNK):
                if not self._put(chunk):
                    return
            # Whatever follows the compressed stream belongs to no frame.
            if self._raw.read(1):
                raise ValueError("trailing data after the compressed stream")
            self._put(None)
        except (OSError, EOFError, ValueError, zstandard.ZstdError) as exc:
            self._put(exc)

    def _next_chunk(self) -> bool:
        if self._eof:
            return False
        item = self._queue.get()
        if item is None:
            self._eof = True
            return False
        if isinstance(item, BaseException):
            self._eof = True
            raise self._error_type(f"{self.path}: cannot decompress: {item}") from item
        self._chunk, self._at = item, 0
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = 1 << 62
        parts: list[bytes] = []
        while size:
            if self._at == len(self._chunk) and not self._next_chunk():
                break
            piece = self._chunk[self._at : self._at + size]
            self._at += len(piece)
            self._pos += len(piece)
            size -= len(piece)
            parts.append(piece)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def copy_to(self, fd: int, size: int) -> None:
        """Write the next ``size`` bytes to ``fd`` without copying them first."""
        left = size
        while left:
            if self._at == len(self._chunk) and not self._next_chunk():
                raise self._error_type(f"{self.path}: archive ends inside a member")
            view = memoryview(self._chunk)[self._at : self._at + left]
            taken = len(view)
            while view:
                view = view[os.write(fd, view) :]
            self._at += taken
            self._pos += taken
            left -= taken

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        target = offset if whence == os.SEEK_SET else self._pos + offset
        if whence not in (os.SEEK_SET, os.SEEK_CUR) or target < self._pos:
            raise self._error_type(f"{self.path}: backward seek in a compressed stream")
        while self._pos < target:
            if self._at == len(self._chunk) and not self._next_chunk():
                break
            step = min(target - self._pos, len(self._chunk) - self._at)
            self._at += step
            self._pos += step
        return self._pos

    def drain(self) -> tuple[str, int]:
        """Read to the end; the archive's SHA-256 and size once all of it was read."""
        while self._next_chunk():
            self._pos += len(self._chunk) - self._at
            self._at = len(self._chunk)
        self._thread.join()
        return self._raw.sha.hexdigest(), self._raw.done

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._fh.close()

    def __enter__(self) -> ForwardReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
