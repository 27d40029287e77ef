"""The real-engine harness itself: build an image without a registry, run a stack."""

from __future__ import annotations

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
    run_output,
    save_image_tar,
    two_service_stack,
)

pytestmark = pytest.mark.engine


def test_busybox_image_has_requested_layers(
    docker_client: docker.DockerClient, image_factory: ImageFactory, tmp_path: Path
) -> None:
    built = image_factory(layers=3, files={"www/hello.txt": b"hello\n"})

    image = docker_client.images.get(built.ref)
    assert image.id == built.image_id
    assert len(image.attrs["RootFS"]["Layers"]) == 3
    out = run_output(docker_client, built.ref, ["cat", "/www/hello.txt"])
    assert out == b"hello\n"
    tar = save_image_tar(docker_client, built.ref, tmp_path / "saved.tar")
    assert tar.stat().st_size > 1_000_000  # busybox alone is ~2 MB


def test_two_service_stack_comes_up_healthy_and_goes_down(
    docker_client: docker.DockerClient,
    image_factory: ImageFactory,
    compose_project: Callable[[str], ComposeProject],
) -> None:
    built = image_factory()
    port = free_port()
    project = compose_project("harness")
    project.write(two_service_stack(built.ref, port))

    project.run("up", "-d", "--wait", "--wait-timeout", "60")

    containers = project_containers(docker_client, project.name)
    assert sorted(containers) == ["web", "worker"]
    web, worker = containers["web"], containers["worker"]
    assert web.attrs["State"]["Status"] == "running"
    assert web.attrs["State"]["Health"]["Status"] == "healthy"
    assert worker.attrs["State"]["Status"] == "running"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
        assert resp.read() == b"ok\n"

    project.run("down", "--timeout", "2")
    assert project_containers(docker_client, project.name) == {}
