"""``backup create/restore`` around a real running Compose stack (real engine)."""

from __future__ import annotations

import json
import os
import signal
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


def _stack_with_data(
    project: ComposeProject, image: str, port: int, tmp_path: Path
) -> tuple[Path, Path]:
    """A one-service stack whose data/value.txt reads "v1"; returns (deploy dir, config)."""
    project.write({"web": web_service(image, port)})
    deploy = project.directory
    (deploy / "data").mkdir()
    (deploy / "data" / "value.txt").write_text("v1")
    config = tmp_path / "config.toml"
    config.write_text(
        f'deploy_dir = "{deploy}"\ndata_dir = "{tmp_path / "tool-data"}"\nhealth_settle_s = 0.5\n'
    )
    return deploy, config


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
    deploy, config = _stack_with_data(project, image.ref, port, tmp_path)

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


def test_ctrl_c_while_a_restore_has_the_stack_stopped_is_refused_and_the_restore_finishes(
    docker_client: docker.DockerClient,
    image_factory: ImageFactory,
    compose_project: Callable[[str], ComposeProject],
    tmp_path: Path,
) -> None:
    """As in ``upgrade``: after the stop, Ctrl+C must not leave a half-restored,
    stopped stack; it is refused with the line that says how to follow the job."""
    image = image_factory(files={"www/index.html": b"ok\n"})
    project = compose_project("tuiintr")
    deploy, config = _stack_with_data(project, image.ref, free_port(), tmp_path)
    cli = [sys.executable, "-m", "tui_upgrader", "--config", str(config), "backup"]
    project.run("up", "-d", "--wait")
    made = subprocess.run(
        [*cli, "create", "--stop", "--json"], capture_output=True, text=True, timeout=180
    )
    assert made.returncode == 0, made.stderr
    backup_id = json.loads(made.stdout)["backup"]["id"]
    (deploy / "data" / "value.txt").write_text("v2, written after the backup")

    release = tmp_path / "release-the-pause"
    proc = subprocess.Popen(
        [*cli, "restore", str(backup_id), "--yes", "--start"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **os.environ,
            "TUI_UPGRADER_TEST_PAUSE_AT": "RestoringBackup",
            "TUI_UPGRADER_TEST_PAUSE_UNTIL": str(release),
        },
    )
    assert proc.stderr is not None
    seen: list[str] = []
    for line in proc.stderr:
        seen.append(line)
        if line.rstrip().endswith("] RestoringBackup"):  # its start: the pause holds there
            break
    assert _running(docker_client, project.name) == [], "".join(seen)  # held after the stop
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    refused = ""
    for line in proc.stderr:
        seen.append(line)
        if "interrupts are refused" in line:
            refused = line
            break
    assert "the job continues in this process" in refused, "".join(seen)
    release.touch()
    out, rest = proc.communicate(timeout=180)
    assert proc.returncode == 0, "".join(seen) + rest
    assert "Restored backup" in out and "stack started" in out
    assert (deploy / "data" / "value.txt").read_text() == "v1"
    assert _running(docker_client, project.name) == ["web"]
