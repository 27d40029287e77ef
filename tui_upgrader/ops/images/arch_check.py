"""Which architecture the engine runs, and whether a package's images match it.

The package is chosen for the engine's architecture, not the laptop's: with
``DOCKER_HOST=ssh://arm64-host`` the aarch64 package is the right one. And the
images are checked against it before the stop: a generic package that holds
x86_64 images (what the original publisher ships as ``packages.full``) is
refused on an arm64 engine while the old stack still runs.
"""

from __future__ import annotations

import json
import logging
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import zstandard

from tui_upgrader.core.arch import Arch, docker_arch, named_arch
from tui_upgrader.core.errors import DockerError, PackageError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.images._internal.tar_layout import _norm, compression_of, scan_image_tar
from tui_upgrader.ops.images.engine import DEFAULT_TIMEOUT_S, connect, docker_errors

logger = logging.getLogger(__name__)

# `docker info` on a remote engine over ssh: a few seconds at most.
_INFO_TIMEOUT_S = min(DEFAULT_TIMEOUT_S, 20)


def engine_architecture() -> Arch | str:
    """``docker info``'s Architecture of the engine DOCKER_HOST / the context names."""
    client = connect(_INFO_TIMEOUT_S)
    try:
        with docker_errors(_("reading the engine's architecture")):
            info: dict[str, Any] = client.info()
    finally:
        client.close()
    name = info.get("Architecture")
    if not isinstance(name, str) or not name.strip():
        raise DockerError(_("the Docker engine does not say its architecture (docker info)"))
    return named_arch(name)


def image_architectures(tar: Path) -> list[tuple[str, str]]:
    """(image, architecture) for every image of a ``docker save`` / OCI archive."""
    _members, small = scan_image_tar(tar, compression_of(tar))
    found: list[tuple[str, str]] = []
    for entry in json.loads(small["manifest.json"]):
        config = json.loads(small[_norm(entry["Config"])])
        tags = entry.get("RepoTags") or []
        label = str(tags[0]) if tags else str(entry["Config"])
        found.append((label, str(config.get("architecture") or "")))
    return found


def check_image_architectures(tars: Sequence[Path], arch: Arch | str) -> None:
    """Refuse, before anything is loaded or stopped, an image built for another engine.

    An archive we cannot read is left to ``docker load`` to judge (its message
    is the one to show); an image whose config names no architecture passes.
    """
    for tar in tars:
        try:
            images = image_architectures(tar)
        except (tarfile.TarError, OSError, EOFError, KeyError, TypeError, ValueError,
                zstandard.ZstdError) as exc:  # fmt: skip
            logger.warning("cannot read the image configs of %s (%s)", tar, exc)
            continue
        for image, have in images:
            refuse_foreign(tar.name, image, have, arch)


def refuse_foreign(source: str, image: str, have: str, arch: Arch | str) -> None:
    """PackageError when ``image`` (from ``source``) is built for another engine."""
    want = docker_arch(arch)
    if have and named_arch(have) != named_arch(want):
        raise PackageError(
            _(
                "{tar}: image {image} is built for {have}, but the Docker engine "
                "runs {want}; nothing was stopped"
            ).format(tar=source, image=image, have=have, want=want)
        )
