"""A hostile manifest server on 127.0.0.1 (#26 item 11, #25 items 11-12): a redirect
loop, a body whose Content-Encoding lies, a compression bomb and a server that
trickles bytes all end in one translated error line, within bounded time and memory."""

from __future__ import annotations

import gzip
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from tui_upgrader.core.errors import InputError, NetworkError, UpgraderError
from tui_upgrader.core.manifest import MAX_MANIFEST_BYTES
from tui_upgrader.ops.download.manifest import fetch_manifest_bytes
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.trust._internal.fetcher import HttpxFetcher

BOMB = gzip.compress(b" " * (MAX_MANIFEST_BYTES * 8))  # 8 MiB of spaces in ~8 KB


class _Hostile(BaseHTTPRequestHandler):
    seen_encodings: ClassVar[list[str]] = []

    def log_message(self, *_args: object) -> None:
        pass

    def _send(self, body: bytes, **headers: str) -> None:
        self.send_response(200)
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        _Hostile.seen_encodings.append(self.headers.get("Accept-Encoding", ""))
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/lying-gzip":
            self._send(b"{ this is not gzip }", Content_Encoding="gzip")
        elif self.path == "/zstd":
            self._send(b"\x28\xb5\x2f\xfd" + b"\x00" * 16, Content_Encoding="zstd")
        elif self.path == "/bomb":
            self._send(BOMB, Content_Encoding="gzip")
        elif self.path == "/deflate":
            self._send(zlib.compress(b'{"a": 1}'), Content_Encoding="deflate")
        elif self.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            # Bounded: one byte every 0.1 s, 100 bytes at most (10 s), never idle
            # long enough for the read timeout.
            for _ in range(100):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)


@pytest.fixture(scope="module")
def hostile() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


SETTINGS = Settings(connect_timeout_s=0.5, read_timeout_s=0.5)  # deadline: 0.5 + 4 x 0.5 = 2.5 s


def test_redirect_loop_is_one_network_error(hostile: str) -> None:
    with pytest.raises(NetworkError, match=r"/loop: too many redirects"):
        fetch_manifest_bytes(f"{hostile}/loop", SETTINGS)


def test_lying_content_encoding_is_a_manifest_error(hostile: str) -> None:
    with pytest.raises(InputError, match=r"does not match its Content-Encoding"):
        fetch_manifest_bytes(f"{hostile}/lying-gzip", SETTINGS)


def test_an_encoding_not_asked_for_is_refused(hostile: str) -> None:
    with pytest.raises(InputError, match=r"Content-Encoding 'zstd' although identity"):
        fetch_manifest_bytes(f"{hostile}/zstd", SETTINGS)
    assert _Hostile.seen_encodings[-1] == "identity"


def test_the_cap_counts_decoded_bytes(hostile: str) -> None:
    with pytest.raises(InputError, match=r"larger than 1048576 bytes"):
        fetch_manifest_bytes(f"{hostile}/bomb", SETTINGS)
    assert fetch_manifest_bytes(f"{hostile}/deflate", SETTINGS) == b'{"a": 1}'


def test_a_trickling_server_meets_the_overall_deadline(hostile: str) -> None:
    start = time.monotonic()
    with pytest.raises(NetworkError, match=r"too slow"):
        fetch_manifest_bytes(f"{hostile}/trickle", SETTINGS)
    assert time.monotonic() - start < 6


def test_tuf_metadata_fetch_has_the_same_deadline_and_translation(hostile: str) -> None:
    fetcher = HttpxFetcher(SETTINGS)
    try:
        start = time.monotonic()
        with pytest.raises(UpgraderError, match=r"too slow"):
            b"".join(fetcher._fetch(f"{hostile}/trickle"))
        assert time.monotonic() - start < 6
        with pytest.raises(NetworkError, match=r"too many redirects"):
            b"".join(fetcher._fetch(f"{hostile}/loop"))
    finally:
        fetcher.close()


def test_cli_redirect_loop_is_one_line_exit_1(hostile: str, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("allow_unsigned = true\n")
    run = subprocess.run(
        [sys.executable, "-m", "tui_upgrader", "check", "--config", str(config),
         "--manifest", f"{hostile}/loop", "--deploy-dir", str(tmp_path / "d")],
        capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TUI_UPGRADER_ARCH": "x86_64"},
    )  # fmt: skip
    assert run.returncode == 1 and len(run.stderr.splitlines()) == 1, run.stderr
    assert "too many redirects" in run.stderr and "unexpected" not in run.stderr
