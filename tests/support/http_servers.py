"""Real HTTP servers on 127.0.0.1 for the tests (a pytest plugin).

- ``release_server``: the project's own ``serve`` (Werkzeug, Range-capable)
  over a fresh directory, in a background thread.
- ``fault_server``: a deliberately misbehaving server written for the tests.
  Each GET consumes the next ``Fault`` (if any): drop the connection after N
  bytes, ignore Range, lie in Content-Range, answer 500/429, stall, publish a
  new ETag, or corrupt the body. Its own Range handling is minimal on purpose
  (``bytes=N-`` only), which is all the downloader sends.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tui_upgrader.ops.release.server import ReleaseServer, serve_directory

PACKAGE_PATH = "/pkg/docker-x86_64.zip"
DEFAULT_SIZE = 1024 * 1024 + 12345  # not a multiple of any chunk size


def payload(size: int = DEFAULT_SIZE, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Fault:
    """How the fault server misbehaves on one GET."""

    drop_after: int | None = None  # close the connection after N body bytes
    stall_after: int | None = None  # send N body bytes, then go silent
    ignore_range: bool = False  # answer 200 with the whole file
    content_range_shift: int = 0  # lie about the start in Content-Range
    status: int | None = None  # answer this status with an empty body
    retry_after: str | None = None
    corrupt: bool = False  # flip one byte of the body
    republish: bytes | None = None  # publish these bytes (new ETag) before answering
    short_by: int = 0  # announce and send this many bytes less: a clean but short body


@dataclass(frozen=True, slots=True)
class Served:
    method: str
    path: str
    range: str | None
    if_range: str | None
    status: int
    body_bytes: int


@dataclass
class _State:
    data: bytes
    etag: str
    last_modified: str
    generation: int = 0
    faults: list[Fault] = field(default_factory=list)
    log: list[Served] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_HEAD(self) -> None:
        # The downloader must never need HEAD (presigned URLs often refuse it).
        self._record("HEAD", 405, 0)
        self._simple(405)

    def do_GET(self) -> None:
        srv = self.server
        with srv.lock:
            fault = srv.state.faults.pop(0) if srv.state.faults else Fault()
            if fault.republish is not None:
                srv.publish_locked(fault.republish)
            data, etag, modified = srv.state.data, srv.state.etag, srv.state.last_modified
        if srv.root is not None:  # directory mode: each path is its own file
            found = srv.read_file(self.path)
            if found is None:
                self._record("GET", 404, 0)
                self._simple(404)
                return
            data, etag = found, f'"{sha256(found)[:16]}"'
        if fault.status is not None:
            self._record("GET", fault.status, 0)
            self._simple(fault.status, fault.retry_after)
            return
        start = 0
        wanted = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        match = re.fullmatch(r"bytes=(\d+)-", wanted or "")
        use_range = (
            match is not None and not fault.ignore_range and if_range in (None, etag, modified)
        )
        if use_range and match is not None:
            start = int(match.group(1))
            if start >= len(data):
                self._record("GET", 416, 0)
                self._simple(416, content_range=f"bytes */{len(data)}")
                return
        body = data[start:]
        if fault.short_by:
            body = body[: max(0, len(body) - fault.short_by)]
        if fault.corrupt and body:
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]
        status = 206 if use_range else 200
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Connection", "close")
        if srv.send_length:
            self.send_header("Content-Length", str(len(body)))
        if use_range:
            first = start + fault.content_range_shift
            last = start + len(body) - 1 if fault.short_by else len(data) - 1
            self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
        self.end_headers()
        limit = fault.drop_after if fault.drop_after is not None else fault.stall_after
        sent = body if limit is None else body[:limit]
        self._record("GET", status, len(sent))
        try:
            srv.write_throttled(self.wfile, sent)
            self.wfile.flush()
            if fault.stall_after is not None:
                srv.stopping.wait(30)  # silent until the client gives up (or teardown)
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.close_connection = True

    def _simple(self, status: int, retry_after: str | None = None, content_range: str = "") -> None:
        self.send_response(status)
        if retry_after is not None:
            self.send_header("Retry-After", retry_after)
        if content_range:
            self.send_header("Content-Range", content_range)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _record(self, method: str, status: int, body_bytes: int) -> None:
        with self.server.lock:
            self.server.state.log.append(
                Served(
                    method,
                    self.path,
                    self.headers.get("Range"),
                    self.headers.get("If-Range"),
                    status,
                    body_bytes,
                )
            )


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, data: bytes, send_length: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.send_length = send_length
        self.root: Path | None = None
        self.rate_bps: int | None = None  # None: as fast as loopback goes
        self.state = _State(data=b"", etag="", last_modified="")
        self.publish_locked(data)

    def read_file(self, url_path: str) -> bytes | None:
        assert self.root is not None
        path = (self.root / url_path.split("?")[0].lstrip("/")).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            return None
        return path.read_bytes()

    def write_throttled(self, out: Any, body: bytes) -> None:
        """``body`` at ``rate_bps`` at most (a slow link), in 64 KiB slices."""
        if self.rate_bps is None:
            out.write(body)
            return
        started, step = time.monotonic(), 64 * 1024
        for sent in range(0, len(body), step):
            out.write(body[sent : sent + step])
            ahead = (sent + step) / self.rate_bps - (time.monotonic() - started)
            if ahead > 0 and self.stopping.wait(ahead):
                return

    def publish_locked(self, data: bytes) -> None:
        state = self.state
        state.generation += 1
        state.data = data
        state.etag = f'"{sha256(data)[:16]}-{state.generation}"'
        state.last_modified = formatdate(1_700_000_000 + state.generation, usegmt=True)


class FaultServer:
    """``url`` serves ``data`` (any path works); queue faults with ``add``."""

    def __init__(self, data: bytes | None = None, *, send_length: bool = True) -> None:
        self._server = _Server(payload() if data is None else data, send_length)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def url(self) -> str:
        return self.base_url + PACKAGE_PATH

    @property
    def data(self) -> bytes:
        return self._server.state.data

    @property
    def sha256(self) -> str:
        return sha256(self.data)

    @property
    def etag(self) -> str:
        return self._server.state.etag

    @property
    def log(self) -> list[Served]:
        with self._server.lock:
            return list(self._server.state.log)

    @property
    def gets(self) -> list[Served]:
        return [s for s in self.log if s.method == "GET"]

    def add(self, *faults: Fault) -> None:
        with self._server.lock:
            self._server.state.faults.extend(faults)

    def set_send_length(self, value: bool) -> None:
        self._server.send_length = value

    def serve_directory(self, root: Path, rate_bps: int | None = None) -> None:
        """Serve the files under ``root`` by path (faults still apply), at most ``rate_bps``."""
        self._server.root = root
        self._server.rate_bps = rate_bps

    def shutdown(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def release_dir(tmp_path: Path) -> Path:
    root = tmp_path / "release"
    root.mkdir()
    return root


@pytest.fixture
def release_server(release_dir: Path) -> Iterator[ReleaseServer]:
    """The project's ``serve`` over ``release_dir``, on a free port."""
    server = serve_directory(release_dir)
    try:
        yield server
    finally:
        server.shutdown()


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer()
    try:
        yield server
    finally:
        server.shutdown()
