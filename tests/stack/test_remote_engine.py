"""Remote engines: DOCKER_HOST=ssh://... and Docker contexts, for the SDK and compose alike.

The contexts are made by the real ``docker context`` CLI (in the test's own
HOME); the ssh engine is ssh://nobody@127.0.0.1 on a port nothing listens on,
so every attempt is refused and must say so in one line.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import docker
import pytest

from tests.stack.demo_cli import upgrade_demo
from tests.support.engine import free_port
from tests.support.sshd import SshEngine
from tui_upgrader.core.errors import ComposeError, EngineUnavailableError
from tui_upgrader.demo.releases import build_demo
from tui_upgrader.ops.images.engine import EngineTarget, resolve_engine
from tui_upgrader.ops.stack._internal.compose import Compose, ComposeCli, discover_compose
from tui_upgrader.ops.stack.real_docker import RealDocker

CLI = ComposeCli(("/usr/bin/docker", "compose"), "2.40.3", legacy=False)


@pytest.fixture
def no_engine_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)


def _docker_context(*args: str) -> None:
    subprocess.run(["docker", "context", *args], check=True, capture_output=True, timeout=30)


def _closed_ssh_url() -> str:
    return f"ssh://nobody@127.0.0.1:{free_port()}"


def _stack_dir(tmp_path: Path) -> Path:
    (tmp_path / "compose.yaml").write_text("services: {}\n")
    return tmp_path


def test_the_current_context_names_the_engine_for_sdk_and_compose(
    isolated_env: Path, tmp_path: Path, no_engine_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _closed_ssh_url()
    _docker_context("create", "remote", "--docker", f"host={url}")
    _docker_context("use", "remote")

    target = resolve_engine()
    assert target == EngineTarget(url, "remote")
    compose = Compose(CLI, _stack_dir(tmp_path))
    env = compose.environ()
    assert env["DOCKER_CONTEXT"] == "remote" and "DOCKER_HOST" not in env
    assert RealDocker().engine == target

    # DOCKER_HOST wins over any context, as in the docker CLI; compose gets it too
    monkeypatch.setenv("DOCKER_CONTEXT", "remote")
    monkeypatch.setenv("DOCKER_HOST", "unix:///srv/other.sock")
    assert resolve_engine() == EngineTarget("unix:///srv/other.sock")
    env = Compose(CLI, tmp_path).environ()
    assert env["DOCKER_HOST"] == "unix:///srv/other.sock" and "DOCKER_CONTEXT" not in env

    # The default engine is named explicitly, so no currentContext can redirect compose
    monkeypatch.delenv("DOCKER_HOST")
    monkeypatch.setenv("DOCKER_CONTEXT", "default")
    assert Compose(CLI, tmp_path).environ()["DOCKER_HOST"] == "unix:///var/run/docker.sock"


def test_a_context_that_does_not_exist_is_one_line(
    isolated_env: Path, no_engine_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_CONTEXT", "nowhere")
    with pytest.raises(EngineUnavailableError) as caught:
        RealDocker().engine_version()
    assert str(caught.value).startswith("the Docker context 'nowhere' (DOCKER_CONTEXT")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("via", ["DOCKER_HOST", "context"])
def test_an_unreachable_ssh_engine_is_one_clear_line(
    via: str, isolated_env: Path, no_engine_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = _closed_ssh_url()
    if via == "DOCKER_HOST":
        monkeypatch.setenv("DOCKER_HOST", url)
        why = "connection refused"
    else:
        _docker_context("create", "far", "--docker", f"host={url}")
        monkeypatch.setenv("DOCKER_CONTEXT", "far")
        why = "connection refused (Docker context far)"

    with pytest.raises(EngineUnavailableError) as caught:
        RealDocker().engine_version()

    message = str(caught.value)
    assert message.startswith(f"no Docker engine answers at {url}: {why}; ")
    assert "ssh HOST docker version" in message and "\n" not in message


@pytest.mark.engine
def test_compose_goes_to_the_same_ssh_engine(
    isolated_env: Path,
    tmp_path: Path,
    no_engine_env: None,
    compose_cli: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()
    _docker_context("create", "far", "--docker", f"host=ssh://nobody@127.0.0.1:{port}")
    monkeypatch.setenv("DOCKER_CONTEXT", "far")

    with pytest.raises(ComposeError) as caught:
        Compose(discover_compose(), _stack_dir(tmp_path), "p").run("ps")

    # compose ran ssh to that port: the ssh client's own refusal comes back
    message = str(caught.value)
    assert f"port {port}" in message and "Connection refused" in message, message
    assert "\n" not in message


def test_the_cli_reports_an_unreachable_ssh_engine_in_one_line(tmp_path: Path) -> None:
    layout = build_demo(tmp_path / "demo", port=free_port(), project="tuiup-remote")
    proc = upgrade_demo(layout, _closed_ssh_url(), "--json")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    result = [line for line in proc.stdout.splitlines() if '"type": "result"' in line]
    assert len(result) == 1 and "no Docker engine answers at ssh://nobody@127.0.0.1:" in result[0]
    assert "connection refused" in result[0]


@pytest.mark.engine
@pytest.mark.parametrize("via", ["DOCKER_HOST", "context"])
def test_sdk_and_compose_talk_to_an_engine_over_ssh(
    via: str,
    ssh_engine: SshEngine,
    docker_client: docker.DockerClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.setenv("PATH", ssh_engine.path)
    if via == "DOCKER_HOST":
        monkeypatch.setenv("DOCKER_HOST", ssh_engine.url)
        expected = EngineTarget(ssh_engine.url)
    else:
        monkeypatch.delenv("DOCKER_HOST", raising=False)
        _docker_context("create", "tunnel", "--docker", f"host={ssh_engine.url}")
        monkeypatch.setenv("DOCKER_CONTEXT", "tunnel")
        expected = EngineTarget(ssh_engine.url, "tunnel")
    remote = RealDocker(project_name="tuitest-ssh-none")
    assert remote.engine == expected
    assert remote.engine_version() == docker_client.version()["Version"]
    assert remote.client.info()["ID"] == docker_client.info()["ID"], "the same engine, over ssh"
    # compose through the same ssh engine: an empty project answers with no containers
    compose = remote.compose(_stack_dir(tmp_path))
    assert compose.ps() == []
    # ... and really over ssh: without the test's key (the ssh wrapper) it cannot log in
    monkeypatch.setenv("PATH", ssh_engine.path.split(os.pathsep, 1)[1])
    with pytest.raises(ComposeError, match=r"docker compose ps in .* failed: "):
        compose.ps()
