"""A demo deployment on the real engine, driven through the real CLI."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker

from tests.support.engine import free_port, unique_name
from tests.support.upgrade_env import tree
from tui_upgrader.core.events import discard
from tui_upgrader.core.stack import PIN_REPOSITORY
from tui_upgrader.core.versions import Version
from tui_upgrader.demo import content
from tui_upgrader.demo.releases import OFFERED, DemoLayout, build_demo, write_release_folder
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.stack.real_docker import RealDocker


@dataclass
class EngineEnv:
    tmp: Path
    client: docker.DockerClient
    layout: DemoLayout = field(init=False)
    project: str = field(init=False)
    config: Path = field(init=False)

    def __post_init__(self) -> None:
        self.project = unique_name("tuiup")
        self.layout = build_demo(
            self.tmp / "demo",
            port=free_port(),
            project=self.project,
            image_repo=f"tuitest/{self.project}",
        )
        self.docker = RealDocker(project_name=self.project)

    @property
    def deploy(self) -> Path:
        return self.layout.deploy_dir

    def write_config(self, manifest: Path | str, **extra: Any) -> Path:
        values = {
            "manifest": str(manifest),
            "deploy_dir": str(self.deploy),
            "project_name": self.project,
            "data_dir": str(self.tmp / "state"),
            "cache_dir": str(self.tmp / "cache"),
            "health_timeout_s": 40,
            "health_settle_s": 1,
            # Unsigned stores unless the test signs (tests/support/signing.py).
            "allow_unsigned": True,
            **extra,
        }
        lines = []
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value)}")
        self.config = self.tmp / "config.toml"
        self.config.write_text("\n".join(lines) + "\n")
        return self.config

    @classmethod
    @contextlib.contextmanager
    def installed(cls, tmp: Path, client: docker.DockerClient) -> Iterator[EngineEnv]:
        """The demo's installed version running; everything removed afterwards."""
        env = cls(tmp, client)
        try:
            env.start_installed()
            yield env
        finally:
            env.close()

    def start_installed(self) -> None:
        for tar in self.layout.installed_images:
            self.docker.load_image(tar, discard, None)
        self.docker.up(self.deploy)
        self.docker.wait_healthy(self.deploy, timeout_s=60, settle_s=1, emit=discard, cancel=None)

    def cli(
        self, *args: str, env: dict[str, str] | None = None, check_json: bool = True
    ) -> tuple[int, list[dict[str, Any]], str]:
        full_env = {**os.environ, "TUI_UPGRADER_ARCH": "x86_64", **(env or {})}
        proc = subprocess.run(
            [sys.executable, "-m", "tui_upgrader", *args, "--config", str(self.config)],
            capture_output=True,
            text=True,
            env=full_env,
            timeout=300,
        )
        events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        return proc.returncode, events, proc.stderr

    def containers(self) -> dict[str, Any]:
        found = self.client.containers.list(
            all=True, filters={"label": f"com.docker.compose.project={self.project}"}
        )
        return {c.labels["com.docker.compose.service"]: c for c in found}

    def running_images(self) -> dict[str, str]:
        return {name: c.image.id for name, c in self.containers().items() if c.status == "running"}

    def tree(self) -> dict[str, str]:
        return tree(self.deploy)

    def close(self) -> None:
        subprocess.run(
            ["docker", "compose", "-p", self.project, "down", "--timeout", "2"],
            capture_output=True,
            timeout=120,
        )
        remove_images(self.client, self.layout.images.values(), self.project)


def remove_images(client: docker.DockerClient, refs: Iterable[str], project: str) -> None:
    """Remove a test's images and the rollback pins its upgrades made for ``project``."""
    for ref in set(refs):
        with contextlib.suppress(docker.errors.DockerException):
            client.images.remove(ref, force=True)
    # The upgrades' rollback pins (tui-upgrader/previous:<project>-<service>).
    prefix = f"{PIN_REPOSITORY}:{project}-"
    for image in client.images.list(filters={"reference": f"{prefix}*"}):
        for tag in image.tags:
            if tag.startswith(prefix):
                with contextlib.suppress(docker.errors.DockerException):
                    client.images.remove(tag)


def release_with_compose(
    env: EngineEnv, version: str, compose: Callable[[str], str], extra_env: str = ""
) -> Path:
    """A full release of the demo with its own compose file; returns its store."""
    ref = f"{env.layout.images[OFFERED].rsplit(':', 1)[0]}:{version}"
    secrets = content.DemoSecrets(port=env.layout.port, secret=env.layout.secret)
    files = content.release_files(OFFERED, env.layout.project, ref, secrets)
    files["app/VERSION"] = version + "\n"
    files[".env"] += extra_env
    files[content.COMPOSE_FILE] = compose(ref)
    folder = env.tmp / "sources" / version
    write_release_folder(folder, files, ref, image_version=version, project=env.layout.project)
    store = env.tmp / f"store-{version}"
    build_release(folder, version=Version.parse(version), out=store, arches=(env.layout.arch,))
    return store
