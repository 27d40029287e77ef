"""SHA-256 in a second thread, so hashing overlaps the transfer.

hashlib releases the GIL for buffers over 2 KiB, so while the download thread
waits on the socket and writes to disk, this thread hashes what already
arrived. The queue is bounded: memory stays flat whatever the file size.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)

BATCH_BYTES: Final = 1024 * 1024
MAX_PENDING_BATCHES: Final = 8
FILE_BLOCK: Final = 1024 * 1024

_RESET: Final = object()
_DONE: Final = object()


def sha256_file(path: Path, limit: int | None = None) -> str:
    """Hash a file (or its first ``limit`` bytes) without loading it."""
    digest = hashlib.sha256()
    _hash_file_into(digest, path, limit)
    return digest.hexdigest()


def _hash_file_into(digest: hashlib._Hash, path: Path, limit: int | None) -> int:
    remaining = limit
    seen = 0
    with path.open("rb", buffering=0) as fh:
        while remaining is None or remaining > 0:
            block = fh.read(FILE_BLOCK if remaining is None else min(FILE_BLOCK, remaining))
            if not block:
                break
            digest.update(block)
            seen += len(block)
            if remaining is not None:
                remaining -= len(block)
    return seen


class HashPipe:
    """Feed bytes in order; ``hexdigest()`` waits for the thread to catch up.

    ``reset()`` starts over (the server restarted the body from byte 0);
    ``feed_file()`` hashes a prefix already on disk (a resumed partial).
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[object] = queue.Queue(maxsize=MAX_PENDING_BATCHES)
        self._batch: list[bytes] = []
        self._batch_bytes = 0
        self._digest = hashlib.sha256()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name="sha256", daemon=True)
        self._thread.start()

    def feed(self, chunk: bytes) -> None:
        self._batch.append(chunk)
        self._batch_bytes += len(chunk)
        if self._batch_bytes >= BATCH_BYTES:
            self._flush()

    def feed_file(self, path: Path, length: int) -> None:
        self._flush()
        self._queue.put((path, length))

    def reset(self) -> None:
        self._batch.clear()
        self._batch_bytes = 0
        self._queue.put(_RESET)

    def hexdigest(self) -> str:
        self._flush()
        self._queue.put(_DONE)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._digest.hexdigest()

    def close(self) -> None:
        """Stop the thread without a result (error or cancel paths)."""
        if self._thread.is_alive():
            self._batch.clear()
            self._queue.put(_DONE)
            self._thread.join()

    def _flush(self) -> None:
        if self._batch:
            self._queue.put(self._batch)
            self._batch = []
            self._batch_bytes = 0

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if item is _RESET:
                # A restart discards whatever went wrong with the old bytes too
                # (e.g. the prefix being truncated under the hashing).
                self._digest = hashlib.sha256()
                self._error = None
                continue
            if self._error is not None:
                continue  # keep draining so the producer never blocks
            try:
                if isinstance(item, list):
                    for chunk in item:
                        self._digest.update(chunk)
                elif isinstance(item, tuple):
                    path, length = item
                    got = _hash_file_into(self._digest, path, length)
                    if got != length:
                        raise OSError(f"{path}: partial file shrank while hashing")
            except BaseException as exc:  # surfaced by hexdigest() in the caller's thread
                logger.debug("hash thread failed: %s", exc)
                self._error = exc
