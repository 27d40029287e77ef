"""The checked stop on a real engine: killed, slow and clean stops told apart (#24)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import docker
import pytest

from tests.support.engine import ComposeProject, ImageFactory, sleep_service
from tui_upgrader.ops.stack.real_docker import RealDocker

pytestmark = pytest.mark.engine

MakeProject = Callable[[str], ComposeProject]


def _services(image: str) -> dict[str, dict[str, Any]]:
    # PID 1 without a handler: the kernel drops SIGTERM, only SIGKILL ends it.
    stubborn = {**sleep_service(image), "init": False, "stop_grace_period": "1s"}
    polite = {**sleep_service(image), "stop_grace_period": "5s"}  # tini passes SIGTERM on
    slow = {
        **sleep_service(image),
        "init": False,
        "stop_grace_period": "4s",
        "command": ["sh", "-c", "trap 'sleep 3.4; exit 0' TERM; while :; do sleep 0.1; done"],
    }
    return {"stubborn": stubborn, "polite": polite, "slow": slow}


def test_the_stop_reads_how_every_container_ended_before_removal(
    docker_client: docker.DockerClient, image_factory: ImageFactory, compose_project: MakeProject
) -> None:
    built = image_factory()
    project = compose_project("stopcheck")
    project.write(_services(built.ref))
    real = RealDocker(client=docker_client)
    real.up(project.directory)

    reports = {r.service: r for r in real.stop_checked(project.directory, min_grace_s=None)}

    assert sorted(reports) == ["polite", "slow", "stubborn"]
    stubborn, polite, slow = reports["stubborn"], reports["polite"], reports["slow"]
    assert stubborn.killed and stubborn.unclean and stubborn.exit_code == 137
    assert stubborn.grace_s == 1.0 and stubborn.took_s is not None and stubborn.took_s >= 0.9
    assert not polite.unclean and not polite.slow and polite.grace_s == 5.0
    assert polite.took_s is not None and polite.took_s < 2
    assert slow.slow and not slow.unclean and slow.exit_code == 0, slow
    assert stubborn.describe() == "stubborn (killed after its 1 s grace period, exit 137)"
    # stopped, not removed: down is the caller's next step
    assert len(docker_client.containers.list(all=True, filters={"name": project.name})) == 3


def test_stop_timeout_s_gives_every_service_at_least_that_long(
    docker_client: docker.DockerClient, image_factory: ImageFactory, compose_project: MakeProject
) -> None:
    built = image_factory()
    project = compose_project("stopmin")
    project.write({"stubborn": _services(built.ref)["stubborn"]})
    real = RealDocker(client=docker_client)
    real.up(project.directory)

    (report,) = real.stop_checked(project.directory, min_grace_s=2.5)

    assert report.killed and report.grace_s == 3.0
    assert report.took_s is not None and report.took_s >= 2.5
