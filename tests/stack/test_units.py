"""Stack logic that needs no engine: compose argv and discovery, service specs, the gate."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tui_upgrader.core.errors import ComposeError
from tui_upgrader.core.stack import ServiceSpec
from tui_upgrader.ops.ports import DockerPort
from tui_upgrader.ops.stack._internal.compose import (
    Compose,
    ComposeCli,
    discover_compose,
    service_spec,
)
from tui_upgrader.ops.stack.real_docker import RealDocker


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


def test_real_docker_is_a_docker_port() -> None:
    # mypy checks the assignment; building one never touches the engine.
    port: DockerPort = RealDocker(project_name="prod")
    assert port.engine_version is not None


@pytest.mark.parametrize(("restarts", "hopeless"), [(1, False), (2, False), (3, True), (7, True)])
def test_a_crash_loop_fails_the_gate_without_waiting(restarts: int, hopeless: bool) -> None:
    from tui_upgrader.ops.stack._internal import health

    attrs = {
        "Id": "c1",
        "RestartCount": restarts,
        "State": {"Status": "running", "StartedAt": "2026-01-01T00:00:00Z", "ExitCode": 0},
        "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
    }
    verdict = health.judge(attrs, health._Settle(lambda: 0.0), settle_s=10)
    assert verdict.state == "restarting" and not verdict.ready
    assert verdict.hopeless is hopeless


def test_healthy_is_ready_only_after_settling_without_a_restart() -> None:
    from tui_upgrader.ops.stack._internal import health

    now = [0.0]
    settle = health._Settle(lambda: now[0])

    def attrs(started: str, restarts: int, status: str = "healthy") -> dict[str, object]:
        return {
            "Id": "c1",
            "RestartCount": restarts,
            "State": {"Status": "running", "StartedAt": started, "Health": {"Status": status}},
            "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
        }

    first = health.judge(attrs("t0", 0), settle, settle_s=5)
    assert first.state == "healthy" and not first.ready, "one good check is not enough"
    now[0] = 4.0
    # It crashed and came back healthy: the clock starts again.
    again = health.judge(attrs("t1", 1), settle, settle_s=5)
    assert not again.ready
    now[0] = 8.0
    assert not health.judge(attrs("t1", 1), settle, settle_s=5).ready
    now[0] = 9.5
    assert health.judge(attrs("t1", 1), settle, settle_s=5).ready


def test_a_crash_loop_with_a_healthcheck_fails_without_waiting() -> None:
    from tui_upgrader.ops.stack._internal import health

    attrs = {
        "Id": "c1",
        "RestartCount": 3,
        "State": {"Status": "running", "StartedAt": "t3", "Health": {"Status": "starting"}},
        "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}},
    }
    verdict = health.judge(attrs, health._Settle(lambda: 0.0), settle_s=5)
    assert verdict.state == "restarting" and verdict.hopeless


def test_compose_config_is_read_once_per_version_of_the_files(tmp_path: Path) -> None:
    """One run asks for the project name several times (snapshot, stop, start, gate):
    an unchanged compose file is parsed once; a replaced one (apply renames) again."""
    calls: list[str] = []

    class Counting(Compose):
        def run(self, *args: str, timeout_s: float | None = None) -> Any:
            calls.append(args[0])
            return type("P", (), {"stdout": '{"name": "shop", "services": {}}'})()

    (tmp_path / "compose.yaml").write_text("services: {}\n", encoding="utf-8")
    cache: dict[tuple[object, ...], dict[str, Any]] = {}
    cli = ComposeCli(("docker", "compose"), "2.40.3", legacy=False)

    def make() -> Compose:
        return Counting(cli, tmp_path, engine=None, config_cache=cache)

    assert make().project_name() == "shop" and make().project_name() == "shop"
    assert calls == ["config"]
    replacement = tmp_path / "new.yaml"
    replacement.write_text("services: {}\nname: shop\n", encoding="utf-8")
    replacement.replace(tmp_path / "compose.yaml")
    make().project_name()
    assert calls == ["config", "config"]
