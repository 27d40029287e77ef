"""Thin image loads: ask the engine which layer chains it has, load only the others.

On the classic (graphdriver) image store ``docker load`` looks each layer up by
its chain ID before it opens the layer's file (moby ``image/tarexport/load.go``:
``lss.Get(chainID)`` before ``loadLayer``), so an archive may leave out the
files of layers the engine has. The archive is built here, streamed from the
downloaded blobs (``docker save`` v1.2 layout: ``manifest.json``, configs,
``<diff_id>/layer.tar`` for missing layers only), with the loader's per-layer
progress. The containerd image store has no such lookup in ``docker load``
(and reports an unpack failure with success), so it is not offered a thin
archive. After any thin load, ``verify_loaded`` checks every image with
``image inspect``: the load's own status is never trusted.
"""

from __future__ import annotations

import json
import logging
import tarfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

from tui_upgrader.core.errors import DockerError
from tui_upgrader.core.events import Emit, LayerEvent
from tui_upgrader.core.i18n import _
from tui_upgrader.core.image_index import Blob, ThinPlan, chain_ids
from tui_upgrader.ops.images._internal.tar_layout import TarIndex, TarLayer
from tui_upgrader.ops.images.engine import api, docker_errors, normalise_ref
from tui_upgrader.ops.images.load import CHUNK, load_stream, tag_loaded

logger = logging.getLogger(__name__)

BLOCK = 512
CONTAINERD_SNAPSHOTTER = "io.containerd.snapshotter"


class ThinLoadError(DockerError):
    """The engine cannot take (or did not take) the thin archive."""


def uses_containerd_store(client: docker.DockerClient) -> bool:
    with docker_errors("asking the engine for its image store"):
        info: dict[str, Any] = client.info()
    status = info.get("DriverStatus") or []
    return any(
        isinstance(row, list) and len(row) == 2 and CONTAINERD_SNAPSHOTTER in str(row[1])
        for row in status
    )


def present_chains(client: docker.DockerClient) -> dict[str, str]:
    """Chain ID -> an image holding it, for every layer any image of the engine has."""
    low: Any = api(client)
    chains: dict[str, str] = {}
    with docker_errors("asking the engine which layers it has"):
        summaries: list[dict[str, Any]] = low.images(all=True)
        for summary in summaries:
            for chain in _chains_of(low, str(summary["Id"])):
                chains.setdefault(chain, str(summary["Id"]))
    return chains


def _chains_of(low: Any, image: str) -> list[str]:
    try:
        info = low.inspect_image(image)
    except docker.errors.NotFound:
        return []  # removed since the listing
    return chain_ids((info.get("RootFS") or {}).get("Layers") or [])


def _gone(client: docker.DockerClient, plan: ThinPlan) -> set[str]:
    """Chains the plan counts on that the engine no longer has.

    The images that held them at planning time are asked first (a few calls);
    only when one of those changed is every image asked again.
    """
    counted = plan.missing_now(set())
    with docker_errors("asking the engine which layers it has"):
        low: Any = api(client)
        found: set[str] = set()
        for image in {plan.holders[c] for c in counted if c in plan.holders}:
            found.update(_chains_of(low, image))
    if counted <= found:
        return set()
    return plan.missing_now(set(present_chains(client)))


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    size: int
    data: bytes | None  # small members
    path: Path | None  # layer files
    directory: bool = False


def _header(entry: _Entry) -> bytes:
    info = tarfile.TarInfo(entry.name)
    info.mtime = 0
    if entry.directory:
        info.type, info.mode = tarfile.DIRTYPE, 0o755
    else:
        info.size, info.mode = entry.size, 0o644
    return info.tobuf(tarfile.USTAR_FORMAT)


def _entries(plan: ThinPlan, blob_path: Callable[[Blob], Path]) -> tuple[list[_Entry], TarIndex]:
    manifest: list[dict[str, Any]] = []
    configs: list[_Entry] = []
    layers: list[tuple[_Entry, str]] = []
    seen: set[str] = set()
    for image in plan.index.images:
        names: list[str] = []
        for layer, needed in zip(image.layers, plan.needs(image), strict=True):
            hex_id = layer.diff_id.removeprefix("sha256:")
            names.append(f"{hex_id}/layer.tar")
            if needed and hex_id not in seen:
                seen.add(hex_id)
                path = blob_path(layer.blob)
                layers.append((_Entry(names[-1], layer.blob.size, None, path), image.label))
        config = blob_path(image.config).read_bytes()
        configs.append(_Entry(f"{image.config.hex}.json", len(config), config, None))
        manifest.append(
            {"Config": configs[-1].name, "RepoTags": list(image.tags) or None, "Layers": names}
        )
    head = json.dumps(manifest).encode()
    entries = [_Entry("manifest.json", len(head), head, None), *configs]
    offset = sum(BLOCK + _padded(e.size) for e in entries)
    tar_layers: list[TarLayer] = []
    for entry, label in layers:
        directory = _Entry(entry.name.split("/")[0], 0, None, None, directory=True)
        entries += [directory, entry]
        offset += BLOCK
        layer_id = entry.name[:12]
        tar_layers.append(TarLayer(entry.name, offset + BLOCK, entry.size, layer_id, label))
        offset += BLOCK + _padded(entry.size)
    images = tuple(image.label for image in plan.index.images)
    return entries, TarIndex(tuple(tar_layers), images, None, exact=True)


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _stream(entries: list[_Entry]) -> Iterator[bytes]:
    for entry in entries:
        yield _header(entry)
        if entry.data is not None:
            yield entry.data
        elif entry.path is not None:
            sent = 0
            with entry.path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    sent += len(chunk)
                    yield chunk
            if sent != entry.size:
                raise ThinLoadError(_("{path}: changed size while loading").format(path=entry.path))
        if entry.size % BLOCK:
            yield bytes(BLOCK - entry.size % BLOCK)
    yield bytes(2 * BLOCK)


def load_thin(
    client: docker.DockerClient,
    plan: ThinPlan,
    blob_path: Callable[[Blob], Path],
    emit: Emit,
    cancel: threading.Event | None = None,
) -> list[str]:
    """Load the images of ``plan`` with only the missing layers' files; verify them.

    Raises ThinLoadError when a layer the plan counted on is gone, the engine
    refuses the archive, or the result is not exactly the index's images.
    """
    gone = _gone(client, plan)
    if gone:
        raise ThinLoadError(
            _("the engine no longer has {count} layer(s) the thin download counted on").format(
                count=len(gone)
            )
        )
    entries, index = _entries(plan, blob_path)
    # Layers the engine has are done before the upload starts: shown as such,
    # so the layer table lists the whole image as a full load does.
    for image in plan.index.images:
        for layer, needed in zip(image.layers, plan.needs(image), strict=True):
            if not needed:
                size = layer.blob.size
                short = layer.diff_id.removeprefix("sha256:")[:12]
                emit(LayerEvent(image.label, short, "loading", size, size))
    try:
        result = load_stream(client, index, _stream(entries), "thin image archive", emit, cancel)
    except ThinLoadError:
        raise
    except DockerError as exc:
        raise ThinLoadError(str(exc)) from exc
    names = tag_loaded(client, result)
    verify_loaded(client, plan)
    return names


def verify_loaded(client: docker.DockerClient, plan: ThinPlan) -> None:
    """Every image of the index exists with exactly its layers, under each of its tags."""
    low: Any = api(client)
    for image in plan.index.images:
        want = [la.diff_id for la in image.layers]
        try:
            info = low.inspect_image(image.image_id)
        except docker.errors.NotFound:
            raise ThinLoadError(
                _("image {label} is not in the engine after the load").format(label=image.label)
            ) from None
        except docker.errors.APIError as exc:
            raise ThinLoadError(str(exc)) from exc
        got = (info.get("RootFS") or {}).get("Layers") or []
        if info.get("Id") != image.image_id or got != want:
            raise ThinLoadError(
                _("image {label} in the engine does not have the expected layers").format(
                    label=image.label
                )
            )
        for tag in image.tags:
            try:
                tagged = low.inspect_image(normalise_ref(tag)).get("Id")
            except docker.errors.APIError:
                tagged = None
            if tagged != image.image_id:
                raise ThinLoadError(
                    _("{tag} does not name the loaded image").format(tag=normalise_ref(tag))
                )
    logger.info("thin load verified: %d image(s) with exactly their layers", len(plan.index.images))
