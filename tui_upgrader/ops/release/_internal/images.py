"""Image tars for a release folder that ships none: saved from the local engine.

The images are the ones the compose file names. ``docker compose config
--images`` resolves them (it interpolates ``.env`` the way the deployment
will); without a compose CLI a plain ``image:`` scan is used, and a reference
that still needs interpolation is refused rather than guessed.

Each image is streamed from the engine (docker SDK ``Image.save``, 2 MiB
chunks) into ``images/<ref-as-file-name>-<arch>.tar``: the architecture suffix
is the runner's own rule for picking tars, so a package never ships an image
for the wrong machine.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import docker.errors

from tui_upgrader.core.errors import DockerError, EngineUnavailableError, InputError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.release._internal.diff import IMAGES_DIR, TreeFile

logger = logging.getLogger(__name__)

ClientFactory = Callable[[], Any]  # returns a docker.DockerClient (or a stand-in)

SAVE_CHUNK = 2 * 1024 * 1024
_IMAGE_LINE = re.compile(
    r"""^\s*["']?image["']?\s*:\s*(?:"([^"]+)"|'([^']+)'|((?:\$\{[^}]*\}|[^\s#,{}"'])+))""",
    re.MULTILINE,
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _compose_argv() -> list[str] | None:
    docker_bin = shutil.which("docker")
    if docker_bin is not None:
        probe = subprocess.run(
            [docker_bin, "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return [docker_bin, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def compose_images(compose_file: Path) -> list[str]:
    """Image references the compose file names, sorted and unique."""
    argv = _compose_argv()
    if argv is not None:
        proc = subprocess.run(
            [
                *argv,
                "-f",
                str(compose_file),
                "--project-directory",
                str(compose_file.parent),
                "config",
                "--images",
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if proc.returncode != 0:
            detail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise InputError(
                _("{compose_file}: compose cannot read it: {detail}").format(
                    compose_file=compose_file, detail=detail
                )
            )
        refs = {line.strip() for line in proc.stdout.splitlines() if line.strip()}
    else:
        text = compose_file.read_text(encoding="utf-8")
        refs = {next(g for g in groups if g) for groups in _IMAGE_LINE.findall(text)}
        needs_env = sorted(r for r in refs if "$" in r)
        if needs_env:
            raise InputError(
                _(
                    "{compose_file}: image {needs_env} needs .env interpolation and "
                    "no `docker compose` CLI is installed; put image tars in images/ "
                    "instead"
                ).format(compose_file=compose_file, needs_env=needs_env[0])
            )
    if not refs:
        raise InputError(
            _("{compose_file}: names no images and the release has no images/*.tar").format(
                compose_file=compose_file
            )
        )
    return sorted(refs)


def image_file_name(ref: str, docker_arch: str) -> str:
    """``acme/web:1.2`` -> ``acme_web_1.2-amd64.tar``."""
    return f"{_UNSAFE.sub('_', ref).strip('_')}-{docker_arch}.tar"


def connect(factory: ClientFactory | None = None) -> Any:
    """A client that answers; raises EngineUnavailableError saying what to do."""
    try:
        client = factory() if factory is not None else docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
        raise EngineUnavailableError(
            _(
                "the release folder has no images/*.tar and no Docker engine "
                "answers at {host} to save them from ({type}); add "
                "docker-save tars to images/ or start the engine"
            ).format(host=host, type=exc.__class__.__name__)
        ) from exc
    return client


def _get(client: Any, ref: str) -> Any:
    try:
        return client.images.get(ref)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.APIError as exc:
        raise DockerError(
            _("engine: cannot inspect image {ref}: {explanation}").format(
                ref=ref, explanation=exc.explanation
            )
        ) from exc


def image_ids(client: Any, refs: list[str], docker_arch: str) -> list[TreeFile]:
    """Old side of a diff: each image compared by ID, nothing saved."""
    found: list[TreeFile] = []
    for ref in refs:
        image = _get(client, ref)
        if image is None:
            logger.warning("old release image %s is not in the engine; the patch ships it", ref)
            continue
        rel = f"{IMAGES_DIR}/{image_file_name(ref, docker_arch)}"
        found.append(TreeFile(rel, None, 0, image_id=image.id))
    return found


def save_images(client: Any, refs: list[str], dest: Path, docker_arch: str) -> list[TreeFile]:
    """Stream each image into ``dest``; refuse one built for another architecture."""
    dest.mkdir(parents=True, exist_ok=True)
    saved: list[TreeFile] = []
    for ref in refs:
        image = _get(client, ref)
        if image is None:
            raise InputError(
                _(
                    "image {ref} named in the compose file is not in the local "
                    "engine and the release folder has no images/*.tar"
                ).format(ref=ref)
            )
        arch = str(image.attrs.get("Architecture") or docker_arch)
        if arch != docker_arch:
            raise InputError(
                _(
                    "image {ref} in the engine is {arch}, the package is for "
                    "{docker_arch}; put {docker_arch} image tars in images/ as "
                    "*-{docker_arch}.tar"
                ).format(ref=ref, arch=arch, docker_arch=docker_arch)
            )
        name = image_file_name(ref, docker_arch)
        path = dest / name
        try:
            with path.open("wb") as fh:
                for chunk in image.save(chunk_size=SAVE_CHUNK, named=ref):
                    fh.write(chunk)
        except docker.errors.APIError as exc:
            raise DockerError(
                _("engine: cannot save image {ref}: {explanation}").format(
                    ref=ref, explanation=exc.explanation
                )
            ) from exc
        logger.info("saved %s (%s) to %s", ref, image.id, path)
        saved.append(TreeFile(f"{IMAGES_DIR}/{name}", path, path.stat().st_size, image_id=image.id))
    return saved
