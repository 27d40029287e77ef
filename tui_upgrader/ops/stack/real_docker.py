"""``RealDocker``: the DockerPort the runner uses, over a real engine.

It only composes ``images`` (SDK: engine, load, pull), ``stack.compose`` (CLI)
and ``health``. The engine connection and the compose CLI are found lazily,
on first use, so building a RealDocker never fails; the first call that needs
the engine raises EngineUnavailableError / ComposeError with a clear message.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import docker

from tui_upgrader.core.errors import DockerError
from tui_upgrader.core.events import Emit, discard
from tui_upgrader.core.i18n import _
from tui_upgrader.core.stack import ServiceImage, ServiceSpec, StackSnapshot, StopReport, pin_ref
from tui_upgrader.ops.images import engine as docker_engine
from tui_upgrader.ops.images.load import load_image_tar, tag_loaded
from tui_upgrader.ops.images.pull import pull_image
from tui_upgrader.ops.stack._internal import health
from tui_upgrader.ops.stack._internal.compose import Compose, ComposeCli, discover_compose
from tui_upgrader.ops.stack._internal.stopping import stop_and_check

logger = logging.getLogger(__name__)


class RealDocker:
    def __init__(
        self,
        project_name: str | None = None,
        client: docker.DockerClient | None = None,
        *,
        compose_cli: ComposeCli | None = None,
    ) -> None:
        self.project_name = project_name
        self._client = client
        self._cli = compose_cli
        self._engine: docker_engine.EngineTarget | None = None
        self._configs: dict[tuple[object, ...], dict[str, Any]] = {}

    @property
    def engine(self) -> docker_engine.EngineTarget:
        """Resolved once: the SDK and every compose call use this same engine."""
        if self._engine is None:
            self._engine = docker_engine.resolve_engine()
        return self._engine

    # --- plumbing ------------------------------------------------------------------

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            self._client = docker_engine.connect(target=self.engine)
        return self._client

    @property
    def compose_cli(self) -> ComposeCli:
        if self._cli is None:
            self._cli = discover_compose()
            logger.info("using %s", self._cli.describe())
        return self._cli

    def compose(self, project_dir: Path) -> Compose:
        return Compose(
            self.compose_cli,
            project_dir,
            self.project_name,
            engine=self.engine,
            config_cache=self._configs,
        )

    def compose_version(self) -> str:
        return self.compose_cli.describe()

    # --- DockerPort --------------------------------------------------------------------

    def engine_version(self) -> str:
        with docker_engine.docker_errors("asking the engine for its version"):
            return str(self.client.version()["Version"])

    def compose_services(self, project_dir: Path) -> list[ServiceSpec]:
        return self.compose(project_dir).services()

    def compose_project(self, project_dir: Path) -> str:
        return self.compose(project_dir).project_name()

    def running_services(self, project_dir: Path) -> list[str]:
        compose = self.compose(project_dir)
        if compose.cli.legacy:
            project = compose.project_name()
            by_service = health.project_containers(self.client, project)
            return sorted(
                n for n, cs in by_service.items() if any(c.status == "running" for c in cs)
            )
        rows = compose.ps(all_states=False)
        return sorted({str(r["Service"]) for r in rows if r.get("State") == "running"})

    def load_image(self, tar: Path, emit: Emit, cancel: threading.Event | None) -> list[str]:
        result = load_image_tar(self.client, tar, emit, cancel)
        return tag_loaded(self.client, result)

    def pull_image(self, ref: str, emit: Emit, cancel: threading.Event | None) -> None:
        pull_image(self.client, ref, emit, cancel)

    def image_exists(self, ref: str) -> bool:
        return docker_engine.image_id(self.client, ref) is not None

    def snapshot(self, project_dir: Path) -> StackSnapshot:
        project = self.compose(project_dir).project_name()
        with docker_engine.docker_errors(f"taking a snapshot of project {project}"):
            by_service = health.project_containers(self.client, project)
            services: list[ServiceImage] = []
            for name in sorted(by_service):
                seen: set[tuple[str, str]] = set()
                for container in by_service[name]:
                    attrs = container.attrs
                    key = (str(attrs["Image"]), str(attrs["Config"]["Image"]))
                    if key in seen:
                        continue  # scaled services: one entry per image is enough
                    seen.add(key)
                    services.append(ServiceImage(name, str(container.id), *key))
            self._pin(project, services)
        logger.info("snapshot of %s: %s", project, services)
        return StackSnapshot(project, tuple(services))

    def _pin(self, project: str, services: list[ServiceImage]) -> None:
        counts: dict[str, int] = {}
        for item in services:
            index = counts[item.service] = counts.get(item.service, -1) + 1
            docker_engine.tag_image(
                self.client, item.image_id, pin_ref(project, item.service, index)
            )

    def restore_snapshot(self, snapshot: StackSnapshot) -> None:
        counts: dict[str, int] = {}
        for item in snapshot.services:
            index = counts[item.service] = counts.get(item.service, -1) + 1
            pinned = self._pinned_image(snapshot.project, item, index)
            if "@" in item.image_ref or item.image_ref.startswith("sha256:"):
                continue  # digest and ID references always name that exact image
            target = docker_engine.with_tag(item.image_ref)
            if docker_engine.image_id(self.client, target) != pinned:
                docker_engine.tag_image(self.client, pinned, target)

    def _pinned_image(self, project: str, item: ServiceImage, index: int) -> str:
        """The ID of the image to go back to: the recorded one, else what its pin holds.

        The recorded ID is the config digest on the classic store and the
        manifest digest on the containerd store; one recorded under the other
        store (the engine switched stores between the snapshot and the rollback)
        does not resolve, and the pin tag the snapshot made still names the image.
        """
        if docker_engine.image_id(self.client, item.image_id) is not None:
            return item.image_id
        pin = pin_ref(project, item.service, index)
        found = docker_engine.image_id(self.client, pin)
        if found is None:
            raise DockerError(
                _(
                    "cannot restore {image_ref} for service {service}: image "
                    "{image_id} no longer exists"
                ).format(
                    image_ref=item.image_ref, service=item.service, image_id=item.image_id[:19]
                )
            )
        logger.info("%s: image %s not found, going back to %s (%s)", item.service,
                    item.image_id[:19], pin, found[:19])  # fmt: skip
        return found

    def up(self, project_dir: Path) -> None:
        self.compose(project_dir).up()

    def down(self, project_dir: Path) -> None:
        self.compose(project_dir).down()

    def stop(self, project_dir: Path) -> None:
        self.compose(project_dir).stop()

    def stop_checked(self, project_dir: Path, *, min_grace_s: float | None) -> list[StopReport]:
        return stop_and_check(self.compose(project_dir), self.client, min_grace_s=min_grace_s)

    def wait_healthy(
        self,
        project_dir: Path,
        *,
        timeout_s: float,
        settle_s: float,
        emit: Emit = discard,
        cancel: threading.Event | None = None,
    ) -> float | None:
        compose = self.compose(project_dir)
        project, services = compose.project_and_services()
        return health.wait_healthy(
            self.client,
            project,
            services,
            timeout_s=timeout_s,
            settle_s=settle_s,
            emit=emit,
            cancel=cancel,
        )
