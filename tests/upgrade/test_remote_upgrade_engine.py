"""A whole upgrade through the real CLI with ``DOCKER_HOST=ssh://...``: the SDK (load,
inspect, health) goes over paramiko and compose over the docker CLI's ssh, both to
a real sshd on 127.0.0.1 in front of this machine's engine (tests/support/sshd.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support.engine_env import EngineEnv
from tests.support.sshd import SshEngine
from tui_upgrader.ops.state import read_state

pytestmark = pytest.mark.engine


@pytest.fixture
def env(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[EngineEnv]:
    with EngineEnv.installed(tmp_path, docker_client) as e:
        yield e


@pytest.mark.compat
def test_an_upgrade_over_ssh(env: EngineEnv, ssh_engine: SshEngine) -> None:
    old = env.running_images()
    log_dir = env.tmp / "log"
    env.write_config(env.layout.manifest, log_dir=str(log_dir))

    code, events, err = env.cli("upgrade", "--yes", "--json", env=ssh_engine.environ())

    assert code == 0, err
    result = events[-1]
    assert result["success"] is True and result["to_version"] == "1.1.0.1", result
    assert str(read_state(env.deploy).version) == "1.1.0.1"
    expected = env.client.images.get(env.layout.images["1.1.0.1"]).id
    assert env.running_images()["web"] == expected != old["web"]
    log = (log_dir / "tui-upgrader.log").read_text()
    assert f"connected to Docker engine at {ssh_engine.url}" in log
    assert f"on {ssh_engine.url}" in log, "compose ran against the ssh engine"
