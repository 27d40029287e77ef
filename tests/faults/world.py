"""What every fault case shares: two releases, their store, a pristine deploy dir.

A ``World`` is built once per engine (pytest session, or one soak run): the demo's
1.0.0 and 1.1.0 release folders, widened with what a byte-exact check must see
(a symlink, an empty directory, a 0640 file); a release store made with the real
``tui-upgrader release build``, served by the real ``tui-upgrader serve``; the
pristine deploy dir at 1.0.0 that every case copies; and, from one clean upgrade,
the exact tree and images of 1.1.0 plus the step boundaries its JSON events show.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors

from tests.faults.snapshot import Tree
from tests.support.engine import free_port, unique_name
from tests.support.engine_env import remove_images
from tests.support.waiting import wait_for
from tui_upgrader.demo.releases import DemoLayout, build_demo

OLD, NEW = "1.0.0", "1.1.0"
VERSIONS = {"old": "1.0.0.0", "new": "1.1.0.0"}
STATE_DIR = ".tui-upgrader"
CLI = (sys.executable, "-m", "tui_upgrader")
ARCH_ENV = {"TUI_UPGRADER_ARCH": "x86_64"}


def write_config(path: Path, **values: Any) -> Path:
    """The one place fault configs are written (TOML; JSON strings are TOML strings)."""
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items() if value is not None]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def widen_release(folder: Path, version: str) -> None:
    """What the demo lacks and a byte-exact check must see: an empty dir, an executable.

    (Packages carry no symlinks and only 0644/0755 modes, by design: see ``zipwriter``.)
    """
    (folder / "app" / "spool").mkdir(exist_ok=True)
    hook = folder / "app" / "migrate"
    hook.write_text(f"#!/bin/sh\necho migrating to {version}\n", encoding="utf-8")
    hook.chmod(0o755)


def widen_data(deploy: Path) -> None:
    """The admin's own data/: a symlink (packages carry none), an empty dir, a private file."""
    data = deploy / "data"
    (data / "current.csv").symlink_to("users.csv")
    (data / "exports").mkdir()
    (data / "db" / "demo.sqlite.txt").chmod(0o600)
    # Incompressible, so a backup needs real space (the disk-full cases fill it).
    (data / "db" / "blobs.bin").write_bytes(random.Random(10).randbytes(1024 * 1024))


@dataclass
class World:
    root: Path
    client: docker.DockerClient
    docker_env: Mapping[str, str]  # DOCKER_HOST for the CLI runs (empty: the shared engine)
    layout: DemoLayout = field(init=False)
    project: str = field(init=False)
    store: Path = field(init=False)
    manifest_url: str = field(init=False)
    pristine: Path = field(init=False)
    package: Path = field(init=False)
    package_sha256: str = field(init=False)
    old_tree: Tree = field(default_factory=dict)
    new_tree: Tree = field(default_factory=dict)
    image_ids: dict[str, str] = field(default_factory=dict)
    boundaries: list[str] = field(default_factory=list)
    step_events: dict[str, int] = field(default_factory=dict)
    moves: int = 0  # renames the apply step makes (its "apply plan" log line)
    _server: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **ARCH_ENV, **self.docker_env}

    def image_ref(self, which: str) -> str:
        return self.layout.images[OLD if which == "old" else NEW]

    def build(self) -> None:
        self.project = unique_name("tuifault")
        self.layout = build_demo(
            self.root / "demo",
            port=free_port(),
            project=self.project,
            image_repo=f"tuitest/{self.project}",
        )
        self.store = self.root / "store"
        for version in (OLD, NEW):
            src = self.layout.sources[version]
            widen_release(src, version)
            self.run_cli(
                "release", "build", str(src), "--version", version, "--out", str(self.store)
            )
        doc = json.loads((self.store / "manifest.json").read_text(encoding="utf-8"))
        entry = doc["platforms"]["x86_64"]
        self.package = self.store / entry["url"].lstrip("/")
        self.package_sha256 = entry["hash"].removeprefix("sha256:")
        self.pristine = self.root / "pristine"
        shutil.copytree(self.layout.deploy_dir, self.pristine, symlinks=True)
        widen_release(self.pristine, OLD)
        widen_data(self.pristine)
        self._load(self.layout.installed_images)
        self.image_ids["old"] = str(self.client.images.get(self.image_ref("old")).id)
        self.image_ids["new"] = _image_id_in_tar(self.layout.sources[NEW] / "images" / "web.tar")
        self._serve()

    def run_cli(self, *args: str) -> str:
        proc = subprocess.run(
            [*CLI, *args], capture_output=True, text=True, env=self.env, timeout=300, check=False
        )
        if proc.returncode != 0:
            raise AssertionError(f"tui-upgrader {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout

    def _serve(self) -> None:
        port = free_port()
        self._server = subprocess.Popen(
            [*CLI, "serve", str(self.store), "--host", "127.0.0.1", "--port", str(port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.manifest_url = f"http://127.0.0.1:{port}/manifest.json"
        wait_for(self._answers, timeout_s=30, what=f"tui-upgrader serve on port {port}")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.manifest_url, timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    def _load(self, tars: tuple[Path, ...] | list[Path]) -> None:
        api: Any = self.client.api
        for tar in tars:
            with tar.open("rb") as fh:
                for event in api.load_image(fh, quiet=True):
                    if "error" in event:
                        raise AssertionError(f"docker load {tar}: {event['error']}")

    def ensure_old_image(self) -> None:
        try:
            self.client.images.get(self.image_ref("old"))
        except docker.errors.ImageNotFound:
            self._load(self.layout.installed_images)

    def drop_new_image(self) -> None:
        """So each upgrade really loads it (a kill inside LoadingImages has work to hit)."""
        with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
            self.client.images.remove(self.image_ref("new"), force=True)

    def close(self) -> None:
        if self._server is not None:
            self._server.kill()
            self._server.wait(timeout=10)
        remove_images(self.client, self.layout.images.values(), self.project)


def _image_id_in_tar(tar: Path) -> str:
    """The image ID a ``docker save`` tar holds (its config digest), read without an engine."""
    import tarfile

    with tarfile.open(tar) as tf:
        member = tf.extractfile("manifest.json")
        assert member is not None
        config = json.load(member)[0]["Config"]
    name = Path(config).name.removesuffix(".json")
    return "sha256:" + name.rsplit("/", 1)[-1]


@contextlib.contextmanager
def built_world(
    root: Path, client: docker.DockerClient, docker_env: Mapping[str, str] | None = None
) -> Iterator[World]:
    world = World(root, client, dict(docker_env or {}))
    try:
        world.build()
        from tests.faults.case import reference_run

        reference_run(world)
        yield world
    finally:
        world.close()
