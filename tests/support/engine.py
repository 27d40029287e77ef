"""Real Docker engine fixtures and helpers (pytest plugin, see tests/conftest.py).

Fixtures:
    docker_client         session: a connected ``docker.DockerClient``
    compose_cli           session: argv prefix that runs compose v2 (``["docker", "compose"]``)
    image_factory         build busybox images with unique refs; removed at teardown
    compose_project       make unique compose projects; ``down`` at teardown
    local_registry        Debian's docker-registry on 127.0.0.1 (tests/support/registry.py)

No engine: ``pytest.fail`` when ``$CI`` is set (never skip in CI), else ``pytest.skip``.
Every name (image ref, project) is unique per test, because several people run
tests on the same engine at the same time.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from tests.support.images import FileContent, busybox_image, write_image_tar

_SETUP_HINT = "run `sudo scripts/setup_engine.sh` to install and start one"


def _no_engine(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"ENGINE TESTS CANNOT RUN IN CI: {reason}; {_SETUP_HINT}", pytrace=False)
    pytest.skip(f"{reason}; {_SETUP_HINT}")


def unique_name(prefix: str = "tuitest") -> str:
    """Lower-case, compose-project-safe and unique across concurrent runs."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (host-network stacks bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        _no_engine(f"no Docker engine answers at {host}: {exc}")
        raise  # unreachable: _no_engine always raises
    yield client
    client.close()


@pytest.fixture(scope="session")
def compose_cli(docker_client: docker.DockerClient) -> list[str]:
    docker_bin = shutil.which("docker")
    if docker_bin is None:
        _no_engine("no `docker` CLI on PATH")
        raise AssertionError("unreachable")
    argv = [docker_bin, "compose"]
    proc = subprocess.run([*argv, "version"], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or "v2." not in proc.stdout:
        _no_engine(f"`docker compose` v2 plugin missing: {proc.stderr.strip() or proc.stdout}")
    return argv


# --- images -------------------------------------------------------------------


def load_image_tar(client: docker.DockerClient, path: Path) -> list[dict[str, Any]]:
    """Stream a tar to the engine the simple way; raise on an error event."""
    api: Any = client.api  # the stubs leave load_image untyped
    with path.open("rb") as fh:
        events: list[dict[str, Any]] = list(api.load_image(fh, quiet=False))
    for event in events:
        if "error" in event or "errorDetail" in event:
            raise RuntimeError(f"docker load {path}: {event}")
    return events


def build_busybox_image(
    client: docker.DockerClient,
    ref: str,
    *,
    files: Mapping[str, FileContent] | None = None,
    layers: int = 1,
    unique_layers: bool = False,
) -> str:
    """Build ``ref`` from /bin/busybox (+ applet symlinks) without a registry.

    ``layers`` layers (busybox first, ``files`` in the last one). Returns the
    image ID (``sha256:...``) as the engine names it (the config digest on the
    classic store, the manifest digest on the containerd store); each call
    yields a new ID (nonce label).
    ``unique_layers``: no layer is shared with any other image on the engine.
    """
    with tempfile.TemporaryDirectory(prefix="tuitest-img-") as work:
        tar = Path(work) / "image.tar"
        (info,) = write_image_tar(
            tar, [busybox_image([ref], files=files, layers=layers, unique_layers=unique_layers)]
        )
        load_image_tar(client, tar)
    got = str(client.images.get(ref).id)
    if got != info.image_id:
        stored = config_digest(client, ref)
        assert stored == info.image_id, f"engine stored {ref} as {stored}, expected {info.image_id}"
    return got


def config_digest(client: docker.DockerClient, ref: str) -> str:
    """The digest of ``ref``'s config JSON, whichever store the engine has.

    The classic store's image ID is that digest; the containerd store's is the
    manifest's, and its API (1.45) does not show the config's: ``docker save``
    does, in manifest.json (both stores write one).
    """
    with tempfile.TemporaryDirectory(prefix="tuitest-save-") as work:
        path = save_image_tar(client, ref, Path(work) / "image.tar")
        with tarfile.open(path) as tar:
            member = tar.extractfile("manifest.json")
            assert member is not None, f"docker save {ref}: no manifest.json"
            entries: list[dict[str, Any]] = json.load(member)
    for entry in entries:
        if ref in (entry.get("RepoTags") or []) or len(entries) == 1:
            config = str(entry["Config"])
            return "sha256:" + config.rsplit("/", 1)[-1].removesuffix(".json")
    raise AssertionError(f"docker save {ref}: not in its manifest.json")


def run_output(client: docker.DockerClient, ref: str, argv: list[str]) -> bytes:
    """Run ``argv`` in ``ref`` (no network) and return its stdout, the container removed.

    Not ``containers.run(remove=True)``: the SDK removes the container before it
    reads the log stream, and Docker 26 may then end that stream empty.
    """
    container = client.containers.run(ref, argv, detach=True, network_mode="none")
    try:
        status = container.wait(timeout=60)["StatusCode"]
        out: bytes = container.logs(stdout=True, stderr=False)
        assert status == 0, f"{argv} in {ref} exited {status}: {container.logs()!r}"
        return out
    finally:
        container.remove(force=True)


def save_image_tar(client: docker.DockerClient, ref: str, path: Path) -> Path:
    """``docker save ref > path``, streamed."""
    image = client.images.get(ref)
    with path.open("wb") as fh:
        for chunk in image.save(named=True):
            fh.write(chunk)
    return path


def remove_image_quietly(client: docker.DockerClient, ref_or_id: str) -> None:
    with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
        client.images.remove(ref_or_id, force=True, noprune=False)


@dataclass(frozen=True, slots=True)
class BuiltImage:
    ref: str
    image_id: str


@dataclass
class ImageFactory:
    """Builds images with unique refs and remembers them for teardown."""

    client: docker.DockerClient
    created: list[str] = field(default_factory=list)

    def __call__(
        self,
        repo: str = "tuitest/app",
        tag: str = "1.0.0",
        *,
        files: Mapping[str, FileContent] | None = None,
        layers: int = 1,
        unique_layers: bool = False,
    ) -> BuiltImage:
        ref = f"{unique_name(repo)}:{tag}"
        image_id = build_busybox_image(
            self.client, ref, files=files, layers=layers, unique_layers=unique_layers
        )
        self.created.append(image_id)
        return BuiltImage(ref, image_id)

    def track(self, ref_or_id: str) -> None:
        """Also remove this (test-created) image at teardown."""
        self.created.append(ref_or_id)


@pytest.fixture
def image_factory(docker_client: docker.DockerClient) -> Iterator[ImageFactory]:
    factory = ImageFactory(docker_client)
    yield factory
    for ref_or_id in reversed(factory.created):
        remove_image_quietly(docker_client, ref_or_id)


# --- compose stacks -----------------------------------------------------------


def web_service(image: str, port: int, *, healthcheck: bool = True) -> dict[str, Any]:
    """busybox httpd on 127.0.0.1:port (host network), optionally with a wget check."""
    service: dict[str, Any] = {
        "image": image,
        "pull_policy": "never",
        "init": True,
        "network_mode": "host",
        "restart": "unless-stopped",
        "command": ["httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", "/www"],
    }
    if healthcheck:
        service["healthcheck"] = {
            "test": ["CMD", "wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{port}/"],
            "interval": "1s",
            "timeout": "2s",
            "retries": 30,
        }
    return service


def sleep_service(image: str) -> dict[str, Any]:
    return {
        "image": image,
        "pull_policy": "never",
        "init": True,
        "network_mode": "none",
        "restart": "unless-stopped",
        "command": ["sleep", "3600"],
    }


def two_service_stack(image: str, port: int) -> dict[str, dict[str, Any]]:
    return {"web": web_service(image, port), "worker": sleep_service(image)}


def write_stack(
    directory: Path,
    project: str,
    services: Mapping[str, Mapping[str, Any]],
    *,
    filename: str = "compose.yaml",
) -> Path:
    """Write a compose file (JSON is valid YAML, so no YAML library is needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    body = {"name": project, "services": {k: dict(v) for k, v in services.items()}}
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True, slots=True)
class ComposeProject:
    name: str
    directory: Path
    cli: tuple[str, ...]

    def write(self, services: Mapping[str, Mapping[str, Any]]) -> Path:
        return write_stack(self.directory, self.name, services)

    def run(
        self, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """``docker compose -p NAME <args>`` in the project dir."""
        proc = subprocess.run(
            [*self.cli, "-p", self.name, *args],
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"compose {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc

    def down(self) -> None:
        self.run("down", "--remove-orphans", "--volumes", "--timeout", "2", check=False)


@pytest.fixture
def compose_project(
    compose_cli: list[str], tmp_path: Path
) -> Iterator[Callable[[str], ComposeProject]]:
    """Factory: ``compose_project("web")`` -> a unique project in its own dir."""
    made: list[ComposeProject] = []

    def make(prefix: str = "tuitest") -> ComposeProject:
        name = unique_name(prefix)
        project = ComposeProject(name, tmp_path / name, tuple(compose_cli))
        project.directory.mkdir(parents=True)
        made.append(project)
        return project

    yield make
    for project in reversed(made):
        project.down()


def project_containers(client: docker.DockerClient, project: str) -> dict[str, Any]:
    """service name -> container of a compose project (all states)."""
    found = client.containers.list(
        all=True, filters={"label": f"com.docker.compose.project={project}"}
    )
    return {c.labels["com.docker.compose.service"]: c for c in found}


# Registered here so every test can use it (this module is the pytest plugin).
from tests.support.registry import local_registry  # noqa: E402, F401
