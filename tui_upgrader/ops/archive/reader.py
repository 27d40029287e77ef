"""Reading backup archives: decompression and hashing in a producer thread.

A producer thread reads the archive, hashes it (SHA-256), decompresses it and
hands 1 MiB chunks to ``ForwardReader``, which tarfile reads as a plain tar.
Decompression, hashing and the consumer's file writes therefore overlap, much
as ``tar -I zstd -x`` overlaps two processes.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import queue
import threading
from pathlib import Path
from typing import IO, Any, cast

import zstandard

from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.ops.archive.codec import CHUNK, Codec


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

    def __init__(
        self,
        path: Path,
        codec: Codec,
        error_type: type[UpgraderError],
        *,
        label: str | None = None,
    ) -> None:
        self.path = path
        self.label = f"{label} ({path})" if label else str(path)
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
        except BaseException as exc:  # handed to the reading thread, which raises it
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
            raise self._error_type(f"{self.label} is corrupt: {item}") from item
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
                raise self._error_type(f"{self.label} is corrupt: it ends inside a member")
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
            raise self._error_type(f"{self.label}: backward seek in a compressed stream")
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
