"""Busybox images for engine tests: the demo's ``docker save`` writer, made unique per test.

``tui_upgrader.demo.images`` writes the archives (several images, untagged
ones, layers from host files). Here each image gets a nonce label, so two tests
never share an image ID and removing one test's image can never touch
another's; ``unique_layers`` puts the nonce in every layer as well.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tui_upgrader.demo import images as _images
from tui_upgrader.demo.images import (
    FileContent,
    ImageDef,
    ImageInfo,
    LayerFiles,
    LayerInfo,
    base_layer,
    docker_arch,
    write_image_tar,
)

__all__ = [
    "FileContent",
    "ImageDef",
    "ImageInfo",
    "LayerFiles",
    "LayerInfo",
    "base_layer",
    "busybox_image",
    "docker_arch",
    "write_image_tar",
    "write_random_file",
]


def busybox_image(
    refs: Sequence[str],
    *,
    files: LayerFiles | None = None,
    layers: int = 1,
    cmd: Sequence[str] = ("/bin/sh",),
    unique_layers: bool = False,
) -> ImageDef:
    """``layers`` layers: busybox first, small marker layers, ``files`` in the last.

    Layers are identical between calls (the engine shares them) unless
    ``unique_layers``: then each holds a nonce, for tests that need the engine
    to lack every layer (pulls) while other tests run on the same engine.
    """
    nonce = uuid.uuid4().hex
    image = _images.busybox_image(
        refs, files=files, layers=layers, cmd=cmd, labels={"tui-upgrader.test": nonce}
    )
    if not unique_layers:
        return image
    stack = tuple(
        {**layer, f"layers/nonce-{n}": nonce.encode()} for n, layer in enumerate(image.layers)
    )
    return replace(image, layers=stack)


def write_random_file(path: Path, size: int, *, chunk: int = 1 << 20) -> Path:
    """Incompressible content for benchmark layers, written without holding it in memory."""
    with path.open("wb") as fh:
        left = size
        while left > 0:
            n = min(chunk, left)
            fh.write(os.urandom(n))
            left -= n
    return path
