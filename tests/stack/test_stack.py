"""Compose stacks on a real engine: up/down, the health gate, snapshot and re-tag."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.support.engine import (
    BuiltImage,
    ComposeProject,
    ImageFactory,
    build_busybox_image,
    config_digest,
    free_port,
    sleep_service,
    two_service_stack,
    web_service,
)
from tui_upgrader.core.errors import ComposeError, DockerError, HealthGateError
from tui_upgrader.core.events import Event, LogEvent, ServiceEvent
from tui_upgrader.core.stack import StackSnapshot, pin_ref
from tui_upgrader.ops.images.engine import image_id
from tui_upgrader.ops.stack._internal.compose import Compose, discover_compose
from tui_upgrader.ops.stack.real_docker import RealDocker

pytestmark = pytest.mark.engine

MakeProject = Callable[[str], ComposeProject]


def _states(events: list[Event]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for event in events:
        if isinstance(event, ServiceEvent):
            out.setdefault(event.service, []).append(event.state)
    return out


def test_healthy_stack_passes_the_gate(
    docker_client: docker.DockerClient, image_factory: ImageFactory, compose_project: MakeProject
) -> None:
    built = image_factory()
    project = compose_project("gate-ok")
    services: dict[str, dict[str, Any]] = two_service_stack(built.ref, free_port())
    services["job"] = {**sleep_service(built.ref), "restart": "no", "command": ["true"]}
    project.write(services)
    real = RealDocker(client=docker_client)
    events: list[Event] = []

    real.up(project.directory)
    real.wait_healthy(project.directory, timeout_s=30, settle_s=1, emit=events.append, cancel=None)

    states = _states(events)
    assert states["web"][-1] == "healthy"
    assert states["worker"][-1] == "running"
    assert states["job"][-1] == "exited"  # a one-shot that exited 0 is fine
    assert real.running_services(project.directory) == ["web", "worker"]
    specs = {s.name: s for s in real.compose_services(project.directory)}
    assert specs["web"].has_healthcheck and not specs["worker"].has_healthcheck
    assert specs["job"].one_shot and not specs["web"].one_shot
    assert specs["web"].image == built.ref

    real.down(project.directory)
    assert real.running_services(project.directory) == []


def test_failing_healthcheck_fails_the_gate_with_logs(
    docker_client: docker.DockerClient, image_factory: ImageFactory, compose_project: MakeProject
) -> None:
    built = image_factory()
    port = free_port()
    web = web_service(built.ref, port)
    web["command"] = [
        "sh",
        "-c",
        f"echo web-boot-marker; exec httpd -f -p 127.0.0.1:{port} -h /www",
    ]
    web["healthcheck"]["test"] = [
        "CMD",
        "wget",
        "-q",
        "-O",
        "/dev/null",
        f"http://127.0.0.1:{port}/missing",
    ]
    web["healthcheck"]["retries"] = 1
    project = compose_project("gate-unhealthy")
    project.write({"web": web, "worker": sleep_service(built.ref)})
    real = RealDocker(client=docker_client)
    real.up(project.directory)
    events: list[Event] = []

    started = time.monotonic()
    with pytest.raises(HealthGateError) as caught:
        real.wait_healthy(
            project.directory, timeout_s=6, settle_s=1, emit=events.append, cancel=None
        )
    elapsed = time.monotonic() - started

    message = str(caught.value)
    assert "web: unhealthy" in message and "web-boot-marker" in message
    assert "worker" not in message  # healthy services are not blamed
    assert "\n" not in message
    # The engine's "unhealthy" verdict is final: the gate fails at once
    # instead of waiting out the 6 s timeout.
    assert elapsed < 5.5
    assert "unhealthy" in _states(events)["web"]
    assert LogEvent("error", "web | web-boot-marker") in events


@pytest.mark.parametrize("restart", ["unless-stopped", "no"])
def test_service_crashing_after_start_fails_the_gate(
    restart: str,
    docker_client: docker.DockerClient,
    image_factory: ImageFactory,
    compose_project: MakeProject,
) -> None:
    built = image_factory()
    crasher = sleep_service(built.ref)
    crasher["restart"] = restart
    crasher["command"] = ["sh", "-c", "echo crash-marker; sleep 2; exit 3"]
    project = compose_project("gate-crash")
    project.write({"crasher": crasher})
    real = RealDocker(client=docker_client)
    real.up(project.directory)
    events: list[Event] = []

    started = time.monotonic()
    with pytest.raises(HealthGateError) as caught:
        real.wait_healthy(
            project.directory, timeout_s=8, settle_s=4, emit=events.append, cancel=None
        )
    elapsed = time.monotonic() - started

    message = str(caught.value)
    assert "crasher:" in message and "crash-marker" in message
    if restart == "no":
        # Exited non-zero and never restarted: no point waiting for the timeout.
        assert "exited (exit 3)" in message
        assert elapsed < 7
    else:
        # Fails at the timeout or, if it came first, at the third restart.
        assert elapsed < 14
        assert {"restarting", "starting"} & set(_states(events)["crasher"])


def _snapshot_of_a_running_stack(
    client: docker.DockerClient, image_factory: ImageFactory, project: ComposeProject
) -> tuple[BuiltImage, RealDocker, ComposeProject, StackSnapshot]:
    """A two-service stack of a fresh image, up, and its snapshot (images pinned)."""
    old = image_factory(tag="1.0.0")
    project.write(two_service_stack(old.ref, free_port()))
    real = RealDocker(client=client)
    real.up(project.directory)
    return old, real, project, real.snapshot(project.directory)


@pytest.mark.compat
def test_snapshot_then_retag_restores_the_old_image(
    docker_client: docker.DockerClient, image_factory: ImageFactory, compose_project: MakeProject
) -> None:
    old, real, project, snap = _snapshot_of_a_running_stack(
        docker_client, image_factory, compose_project("snap")
    )
    # A new release arrives under the same tag.
    new_id = build_busybox_image(docker_client, old.ref)
    image_factory.track(new_id)
    assert image_id(docker_client, old.ref) == new_id != old.image_id

    real.restore_snapshot(snap)

    assert snap.project == project.name
    assert {(s.service, s.image_id, s.image_ref) for s in snap.services} == {
        ("web", old.image_id, old.ref),
        ("worker", old.image_id, old.ref),
    }
    assert image_id(docker_client, old.ref) == old.image_id


@pytest.mark.compat
def test_the_snapshot_pins_the_old_image_so_a_prune_cannot_take_the_way_back(
    docker_client: docker.DockerClient, image_factory: ImageFactory, compose_project: MakeProject
) -> None:
    old, real, project, snap = _snapshot_of_a_running_stack(
        docker_client, image_factory, compose_project("pin")
    )

    assert image_id(docker_client, pin_ref(snap.project, "web")) == old.image_id
    # The release reuses the tag and the old containers go: only the pin holds the
    # old image now. A nightly `docker image prune` (scoped to this test's image):
    image_factory.track(build_busybox_image(docker_client, old.ref))
    real.down(project.directory)
    nonce = docker_client.images.get(old.image_id).labels["tui-upgrader.test"]
    docker_client.images.prune(filters={"dangling": True, "label": f"tui-upgrader.test={nonce}"})

    real.restore_snapshot(snap)

    assert image_id(docker_client, old.ref) == old.image_id


@pytest.mark.compat
def test_a_pin_recorded_with_the_other_kind_of_image_id_still_rolls_back(
    docker_client: docker.DockerClient, image_factory: ImageFactory, compose_project: MakeProject
) -> None:
    old, real, _project, snap = _snapshot_of_a_running_stack(
        docker_client, image_factory, compose_project("kind")
    )
    # The ID the other store would have recorded: the config digest where the engine
    # names images by manifest digest (containerd store), else a digest it never had.
    config = config_digest(docker_client, old.ref)
    other = config if config != old.image_id else "sha256:" + hashlib.sha256(b"m").hexdigest()
    assert image_id(docker_client, other) is None
    recorded = replace(snap, services=tuple(replace(s, image_id=other) for s in snap.services))
    image_factory.track(build_busybox_image(docker_client, old.ref))  # the release's image

    real.restore_snapshot(recorded)

    assert image_id(docker_client, old.ref) == old.image_id
    with pytest.raises(DockerError, match="no longer exists"):
        gone = replace(recorded, project="tuitest-nopin")
        real.restore_snapshot(gone)


def test_compose_failure_is_one_line(
    docker_client: docker.DockerClient, compose_project: MakeProject
) -> None:
    project = compose_project("broken")
    project.write({"app": {"image": "tuitest/never-built:0.0.1", "pull_policy": "never"}})

    with pytest.raises(ComposeError) as caught:
        RealDocker(client=docker_client).up(project.directory)

    message = str(caught.value)
    assert message.startswith(f"docker compose up in {project.directory} failed: ")
    assert "tuitest/never-built" in message and "\n" not in message


def test_project_name_comes_from_option_then_file_then_directory(
    compose_cli: list[str], tmp_path: Path
) -> None:
    cli = discover_compose()
    assert not cli.legacy and cli.version.startswith("2.")
    stack_dir = tmp_path / "My_Stack"
    stack_dir.mkdir()
    body = {"services": {"app": {"image": "tuitest/x:1", "pull_policy": "never"}}}
    (stack_dir / "compose.yaml").write_text(json.dumps(body))

    assert Compose(cli, stack_dir).project_name() == "my_stack"
    (stack_dir / "compose.yaml").write_text(json.dumps({"name": "from-file", **body}))
    assert Compose(cli, stack_dir).project_name() == "from-file"
    assert Compose(cli, stack_dir, "from-option").project_name() == "from-option"
    (stack_dir / ".env").write_text("TAG=7\n")
    body["services"]["app"]["image"] = "tuitest/x:${TAG}"
    (stack_dir / "compose.yaml").write_text(json.dumps(body))
    # .env is passed explicitly: its variables reach the model.
    assert Compose(cli, stack_dir).services()[0].image == "tuitest/x:7"


def test_compose_gets_a_minimal_environment_so_no_stray_variable_wins_over_env(
    compose_cli: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack_dir = tmp_path / "stack"
    stack_dir.mkdir()
    (stack_dir / ".env").write_text("TAG=7\n")
    body = {"services": {"app": {"image": "tuitest/x:${TAG}-${STRAY:-none}"}}}
    (stack_dir / "compose.yaml").write_text(json.dumps(body))
    # Whatever root's shell (or a cron job) happens to export.
    monkeypatch.setenv("TAG", "evil")
    monkeypatch.setenv("STRAY", "token-from-the-shell")
    assert Compose(discover_compose(), stack_dir).services()[0].image == "tuitest/x:7-none"


def test_a_service_named_like_a_flag_is_a_name_to_compose_logs(
    compose_cli: list[str], tmp_path: Path
) -> None:
    stack_dir = tmp_path / "stack"
    stack_dir.mkdir()
    (stack_dir / "compose.yaml").write_text(json.dumps({"services": {"app": {"image": "x"}}}))
    compose = Compose(discover_compose(), stack_dir, "h25-flagname")
    # Without "--", "-f" is --follow (of every service); with it, a service name.
    with pytest.raises(ComposeError, match="no such service"):
        compose.logs("-f", tail=1)
