"""``docker load`` through the Engine API with honest per-layer progress.

The archive is streamed to the engine in 256 KiB chunks, never read whole. Two
sources feed each layer's progress, each worth half of it:

* the bytes of that layer we have sent (counted here, so progress is true on
  engines that report nothing, e.g. the containerd image store);
* the engine's ``Loading layer`` events, which only start once it has the whole
  archive (engine 20.10) and skip layers it already has.

Every layer ends at done == total == its size in the archive.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests
from docker.utils.json_stream import json_stream

from tui_upgrader.core.errors import CancelledError, DockerError
from tui_upgrader.core.events import Emit, LayerEvent
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.images._internal.tar_layout import (
    TarIndex,
    TarLayer,
    index_image_tar,
    open_plain,
)
from tui_upgrader.ops.images.engine import (
    api,
    docker_errors,
    event_error,
    image_id,
    normalise_ref,
    tag_image,
)
from tui_upgrader.ops.images.load_check import unpack_error, verify_loaded

logger = logging.getLogger(__name__)

CHUNK = 1 << 18
# The engine answers nothing until it has the whole archive and, on the
# containerd store, nothing until it has imported it: allow a long silence.
LOAD_READ_TIMEOUT_S = 1800


@dataclass(frozen=True, slots=True)
class LoadResult:
    refs: tuple[str, ...]  # every "Loaded image: X"
    image_ids: tuple[str, ...]  # every "Loaded image ID: sha256:..."


class LayerProgress:
    """Per-layer ``done`` = (bytes sent + engine progress) / 2, capped at the size."""

    def __init__(self, layers: tuple[TarLayer, ...], emit: Emit) -> None:
        self._layers = layers
        self._emit = emit
        self._sent = [0] * len(layers)
        self._engine = [0] * len(layers)
        self._last = [-1] * len(layers)
        self._by_id = {layer.layer_id: i for i, layer in enumerate(layers)}
        self._next = 0  # first layer the upload has not passed yet

    def start(self) -> None:
        for i in range(len(self._layers)):
            self._report(i, force=True)

    def sent(self, start: int, end: int) -> None:
        """Bytes [start, end) of the plain stream went to the engine."""
        i = self._next
        while i < len(self._layers) and self._layers[i].offset < end:
            layer = self._layers[i]
            layer_end = layer.offset + layer.size
            overlap = min(end, layer_end) - max(start, layer.offset)
            if overlap > 0:
                self._sent[i] += overlap
                self._report(i)
            if layer_end <= end and i == self._next:
                self._next = i + 1
            i += 1

    def engine(self, layer_id: str, current: int, total: int) -> bool:
        """An engine ``Loading layer`` event; False when the layer is not ours."""
        i = self._by_id.get(layer_id)
        if i is None:
            return False
        size = self._layers[i].size
        scaled = size if total <= 0 else min(size, current * size // total)
        self._engine[i] = max(self._engine[i], scaled)
        self._report(i)
        return True

    def finish(self) -> None:
        """The engine loaded everything: layers it skipped (it had them) end too."""
        for i, layer in enumerate(self._layers):
            self._sent[i] = self._engine[i] = layer.size
            self._report(i, force=True)

    def _report(self, i: int, *, force: bool = False) -> None:
        layer = self._layers[i]
        done = min(layer.size, (self._sent[i] + self._engine[i]) // 2)
        step = max(1, layer.size // 100)
        if done == self._last[i] or (
            not force and done < layer.size and done - self._last[i] < step
        ):
            return
        self._last[i] = done
        self._emit(LayerEvent(layer.image, layer.layer_id, "loading", done, layer.size))


def _plain_chunks(path: Path, compression: str | None) -> Iterator[bytes]:
    with open_plain(path, compression) as stream:
        while chunk := stream.read(CHUNK):
            yield chunk


def _body(
    chunks: Iterator[bytes], name: str, progress: LayerProgress, cancel: threading.Event | None
) -> Iterator[bytes]:
    position = 0
    for chunk in chunks:
        if cancel is not None and cancel.is_set():
            raise CancelledError(_("loading {name} cancelled").format(name=name))
        yield chunk
        progress.sent(position, position + len(chunk))
        position += len(chunk)


def _post_load(client: docker.DockerClient, body: Iterator[bytes]) -> requests.Response:
    low: Any = api(client)
    url = f"{low.base_url}/v{low.api_version}/images/load"
    response: requests.Response = low.post(
        url,
        data=body,
        params={"quiet": "0"},
        stream=True,
        timeout=(low.timeout, LOAD_READ_TIMEOUT_S),
        headers={"Content-Type": "application/x-tar"},
    )
    try:
        response.raise_for_status()
    except requests.exceptions.HTTPError as exc:
        raise docker.errors.create_api_error_from_http_exception(exc) from exc
    return response


def load_image_tar(
    client: docker.DockerClient,
    path: Path,
    emit: Emit,
    cancel: threading.Event | None = None,
) -> LoadResult:
    """Stream ``path`` to the engine; the images it held, as the engine named them.

    Any error the engine reports (an HTTP error or an ``error`` event in the
    stream, which arrives with HTTP 200) raises ``DockerError`` with its text.
    """
    index = index_image_tar(path)
    chunks = _plain_chunks(path, index.compression)
    return load_stream(client, index, chunks, path.name, emit, cancel)


def load_stream(
    client: docker.DockerClient,
    index: TarIndex,
    chunks: Iterator[bytes],
    name: str,
    emit: Emit,
    cancel: threading.Event | None = None,
) -> LoadResult:
    """Stream an archive laid out as ``index`` says (the plain tar) to the engine."""
    progress = LayerProgress(index.layers, emit)
    progress.start()
    refs: list[str] = []
    ids: list[str] = []
    what = f"loading image archive {name}"
    logger.info("%s: %d layer(s) of %s", what, len(index.layers), ", ".join(index.images))
    with docker_errors(what):
        response = _post_load(client, _body(chunks, name, progress, cancel))
        with response:
            for raw_event in json_stream(response.iter_content(chunk_size=None)):
                if not isinstance(raw_event, dict):
                    continue
                event: dict[str, Any] = raw_event
                if cancel is not None and cancel.is_set():
                    # The engine has the whole archive and may still finish
                    # the load; nothing stops yet, so that is harmless.
                    raise CancelledError(_("loading {name} cancelled").format(name=name))
                message = event_error(event)
                if message is not None:
                    raise DockerError(f"{what}: {message}")
                if event.get("status") == "Loading layer":
                    detail = event.get("progressDetail") or {}
                    layer_id = str(event.get("id") or "")
                    current, total = int(detail.get("current") or 0), int(detail.get("total") or 0)
                    if not progress.engine(layer_id, current, total):
                        emit(LayerEvent(name, layer_id, "loading", current, total or None))
                for line in str(event.get("stream") or "").splitlines():
                    if line.startswith("Loaded image ID:"):
                        ids.append(line.removeprefix("Loaded image ID:").strip())
                    elif line.startswith("Loaded image:"):
                        refs.append(line.removeprefix("Loaded image:").strip())
                    elif (failed := unpack_error(line)) is not None:
                        raise DockerError(f"{what}: {failed}")
                    elif line.strip():
                        logger.info("%s: %s", what, line.strip())
    if not refs and not ids:
        raise DockerError(_("{what}: the engine reported no image loaded").format(what=what))
    verify_loaded(client, index.entries, ids)
    progress.finish()
    logger.info("%s: loaded %s", what, ", ".join(refs + ids))
    return LoadResult(tuple(refs), tuple(ids))


def tag_loaded(client: docker.DockerClient, result: LoadResult) -> list[str]:
    """Give loaded images their normalised tags (arch suffix dropped).

    Returns the normalised references, then the IDs of images loaded without
    any tag, so callers get one usable name per image.
    """
    names: list[str] = []
    tagged: set[str] = set()
    for ref in result.refs:
        found = image_id(client, ref)
        if found is None:
            raise DockerError(
                _("image {ref} was reported loaded but the engine does not have it").format(ref=ref)
            )
        target = normalise_ref(ref)
        tag_image(client, ref, target)
        tagged.add(found)
        if target not in names:
            names.append(target)
    names.extend(i for i in dict.fromkeys(result.image_ids) if i not in tagged)
    return names
