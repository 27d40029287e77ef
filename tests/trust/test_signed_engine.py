"""A full upgrade on the real engine from a signed release, after a refused tampered one.

The client pins the publisher's root through config ``trusted_root`` and runs
``tui-upgrader upgrade`` as a subprocess, as an admin would.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support import signing
from tests.support.engine_env import EngineEnv
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.release.server import serve_directory
from tui_upgrader.ops.state import read_state

pytestmark = pytest.mark.engine


@pytest.fixture
def env(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[EngineEnv]:
    with EngineEnv.installed(tmp_path, docker_client) as e:
        yield e


def test_signed_full_upgrade_on_the_real_engine(env: EngineEnv) -> None:
    store = env.tmp / "store110"
    build_release(env.layout.sources["1.1.0"], version=Version.parse("1.1.0"), out=store)
    # Published without an image index (as before #23): the full package is what is
    # attacked here; thin delivery's blobs: tests/upgrade/test_thin_engine.py.
    manifest = json.loads((store / "manifest.json").read_text())
    del manifest["platforms"]["x86_64"]["images"]
    (store / "manifest.json").write_text(json.dumps(manifest))
    keys = signing.sign(store, env.tmp / "keys")
    mirror = env.tmp / "mirror"
    shutil.copytree(store, mirror)
    package = mirror / "1.1.0" / "docker-x86_64.zip"
    genuine = package.read_bytes()
    evil = bytearray(genuine)
    evil[len(evil) // 2] ^= 0xFF
    package.write_bytes(bytes(evil))
    old_images = env.running_images()
    with serve_directory(mirror) as server:
        env.write_config(
            server.url_for("manifest.json"),
            allow_unsigned=False,
            trusted_root=str(keys / "root.json"),
        )
        code, events, err = env.cli("upgrade", "--yes", "--json")
        assert code == 1, err
        result = events[-1]
        assert result["success"] is False and result["rolled_back"] is False
        assert "sha256 differs from the signed targets" in result["error"]
        stops = [e for e in events if e["type"] == "step" and e["step"] == "StoppingServices"]
        assert stops == [], "refused before any stop"
        assert env.running_images() == old_images
        assert str(read_state(env.deploy).version) == "1.0.0.0"

        package.write_bytes(genuine)  # the mirror is repaired
        code, events, err = env.cli("upgrade", "--yes", "--json")
    assert code == 0, err
    assert events[-1]["success"] is True and events[-1]["to_version"] == "1.1.0.0"
    assert str(read_state(env.deploy).version) == "1.1.0.0"
    logs = " ".join(e.get("message", "") for e in events if e["type"] == "log")
    assert re.search(r"sha256 [0-9a-f]{64} verified against the signed targets", logs), logs
