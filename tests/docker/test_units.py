"""Docker/compose logic that needs no engine: refs, archive index, progress, argv."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import pytest

from tests.support.images import busybox_image, write_image_tar
from tui_upgrader.core.errors import ComposeError, EngineUnavailableError
from tui_upgrader.core.events import Event, LayerEvent
from tui_upgrader.core.stack import ServiceSpec
from tui_upgrader.ops.compose import Compose, ComposeCli, discover_compose, service_spec
from tui_upgrader.ops.docker_engine import engine_host, normalise_ref, with_tag
from tui_upgrader.ops.docker_port import RealDocker
from tui_upgrader.ops.image_load import LayerProgress
from tui_upgrader.ops.image_tar import TarLayer, index_image_tar
from tui_upgrader.ops.ports import DockerPort


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("demo/app:1.2.0-amd64", "demo/app:1.2.0"),
        ("demo/app:1.2.0-arm64", "demo/app:1.2.0"),
        ("demo/app:2-x86_64", "demo/app:2"),
        ("demo/app:2-aarch64", "demo/app:2"),
        ("demo/app:-amd64", "demo/app:latest"),
        ("demo/app:1.2.0", "demo/app:1.2.0"),
        ("demo/app", "demo/app:latest"),
        ("registry:5000/demo/app:1.0-amd64", "registry:5000/demo/app:1.0"),
        ("demo/amd64-app:amd64", "demo/amd64-app:amd64"),  # only a "-arch" suffix counts
    ],
)
def test_normalise_ref(ref: str, expected: str) -> None:
    assert normalise_ref(ref) == expected


def test_with_tag() -> None:
    assert with_tag("localhost:5000/app") == "localhost:5000/app:latest"
    assert with_tag("app:1") == "app:1"
    assert with_tag("app@sha256:" + "0" * 64) == "app@sha256:" + "0" * 64


def test_index_points_at_each_layers_bytes(tmp_path: Path) -> None:
    tar = tmp_path / "two.tar"
    infos = write_image_tar(tar, [busybox_image(["a/b:1"], layers=3), busybox_image([], layers=2)])

    index = index_image_tar(tar)

    assert index.exact and index.compression is None
    assert index.images == ("a/b:1", f"sha256:{infos[1].image_id[7:19]}")
    data = tar.read_bytes()
    expected = {li.short_id: li.diff_id for info in infos for li in info.layers}
    assert {layer.layer_id for layer in index.layers} == set(expected)  # shared layers once
    for layer in index.layers:
        digest = hashlib.sha256(data[layer.offset : layer.offset + layer.size]).hexdigest()
        assert f"sha256:{digest}" == expected[layer.layer_id]


def test_unreadable_archive_is_one_pseudo_layer(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"\x00not a tar" * 100)

    index = index_image_tar(bad)

    assert not index.exact
    assert index.layers == (TarLayer("bad.tar", 0, 1000, "bad.tar", "bad.tar"),)


def test_layer_progress_counts_bytes_across_chunks() -> None:
    layers = (TarLayer("a", 512, 1000, "aaa", "img"), TarLayer("b", 2048, 4000, "bbb", "img"))
    events: list[Event] = []
    progress = LayerProgress(layers, events.append)
    progress.start()

    for start in range(0, 7000, 700):  # chunks straddle both layers and the headers
        progress.sent(start, start + 700)
    assert progress.engine("bbb", 2000, 4000)
    assert not progress.engine("zzz", 1, 2)
    last = {e.layer: e for e in events if isinstance(e, LayerEvent)}
    assert (last["aaa"].done, last["bbb"].done) == (500, 3000)  # upload is half the work

    progress.finish()
    last = {e.layer: e for e in events if isinstance(e, LayerEvent)}
    assert {(e.done, e.total) for e in last.values()} == {(1000, 1000), (4000, 4000)}
    for name in ("aaa", "bbb"):
        dones = [e.done for e in events if isinstance(e, LayerEvent) and e.layer == name]
        assert dones == sorted(dones) and dones[0] == 0


def test_service_spec_reads_restart_and_healthcheck() -> None:
    assert service_spec("a", {"image": "x:1"}) == ServiceSpec("a", "x:1", "no", False)
    assert service_spec("b", {"restart": "always", "healthcheck": {"test": ["CMD", "true"]}}) == (
        ServiceSpec("b", None, "always", True)
    )
    assert not service_spec(
        "c", {"healthcheck": {"test": ["CMD", "x"], "disable": True}}
    ).has_healthcheck
    assert not service_spec("d", {"healthcheck": {"test": ["NONE"]}}).has_healthcheck
    swarm = service_spec("e", {"deploy": {"restart_policy": {"condition": "any"}}})
    assert swarm.restart == "always" and not swarm.one_shot


def test_compose_argv_names_file_env_file_and_project(tmp_path: Path) -> None:
    cli = ComposeCli(("/usr/bin/docker", "compose"), "2.40.3", legacy=False)
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")

    plain = Compose(cli, tmp_path).argv("up", "-d")
    assert plain == [
        "/usr/bin/docker", "compose", "--project-directory", str(tmp_path),
        "-f", str(tmp_path / "docker-compose.yml"), "up", "-d",
    ]  # fmt: skip
    (tmp_path / ".env").write_text("TAG=1\n")
    (tmp_path / "compose.yaml").write_text("services: {}\n")  # preferred, as compose does
    named = Compose(cli, tmp_path, "prod").argv("ps")
    env_file = str(tmp_path / ".env")
    assert named[4:] == [
        "-f", str(tmp_path / "compose.yaml"), "--env-file", env_file, "-p", "prod", "ps",
    ]  # fmt: skip


def test_compose_without_compose_file_is_an_error(tmp_path: Path) -> None:
    cli = ComposeCli(("docker", "compose"), "2.40.3", legacy=False)
    with pytest.raises(ComposeError, match=f"no compose file .* in {tmp_path}"):
        Compose(cli, tmp_path).up()


def _fake_bin(directory: Path, name: str, version: str | None) -> None:
    script = directory / name
    body = f'echo "{version}"' if version else "exit 1"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)


def test_discovery_falls_back_to_legacy_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _fake_bin(tmp_path, "docker", None)  # `docker compose` fails: no plugin
    _fake_bin(tmp_path, "docker-compose", "1.29.2")
    monkeypatch.setenv("PATH", str(tmp_path))

    with caplog.at_level(logging.WARNING):
        cli = discover_compose()

    assert cli == ComposeCli((str(tmp_path / "docker-compose"),), "1.29.2", legacy=True)
    assert "legacy docker-compose 1.29.2" in caplog.text


def test_discovery_prefers_a_v2_binary_over_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_bin(tmp_path, "docker-compose", "v2.40.3")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert discover_compose() == ComposeCli((str(tmp_path / "docker-compose"),), "2.40.3", False)

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ComposeError, match="no Docker Compose found"):
        discover_compose()


def _write_context(home: Path, name: str, host: str) -> None:
    meta = home / ".docker" / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta.mkdir(parents=True)
    body = {"Name": name, "Metadata": {}, "Endpoints": {"docker": {"Host": host}}}
    (meta / "meta.json").write_text(json.dumps(body))
    (home / ".docker" / "config.json").write_text(json.dumps({"currentContext": name}))


def test_engine_host_honours_docker_host_then_context(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    assert engine_host() == "unix:///var/run/docker.sock"
    _write_context(isolated_env, "remote", "unix:///run/other/docker.sock")
    assert engine_host() == "unix:///run/other/docker.sock"
    monkeypatch.setenv("DOCKER_HOST", "unix:///srv/docker.sock")
    assert engine_host() == "unix:///srv/docker.sock"


def test_missing_socket_gives_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    socket = tmp_path / "nope" / "docker.sock"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{socket}")

    with pytest.raises(EngineUnavailableError) as caught:
        RealDocker().engine_version()

    message = str(caught.value)
    assert message.startswith(f"no Docker engine answers at unix://{socket}: socket not found; ")
    assert "DOCKER_HOST" in message and "\n" not in message
    assert caught.value.exit_code == 1


def test_context_socket_is_named_when_it_does_not_answer(
    isolated_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    socket = tmp_path / "ctx.sock"
    _write_context(isolated_env, "elsewhere", f"unix://{socket}")

    with pytest.raises(EngineUnavailableError, match=f"at unix://{socket}: socket not found"):
        RealDocker().engine_version()


def test_real_docker_is_a_docker_port() -> None:
    # mypy checks the assignment; building one never touches the engine.
    port: DockerPort = RealDocker(project_name="prod")
    assert port.engine_version is not None


@pytest.mark.parametrize(("restarts", "hopeless"), [(1, False), (2, False), (3, True), (7, True)])
def test_a_crash_loop_fails_the_gate_without_waiting(restarts: int, hopeless: bool) -> None:
    from tui_upgrader.ops import health

    attrs = {
        "Id": "c1",
        "RestartCount": restarts,
        "State": {"Status": "running", "StartedAt": "2026-01-01T00:00:00Z", "ExitCode": 0},
        "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
    }
    verdict = health.judge(attrs, health._Settle(lambda: 0.0), settle_s=10)
    assert verdict.state == "restarting" and not verdict.ready
    assert verdict.hopeless is hopeless
