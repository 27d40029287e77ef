"""A throw-away local registry (Debian's ``docker-registry``) on 127.0.0.1.

The engine trusts plain HTTP registries on 127.0.0.0/8 without any
insecure-registry setting, so pushes and pulls need no engine config.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REGISTRY_BIN = "docker-registry"


@dataclass(frozen=True, slots=True)
class LocalRegistry:
    host: str  # "127.0.0.1:PORT", the prefix of image references

    def ref(self, repo: str, tag: str) -> str:
        return f"{self.host}/{repo}:{tag}"


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"docker-registry exited: {log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"docker-registry not ready at {url} after {deadline_s}s")
        time.sleep(0.05)


@pytest.fixture
def local_registry(tmp_path: Path) -> Iterator[LocalRegistry]:
    binary = shutil.which(REGISTRY_BIN) or "/usr/bin/docker-registry"
    if not Path(binary).exists():
        pytest.fail("docker-registry missing: run `sudo scripts/setup_engine.sh`")
    from tests.support.engine import free_port  # engine.py imports this module

    port = free_port()
    root = tmp_path / "registry"
    root.mkdir()
    config = root / "config.yml"
    # JSON is YAML; the registry reads it with a YAML parser.
    body = {
        "version": 0.1,
        "log": {"level": "warn"},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": "tui-upgrader-tests"},
    }
    config.write_text(json.dumps(body), encoding="utf-8")
    log = root / "registry.log"
    with log.open("wb") as log_fh:
        proc = subprocess.Popen([binary, "serve", str(config)], stdout=log_fh, stderr=log_fh)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/v2/", proc, log, deadline_s=15)
        yield LocalRegistry(f"127.0.0.1:{port}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
