"""The package architecture comes from the engine, found as every engine call
finds it (#19): over DOCKER_HOST=ssh:// it is the remote engine's `docker info`;
TUI_UPGRADER_ARCH overrides it; with no engine answering, this machine's, said so."""

from __future__ import annotations

import platform

import docker
import pytest

from tests.support.engine import free_port
from tests.support.sshd import SshEngine
from tui_upgrader.core.arch import named_arch
from tui_upgrader.ops.upgrade.planning import resolve_arch


@pytest.mark.engine
def test_arch_from_the_engine_over_ssh(
    ssh_engine: SshEngine, docker_client: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.delenv("TUI_UPGRADER_ARCH", raising=False)
    monkeypatch.setenv("PATH", ssh_engine.path)
    monkeypatch.setenv("DOCKER_HOST", ssh_engine.url)
    expected = named_arch(docker_client.info()["Architecture"])
    assert resolve_arch() == (expected, "engine")
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "arm64")
    assert resolve_arch() == (named_arch("aarch64"), "TUI_UPGRADER_ARCH")


def test_no_engine_answering_falls_back_to_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TUI_UPGRADER_ARCH", raising=False)
    monkeypatch.setenv("DOCKER_HOST", f"tcp://127.0.0.1:{free_port()}")  # nothing listens
    assert resolve_arch() == (named_arch(platform.machine()), "machine")
