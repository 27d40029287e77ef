"""Thin image delivery, the publisher's side: blobs, the files package and the image index.

Beside the full package ``<version>/docker-<arch>.zip`` (unchanged), a build
writes:

* ``blobs/sha256/<hex>``: every image config and layer of the release, named
  by its SHA-256 and shared by all versions of the store (a layer two releases
  share is stored and published once);
* ``<version>/docker-<arch>-files.zip``: the full package without
  ``images/*.tar`` (same entries, same determinism);
* ``<version>/images-<arch>.json``: the index (``core.image_index``) naming
  the files package and, per image, config, layers and tags.

The manifest's platform entry gets ``images: {url, hash, size}`` for the
index, so the hash chain manifest -> index -> blobs verifies every byte a
thin client fetches; signing lists the index and every blob as TUF targets
(``signing.target_files`` takes every file of the store). A release whose
image tars cannot be split (not ``docker save`` archives) gets no index: its
clients use the full package.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tui_upgrader.core.arch import Arch
from tui_upgrader.core.image_index import BLOB_DIR, FilesPackage, ImageIndex, IndexImage
from tui_upgrader.ops.fsutil import atomic_write_bytes
from tui_upgrader.ops.images.split import NotAnImageArchiveError, split_image_tar
from tui_upgrader.ops.release._internal.diff import ReleaseTree
from tui_upgrader.ops.release._internal.manifest import package_entry, package_url
from tui_upgrader.ops.release._internal.zipwriter import sha256_file

logger = logging.getLogger(__name__)

# (path, files to pack) -> (sha256, size) of the package written
PackFiles = Callable[[Path, Sequence[str]], tuple[str, int]]


def files_name(arch: Arch) -> str:
    return f"docker-{arch.value}-files.zip"


def index_name(arch: Arch) -> str:
    return f"images-{arch.value}.json"


def publish_thin(
    out: Path,
    short: str,
    arch: Arch,
    tree: ReleaseTree,
    pack: PackFiles,
    base_url: str | None,
) -> dict[str, Any] | None:
    """Write blobs, files package and index; the manifest's ``images`` entry, or
    None when the release's image tars cannot be split."""
    tars = sorted(tree.image_tars())
    if not tars:
        return None
    images: list[IndexImage] = []
    try:
        for rel in tars:
            source = tree.files[rel].source
            assert source is not None  # the new side always has its tars
            images.extend(split_image_tar(source, out / BLOB_DIR))
    except NotAnImageArchiveError as exc:
        logger.warning("%s: no thin delivery for %s (%s)", arch.value, short, exc)
        return None
    others = sorted(set(tree.files) - set(tars))
    files_rel = f"{short}/{files_name(arch)}"
    sha, size = pack(out / files_rel, others)
    index = ImageIndex(tuple(images), FilesPackage(files_name(arch), sha, size))
    index_rel = f"{short}/{index_name(arch)}"
    index_path = out / index_rel
    atomic_write_bytes(index_path, index.to_json(), mode=0o644)
    index_sha = sha256_file(index_path)
    blob_bytes = sum(la.blob.size for im in images for la in im.layers)
    logger.info(
        "%s: image index %s, %d image(s), %d layer bytes as blobs",
        arch.value,
        index_path,
        len(images),
        blob_bytes,
    )
    entry = package_entry(package_url(base_url, index_rel), index_sha, index_path.stat().st_size)
    del entry["signature"]
    return entry
