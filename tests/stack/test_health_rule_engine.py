"""How long a service may take to become healthy: the compose file's healthcheck decides (#24).

The rule (README "How an upgrade runs"): a service with a healthcheck has until
Docker's own verdict (``start_period`` + ``retries`` x ``interval``) or
``health_timeout_s``, whichever comes first; a slow start (a migration) gets
its time from ``start_period``. When Docker's verdict ends the gate first, the
failure says so and names the settings. A crash loop fails at once either way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import docker
import pytest

from tests.support.engine import ComposeProject, ImageFactory, sleep_service
from tui_upgrader.core.errors import HealthGateError
from tui_upgrader.core.events import Event, LogEvent
from tui_upgrader.ops.stack._internal.health import check_tail
from tui_upgrader.ops.stack.real_docker import RealDocker

MakeProject = Callable[[str], ComposeProject]
TRACEBACK = (
    "echo 'Traceback (most recent call last):'; i=0; "
    'while [ $i -lt 40 ]; do echo "  File app.py, line $i, in frame_$i"; i=$((i+1)); done; '
    "echo 'urllib.error.HTTPError: HTTP Error 503: migration pending'; exit 1"
)


def _migrating(image: str, *, start_period: str | None) -> dict[str, Any]:
    """Healthy once its 4 s "migration" is done; the failing check prints a traceback."""
    check: dict[str, Any] = {
        "test": ["CMD", "sh", "-c", f"test -f /tmp/ready || ({TRACEBACK})"],
        "interval": "1s",
        "timeout": "2s",
        "retries": 2,
    }
    if start_period is not None:
        check["start_period"] = start_period
    command = ["sh", "-c", "sleep 4; touch /tmp/ready; exec sleep 3600"]
    return {**sleep_service(image), "command": command, "healthcheck": check}


def _project(
    image_factory: ImageFactory, compose_project: MakeProject, *, start_period: str | None
) -> ComposeProject:
    project = compose_project("migrating")
    project.write({"app": _migrating(image_factory().ref, start_period=start_period)})
    return project


def _gate(real: RealDocker, project: ComposeProject, events: list[Event]) -> float:
    started = time.monotonic()
    real.up(project.directory)
    real.wait_healthy(project.directory, timeout_s=60, settle_s=1, emit=events.append, cancel=None)
    return time.monotonic() - started


def test_the_tail_of_a_check_output_is_kept() -> None:
    out = "Traceback (most recent call last):\n" + "  frame\n" * 50 + "HTTPError: 503\n"
    assert check_tail(out).endswith("frame | frame | HTTPError: 503")
    assert check_tail("x" * 1000).startswith("…") and len(check_tail("x" * 1000)) == 300


@pytest.mark.engine
def test_a_slow_migration_passes_within_its_start_period(
    docker_client: docker.DockerClient, image_factory: ImageFactory, compose_project: MakeProject
) -> None:
    project = _project(image_factory, compose_project, start_period="30s")
    elapsed = _gate(RealDocker(client=docker_client), project, [])
    assert 4 <= elapsed < 30


@pytest.mark.engine
def test_without_a_start_period_docker_ends_it_and_the_failure_says_why(
    docker_client: docker.DockerClient, image_factory: ImageFactory, compose_project: MakeProject
) -> None:
    project = _project(image_factory, compose_project, start_period=None)
    events: list[Event] = []
    with pytest.raises(HealthGateError) as caught:
        _gate(RealDocker(client=docker_client), project, events)
    message = caught.value.message
    # the cause (the end of the check's output), not the traceback's first line
    assert "HTTP Error 503: migration pending" in message
    assert "start_period 0s + retries 2 x interval 1s" in message
    assert "health_timeout_s = 60 cannot extend that" in message
    assert any(isinstance(e, LogEvent) and "start_period" in e.message for e in events)


@pytest.mark.engine
def test_a_crash_loop_fails_at_once_whatever_the_timeout(
    docker_client: docker.DockerClient, image_factory: ImageFactory, compose_project: MakeProject
) -> None:
    built = image_factory()
    project = compose_project("crashloop")
    crash = {**sleep_service(built.ref), "restart": "always"}
    crash["command"] = ["sh", "-c", "echo 'FATAL: schema version 7 unknown'; exit 3"]
    project.write({"app": crash})
    started = time.monotonic()
    with pytest.raises(HealthGateError) as caught:
        _gate(RealDocker(client=docker_client), project, [])
    assert time.monotonic() - started < 30  # the timeout is 60 s
    assert "restart" in caught.value.message and "schema version 7" in caught.value.message
