"""The whole TUI flow once on the real engine, with the demo's releases.

`tui-upgrader demo`'s own set-up (prepare_demo: busybox images, the 1.0.0
stack, `serve` on 127.0.0.1) and the production wiring (real_deps), driven
by keys only.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import docker
import pytest

from tests.support.engine import free_port, unique_name
from tests.support.ui_drive import upgrade_through_ui
from tui_upgrader.core.errors import TrustError
from tui_upgrader.demo.session import DemoSession, prepare_demo
from tui_upgrader.ops.stack.real_docker import RealDocker
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade.planning import load_decision
from tui_upgrader.ui.app import UpgraderApp
from tui_upgrader.ui.launch import real_deps

pytestmark = pytest.mark.engine


@pytest.fixture
def demo(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[DemoSession]:
    project = unique_name("tuidemo")
    session = prepare_demo(
        RealDocker(project_name=project),
        root=tmp_path / "demo",
        port=free_port(),
        project=project,
        image_repo=f"tuitest/{project}",
        say=lambda _text: None,
    )
    try:
        yield session
    finally:
        session.server.shutdown()
        RealDocker(project_name=project).down(session.layout.deploy_dir)
        for ref in set(session.layout.images.values()):
            with contextlib.suppress(docker.errors.DockerException):
                docker_client.images.remove(ref, force=True)


async def test_demo_upgrade_through_the_tui_on_the_real_engine(
    demo: DemoSession, docker_client: docker.DockerClient
) -> None:
    data_before = {
        p.name: p.read_bytes() for p in (demo.layout.deploy_dir / "data").rglob("*") if p.is_file()
    }
    # Signed end to end: a demo session without its pinned root is refused.
    plan = load_decision(demo.settings)
    assert plan.trust.signed and plan.decision.package is not None
    assert plan.decision.package.verified_by == "the signed targets"
    with pytest.raises(TrustError, match="no trusted root"):
        load_decision(replace(demo.settings, data_dir=demo.layout.deploy_dir.parent / "other"))
    app = UpgraderApp(real_deps(argparse.Namespace(), settings=demo.settings, needs_setup=False))
    async with app.run_test(size=(120, 36)) as pilot:
        outcome = await upgrade_through_ui(pilot, timeout=300)
        assert outcome.tone == "success", outcome
    assert str(read_state(demo.layout.deploy_dir).version) == "1.1.0.1"
    data_after = {
        p.name: p.read_bytes() for p in (demo.layout.deploy_dir / "data").rglob("*") if p.is_file()
    }
    assert data_after == data_before
    web = docker_client.containers.list(
        filters={
            "label": [
                f"com.docker.compose.project={demo.layout.project}",
                "com.docker.compose.service=web",
            ]
        }
    )
    assert len(web) == 1 and web[0].image is not None
    assert web[0].image.id == docker_client.images.get(demo.layout.images["1.1.0.1"]).id
