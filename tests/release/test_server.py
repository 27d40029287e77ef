"""``serve``: HEAD, Range, If-Range, ETag, and nothing outside its directory."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.http_servers import payload
from tui_upgrader.core.errors import ConfigError
from tui_upgrader.ops.release.server import ReleaseServer, serve_directory

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def package(release_dir: Path) -> bytes:
    data = payload(200_000, seed=3)
    (release_dir / "pkg").mkdir()
    (release_dir / "pkg" / "docker-x86_64.zip").write_bytes(data)
    return data


def raw_status(server: ReleaseServer, path: str) -> int:
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        status_line = sock.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def test_head_announces_size_etag_and_ranges(release_server: ReleaseServer, package: bytes) -> None:
    response = httpx.head(release_server.url_for("pkg/docker-x86_64.zip"))
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(package))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"].startswith('"')
    assert response.content == b""


def test_range_and_if_range(release_server: ReleaseServer, package: bytes) -> None:
    url = release_server.url_for("pkg/docker-x86_64.zip")
    etag = httpx.head(url).headers["etag"]

    ranged = httpx.get(url, headers={"Range": "bytes=1000-", "If-Range": etag})
    assert ranged.status_code == 206
    assert ranged.headers["content-range"] == f"bytes 1000-{len(package) - 1}/{len(package)}"
    assert ranged.content == package[1000:]

    stale = httpx.get(url, headers={"Range": "bytes=1000-", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == package

    beyond = httpx.get(url, headers={"Range": f"bytes={len(package)}-"})
    assert beyond.status_code == 416


@pytest.mark.parametrize("header", ["bytes=0-1,5-6", "bytes=abc", "pages=1-2"])
def test_a_range_we_cannot_honour_is_ignored_not_refused(
    release_server: ReleaseServer, package: bytes, header: str
) -> None:
    response = httpx.get(release_server.url_for("pkg/docker-x86_64.zip"), headers={"Range": header})

    assert response.status_code == 200 and response.content == package


def test_one_date_header_and_plain_access_lines(
    release_server: ReleaseServer, package: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="tui_upgrader.ops.release.server"):
        response = httpx.get(release_server.url_for("missing"))

    assert response.status_code == 404
    assert len(response.headers.get_list("date")) == 1
    lines = [r.getMessage() for r in caplog.records if "GET /missing" in r.getMessage()]
    assert lines and all("\x1b" not in line for line in lines)
    ok = httpx.get(release_server.url_for("pkg/docker-x86_64.zip"))
    assert len(ok.headers.get_list("date")) == 1 and ok.content == package


def test_etag_changes_with_the_file(
    release_server: ReleaseServer, release_dir: Path, package: bytes
) -> None:
    url = release_server.url_for("pkg/docker-x86_64.zip")
    before = httpx.head(url).headers["etag"]
    path = release_dir / "pkg" / "docker-x86_64.zip"
    path.write_bytes(package[::-1])
    os.utime(path, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert httpx.head(url).headers["etag"] != before


def test_refuses_traversal_symlink_escape_and_other_methods(
    release_server: ReleaseServer, release_dir: Path, tmp_path: Path, package: bytes
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not serve")
    (release_dir / "escape.txt").symlink_to(secret)
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/pkg/../../secret.txt"):
        # httpx would normalise the dot segments away; send them as they are.
        assert raw_status(release_server, path) == 404, path
    assert raw_status(release_server, "/pkg/docker-x86_64.zip") == 200
    base = release_server.url.rstrip("/")
    with httpx.Client() as client:
        assert client.get(base + "/escape.txt").status_code == 404
        assert client.get(base + "/").status_code == 404
        assert client.post(base + "/pkg/docker-x86_64.zip").status_code == 405


def test_serve_directory_rejects_a_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a directory"):
        serve_directory(tmp_path / "nope")


def test_serve_command_prints_its_url_and_stops_on_ctrl_c(
    release_dir: Path, package: bytes
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_upgrader", "serve", str(release_dir), "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:(\d+)/)", line)
        assert match is not None, line
        assert int(match.group(2)) > 0
        response = httpx.get(
            match.group(1) + "pkg/docker-x86_64.zip", headers={"Range": "bytes=10-"}
        )
        assert response.status_code == 206 and response.content == package[10:]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
        assert "GET /pkg/docker-x86_64.zip" in (proc.stderr.read() if proc.stderr else "")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_dotfiles_temp_files_and_malformed_paths(
    release_server: ReleaseServer, release_dir: Path, package: bytes
) -> None:
    (release_dir / ".env").write_text("SECRET=1\n")
    (release_dir / ".git").mkdir()
    (release_dir / ".git" / "config").write_text("[core]\n")
    (release_dir / "pkg" / "next.zip.part").write_bytes(b"half")
    (release_dir / "pkg" / ".manifest.json.x1.tmp").write_bytes(b"{")
    for path in ("/.env", "/.git/config", "/pkg/next.zip.part", "/pkg/.manifest.json.x1.tmp"):
        assert raw_status(release_server, path) == 404, path
    assert raw_status(release_server, "/pkg/a%00b.zip") == 400
    assert raw_status(release_server, "/pkg/a%01b.zip") == 400
    assert raw_status(release_server, "/pkg/docker-x86_64.zip") == 200


def test_idle_connections_neither_hold_threads_nor_stop_it_answering(
    release_server: ReleaseServer, package: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_upgrader.ops.release import server as server_module

    monkeypatch.setattr(server_module, "IDLE_TIMEOUT_S", 1.0, raising=False)
    threads_before = threading.active_count()
    idle = [
        socket.create_connection((release_server.host, release_server.port)) for _ in range(300)
    ]
    try:
        # A slow client that sent half a request holds one worker at most.
        idle[0].sendall(b"GET /pkg/docker-x86_64.zip HTTP/1.1\r\n")
        started = time.monotonic()
        for _ in range(5):
            assert raw_status(release_server, "/pkg/docker-x86_64.zip") == 200
        assert time.monotonic() - started < 5
        assert (
            threading.active_count() - threads_before <= getattr(server_module, "WORKERS", 16) + 1
        )
        # Idle ones are closed after IDLE_TIMEOUT_S: recv sees the end of the stream.
        idle[-1].settimeout(10)
        assert idle[-1].recv(1) == b""
    finally:
        for sock in idle:
            sock.close()


def test_clients_trickling_their_request_cannot_hold_the_pool(
    release_server: ReleaseServer, package: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More slow-header clients than workers, each byte inside the per-read timeout:
    each is cut at the request deadline, and the server keeps answering."""
    from tui_upgrader.ops.release import server as server_module

    monkeypatch.setattr(server_module, "REQUEST_DEADLINE_S", 1.0)
    stop = threading.Event()
    cut: list[float] = []

    def trickle() -> None:
        with socket.create_connection((release_server.host, release_server.port)) as sock:
            started = time.monotonic()
            request = b"GET /pkg/docker-x86_64.zip HTTP/1.1\r\nX-Slow: " + b"a" * 10_000
            try:
                for byte in request:
                    if stop.is_set():
                        return
                    sock.sendall(bytes([byte]))
                    # The attack: one byte every 0.2 s; the wait also sees the server's close.
                    readable, _, _ = select.select([sock], [], [], 0.2)
                    if readable and sock.recv(1) == b"":
                        break
            except OSError:
                pass
            cut.append(time.monotonic() - started)

    slow = [threading.Thread(target=trickle) for _ in range(server_module.WORKERS + 4)]
    for thread in slow:
        thread.start()
    try:
        started = time.monotonic()
        assert raw_status(release_server, "/pkg/docker-x86_64.zip") == 200
        assert time.monotonic() - started < 8
        for thread in slow:
            thread.join(timeout=10)
    finally:
        stop.set()
    assert len(cut) == len(slow), f"only {len(cut)} of {len(slow)} slow clients were cut"
    assert max(cut) < 8, cut
