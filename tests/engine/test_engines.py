"""The engine parameter: ``--engine 26-classic|26-containerd`` really puts the session on it."""

from __future__ import annotations

import os
import subprocess

import docker
import pytest

from tests.support.engines import SYSTEM, selected
from tui_upgrader.core.engine_api import NEWEST_TESTED_API
from tui_upgrader.ops.images.engine import connect

pytestmark = [pytest.mark.engine, pytest.mark.compat]


def test_sdk_and_cli_reach_the_selected_engine(
    docker_client: docker.DockerClient, compose_cli: list[str]
) -> None:
    chosen = selected()
    info = docker_client.info()
    cli = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert cli == info["ServerVersion"]
    if chosen.name == SYSTEM:
        assert chosen.engine is None
        return
    assert chosen.engine is not None and os.environ["DOCKER_HOST"] == chosen.engine.host
    assert info["ServerVersion"].startswith("26.1.")
    status = dict(info.get("DriverStatus") or [])
    if chosen.containerd_store:
        assert status.get("driver-type") == "io.containerd.snapshotter.v1"
    else:
        assert info["Driver"] == "overlay2" and "driver-type" not in status


def test_the_tool_speaks_the_engines_newest_tested_api(docker_client: docker.DockerClient) -> None:
    server = str(docker_client.version()["ApiVersion"])
    client = connect()
    try:
        spoken = client.api.api_version
    finally:
        client.close()
    expected = {SYSTEM: "1.41"}.get(selected().name, NEWEST_TESTED_API)
    assert server == expected and spoken == expected
