"""Fixtures of the fault suite: a world per engine (session), a fresh case per test.

Long variants carry ``@pytest.mark.faults_long``; they are deselected unless
``TUI_UPGRADER_FAULTS_ALL=1`` is set, so CI runs every boundary and every fault class
once and the rest is the soak's (``python -m tests.faults.soak``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.faults.case import Case
from tests.faults.private_engine import PrivateEngine, docker_env, private_engine
from tests.faults.world import World, built_world
from tests.support.engines import selected

ALL_ENV = "TUI_UPGRADER_FAULTS_ALL"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(ALL_ENV) == "1":
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (drop if item.get_closest_marker("faults_long") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def world(
    docker_client: docker.DockerClient,
    compose_cli: list[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    with built_world(tmp_path_factory.mktemp("faults-world"), docker_client) as w:
        yield w


@pytest.fixture
def case(world: World, tmp_path: Path) -> Iterator[Case]:
    c = Case(world, tmp_path / "case")
    c.reset()
    try:
        yield c
    finally:
        c.compose("down", "--timeout", "2", check=False)


@pytest.fixture(scope="session")
def private_dockerd(docker_client: docker.DockerClient) -> Iterator[PrivateEngine]:
    """A dockerd of our own (never the shared one) the engine-trouble cases may break.

    The same kind as the engine the session runs on (``--engine``)."""
    with private_engine(selected().binaries()) as engine:
        yield engine


@pytest.fixture(scope="session")
def private_world(
    private_dockerd: PrivateEngine, compose_cli: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    client = private_dockerd.client()
    root = tmp_path_factory.mktemp("faults-private-world")
    with built_world(root, client, docker_env(private_dockerd)) as w:
        yield w
    client.close()


@pytest.fixture
def private_case(
    private_world: World, private_dockerd: PrivateEngine, tmp_path: Path
) -> Iterator[Case]:
    if not private_dockerd.answers():
        private_dockerd.restart()
    c = Case(private_world, tmp_path / "case")
    c.reset()
    try:
        yield c
    finally:
        if not private_dockerd.answers():
            private_dockerd.restart()
        c.compose("down", "--timeout", "2", check=False)
