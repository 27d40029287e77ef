"""After a load: does the engine really have every image of the archive, with its layers?

Neither the status nor the stream proves it. The containerd image store imports
an archive before it unpacks it, so an image whose unpack failed is still found
by ``image inspect``, its layers listed from its config, yet no container can be
created from it; Docker 26 sends an error event then, later engines print
"Error unpacking image ..." and answer 200 without one. What holds on both
stores: each of the archive's names inspects as an image whose ``RootFS.Layers``
are the archive's diff IDs, and the engine lists that image (the containerd
store leaves images whose content is missing out of its list).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import docker
import docker.errors

from tui_upgrader.core.errors import DockerError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.images._internal.tar_layout import ImageEntry
from tui_upgrader.ops.images.engine import api, docker_errors

logger = logging.getLogger(__name__)

UNPACK_ERROR = "Error unpacking image"


def unpack_error(line: str) -> str | None:
    """The engine's own words when a stream line says an unpack failed (containerd store)."""
    return line.strip() if line.strip().startswith(UNPACK_ERROR) else None


def _inspect(client: docker.DockerClient, name: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = api(client).inspect_image(name)
    except docker.errors.NotFound:
        return None
    except docker.errors.APIError as exc:
        if exc.status_code == 400:  # a malformed name is an answer too: no such image
            return None
        raise
    return found


def _layers(attrs: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(d) for d in (attrs.get("RootFS") or {}).get("Layers") or ())


def verify_loaded(
    client: docker.DockerClient, entries: Sequence[ImageEntry], reported_ids: Iterable[str]
) -> None:
    """Raise ``DockerError`` naming the first image of ``entries`` the engine lacks.

    Tagged images are looked up by each of their tags; an untagged one by its
    config digest (the classic store's ID) or by any ID the engine reported
    loaded (the manifest digest on the containerd store).
    """
    if not entries:
        return  # an archive we could not index: the engine's own report is all there is
    reported = tuple(dict.fromkeys(reported_ids))
    with docker_errors("checking the loaded images"):
        # Top-level images only: loaded ones are, and `all` adds every build step
        # of the classic store (thousands on a build host).
        listed = {str(image.get("Id")) for image in api(client).images()}
        for entry in entries:
            _verify_entry(client, entry, reported, listed)


def _verify_entry(
    client: docker.DockerClient,
    entry: ImageEntry,
    reported: tuple[str, ...],
    listed: set[str],
) -> None:
    names = entry.refs or (entry.config_digest, *reported)
    found: list[tuple[str, dict[str, Any]]] = []
    for name in names:
        attrs = _inspect(client, name)
        if attrs is not None:
            found.append((name, attrs))
        elif entry.refs:
            raise DockerError(
                _("the engine reported the load done but has no image {name}").format(name=name)
            )
    good = [(n, a) for n, a in found if _layers(a) == entry.diff_ids]
    if entry.refs and len(good) != len(found):
        name, attrs = next((n, a) for n, a in found if _layers(a) != entry.diff_ids)
        raise DockerError(
            _(
                "after the load, {name} has {got} layer(s), not the archive's {want}: "
                "the engine did not load it"
            ).format(name=name, got=len(_layers(attrs)), want=len(entry.diff_ids))
        )
    if not good:
        raise DockerError(
            _("the engine reported the load done but has no image {name}").format(
                name=entry.config_digest[:19]
            )
        )
    for name, attrs in good:
        if str(attrs.get("Id")) not in listed:
            raise DockerError(
                _(
                    "after the load, {name} is inspectable but the engine does not list it "
                    "(its content is incomplete: the unpack failed)"
                ).format(name=name)
            )
    logger.info("load check: %s present with its %d layer(s)", names[0], len(entry.diff_ids))
