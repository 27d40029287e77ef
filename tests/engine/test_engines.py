"""The engine parameter: ``--engine 26-classic|26-containerd`` really puts the session on it."""

from __future__ import annotations

import os
import subprocess

import docker
import pytest

from tests.support.engines import SYSTEM, selected

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
