"""Notifications through the real CLI on the real engine: one message per upgrade,
and a receiver that is down changes neither the outcome nor the exit code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.support.engine import free_port
from tests.support.engine_env import EngineEnv
from tests.support.receiver import NotifyReceiver
from tui_upgrader.ops.state import read_state

pytestmark = pytest.mark.engine


@pytest.fixture
def env(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[EngineEnv]:
    with EngineEnv.installed(tmp_path, docker_client) as e:
        yield e


def test_an_upgrade_is_announced_and_a_dead_receiver_changes_nothing(
    env: EngineEnv, notify_receiver: NotifyReceiver
) -> None:
    down = free_port()
    log_dir = env.tmp / "log"
    env.write_config(
        env.layout.manifest,
        log_dir=str(log_dir),
        notify=[notify_receiver.url("json", "fleet"), f"form://127.0.0.1:{down}/gone"],
    )

    code, events, err = env.cli("upgrade", "--yes", "--json")

    assert code == 0, err
    result = events[-1]
    assert result["type"] == "result" and result["success"] is True
    assert str(read_state(env.deploy).version) == "1.1.0.1"
    warnings = [e["message"] for e in events if e["type"] == "log" and e["level"] == "warning"]
    assert f"notification to form://127.0.0.1:{down}/gone failed: " in "\n".join(warnings)
    assert (
        f"notification to form://127.0.0.1:{down}/gone failed"
        in (log_dir / "tui-upgrader.log").read_text()
    )

    (message,) = notify_receiver.wait_for(1)
    doc = message.json()
    body = doc["message"].splitlines()
    assert doc["type"] == "success" and doc["title"].endswith(": upgraded")
    assert f"deploy dir: {env.deploy}" in body
    assert "version: 1.0.0.0 -> 1.1.0.1" in body and "outcome: upgraded" in body
    assert f"backup: {result['backup_id']}" in body
    downtime = next(line for line in body if line.startswith("downtime: "))
    assert downtime != "downtime: none"
    assert f"log: {log_dir / 'tui-upgrader.log'}" in body
    assert env.layout.secret.encode() not in message.body
