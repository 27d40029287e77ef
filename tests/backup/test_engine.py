"""``backup create/restore`` around a real running Compose stack (real engine)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import docker
import pytest

from tests.support.engine import (
    ComposeProject,
    ImageFactory,
    free_port,
    project_containers,
    web_service,
)

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]


def _running(client: docker.DockerClient, project: str) -> list[str]:
    return sorted(
        s for s, c in project_containers(client, project).items() if c.status == "running"
    )


@pytest.mark.compat
def test_restore_of_a_running_stack_stops_it_first(
    docker_client: docker.DockerClient,
    image_factory: ImageFactory,
    compose_project: Callable[[str], ComposeProject],
    tmp_path: Path,
) -> None:
    image = image_factory(files={"www/index.html": b"ok\n"})
    project = compose_project("tuibackup")
    port = free_port()
    project.write({"web": web_service(image.ref, port)})
    deploy = project.directory
    (deploy / "data").mkdir()
    (deploy / "data" / "value.txt").write_text("v1")
    config = tmp_path / "config.toml"
    config.write_text(
        f'deploy_dir = "{deploy}"\ndata_dir = "{tmp_path / "tool-data"}"\nhealth_settle_s = 0.5\n'
    )

    def backup(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui_upgrader", "--config", str(config), "backup", *args],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    project.run("up", "-d", "--wait")
    assert _running(docker_client, project.name) == ["web"]

    refused = backup("create")
    assert refused.returncode == 1 and "is running (web)" in refused.stderr
    assert json.loads(backup("list", "--json").stdout) == {"backups": []}

    made = backup("create", "--stop", "--json")
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    assert created["stopped"] == ["web"] and created["restarted"] is True
    assert _running(docker_client, project.name) == ["web"]  # as we found it

    (deploy / "data" / "value.txt").write_text("v2, written after the backup")
    restored = backup("restore", str(created["backup"]["id"]), "--yes", "--json")
    assert restored.returncode == 0, restored.stderr
    assert json.loads(restored.stdout)["stopped"] == ["web"]
    assert _running(docker_client, project.name) == []  # stopped first, not started
    assert (deploy / "data" / "value.txt").read_text() == "v1"

    started = backup("restore", str(created["backup"]["id"]), "--yes", "--start", "--json")
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["started"] is True
    assert _running(docker_client, project.name) == ["web"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        assert response.read() == b"ok\n"
