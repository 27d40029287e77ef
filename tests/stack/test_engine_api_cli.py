"""The real CLI against an engine of the wrong age: one line, nothing changed.

The "engine" is a tiny HTTP server on 127.0.0.1 that answers ``/_ping`` and
``/version`` as a Docker engine of that age would (no real engine that old or
that new can run here); the real engines' versions are held by
tests/engine/test_engines.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.stack.demo_cli import upgrade_demo
from tests.support.engine import free_port
from tui_upgrader.demo.releases import build_demo


def _handler(api_max: str, api_min: str) -> type[BaseHTTPRequestHandler]:
    class Engine(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            pass

        def do_GET(self) -> None:
            if self.path.endswith("/_ping"):
                body, kind = b"OK", "text/plain"
            elif self.path.endswith("/version"):
                answer = {"Version": "fake", "ApiVersion": api_max, "MinAPIVersion": api_min}
                body, kind = json.dumps(answer).encode(), "application/json"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Engine


@pytest.fixture
def fake_engine(request: pytest.FixtureRequest) -> Iterator[str]:
    api_max, api_min = request.param
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api_max, api_min))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.mark.parametrize(
    ("fake_engine", "said"),
    [(("1.40", "1.12"), "too old"), (("1.60", "1.50"), "too new")],
    indirect=["fake_engine"],
    ids=["docker-19.03", "future"],
)
def test_an_engine_of_the_wrong_age_is_one_line(
    fake_engine: str, said: str, tmp_path: Path
) -> None:
    layout = build_demo(tmp_path / "demo", port=free_port(), project="tuiup-apiage")
    before = sorted(p.name for p in layout.deploy_dir.iterdir())
    proc = upgrade_demo(layout, fake_engine)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    # The failed step's line, then the same sentence as the run's last line.
    last = (proc.stdout + proc.stderr).strip().splitlines()[-1]
    assert said in last and fake_engine in last, (proc.stdout, proc.stderr)
    assert sorted(p.name for p in layout.deploy_dir.iterdir()) == before
