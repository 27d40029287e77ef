"""Read the layout of an image archive (``docker save`` / OCI) without loading it.

The loader needs to know which byte ranges of the stream it sends are which
layer, and the ID the engine will use for each layer in its events (the first
12 hex digits of the layer's diff_id). Compressed archives are opened through a
decompressor: the loader sends the plain tar so offsets stay meaningful (and
so engines that cannot read ``.tar.zst`` still can load it).
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import logging
import lzma
import posixpath
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import zstandard

logger = logging.getLogger(__name__)

# Configs and manifests are a few KB; anything this small is kept in memory
# while scanning, so a streamed (compressed) archive needs one pass only.
_SMALL_MEMBER = 1 << 20


@dataclass(frozen=True, slots=True)
class TarLayer:
    member: str
    offset: int  # offset of the layer's bytes in the (plain) tar stream
    size: int
    layer_id: str  # what the engine's "Loading layer" events call it
    image: str  # the image it belongs to, for the events' "image" field


@dataclass(frozen=True, slots=True)
class ImageEntry:
    """One image of the archive as the engine must have it after the load."""

    refs: tuple[str, ...]  # its RepoTags (none: untagged)
    config_digest: str  # sha256:<hex>, the image ID on the classic store
    diff_ids: tuple[str, ...]  # its layers, as `image inspect` lists them (RootFS.Layers)


@dataclass(frozen=True, slots=True)
class TarIndex:
    layers: tuple[TarLayer, ...]
    images: tuple[str, ...]  # references, or sha256:<12> for untagged images
    compression: str | None  # None, "gzip", "xz", "bzip2" or "zstd"
    exact: bool  # False: archive unreadable by us, the whole file is one pseudo-layer
    entries: tuple[ImageEntry, ...] = ()  # what ops.images.load_check verifies


def compression_of(path: Path) -> str | None:
    with path.open("rb") as fh:
        head = fh.read(6)
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"BZh"):
        return "bzip2"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    return None


@contextmanager
def open_plain(path: Path, compression: str | None) -> Iterator[IO[bytes]]:
    """The archive as an uncompressed tar byte stream."""
    with path.open("rb") as raw:
        if compression is None:
            yield raw
        elif compression == "gzip":
            with gzip.GzipFile(fileobj=raw) as gz:
                yield cast(IO[bytes], gz)
        elif compression == "xz":
            with lzma.LZMAFile(raw) as xz:
                yield cast(IO[bytes], xz)
        elif compression == "bzip2":
            with bz2.BZ2File(raw) as bz:
                yield cast(IO[bytes], bz)
        else:
            zst = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
            with zst:
                yield cast(IO[bytes], zst)


def _norm(name: str) -> str:
    return posixpath.normpath(name.removeprefix("./"))


def _scan(tar: tarfile.TarFile) -> tuple[dict[str, tarfile.TarInfo], dict[str, bytes]]:
    members: dict[str, tarfile.TarInfo] = {}
    small: dict[str, bytes] = {}
    for member in tar:
        name = _norm(member.name)
        members[name] = member
        if member.isfile() and member.size <= _SMALL_MEMBER:
            fh = tar.extractfile(member)
            if fh is not None:
                small[name] = fh.read()
    return members, small


def _resolve(members: dict[str, tarfile.TarInfo], name: str) -> tarfile.TarInfo:
    """Follow the symlinks ``docker save`` uses for layers shared between images."""
    member = members[_norm(name)]
    for _ in range(8):
        if not member.issym():
            return member
        target = posixpath.join(posixpath.dirname(_norm(member.name)), member.linkname)
        member = members[_norm(target)]
    raise ValueError(f"symlink loop at {name}")


def _layers_from_manifest(
    members: dict[str, tarfile.TarInfo], small: dict[str, bytes], entries: list[ImageEntry]
) -> tuple[list[TarLayer], list[str]]:
    manifest: list[dict[str, Any]] = json.loads(small["manifest.json"])
    layers: list[TarLayer] = []
    images: list[str] = []
    seen: set[str] = set()
    for entry in manifest:
        config_bytes = small[_norm(entry["Config"])]
        image_id = hashlib.sha256(config_bytes).hexdigest()
        diff_ids: list[str] = json.loads(config_bytes)["rootfs"]["diff_ids"]
        tags = entry.get("RepoTags") or []
        label = str(tags[0]) if tags else f"sha256:{image_id[:12]}"
        images.append(label)
        entries.append(ImageEntry(tuple(map(str, tags)), f"sha256:{image_id}", tuple(diff_ids)))
        for index, name in enumerate(entry["Layers"]):
            member = _resolve(members, name)
            if member.name in seen:
                continue
            seen.add(member.name)
            layer_id = diff_ids[index].removeprefix("sha256:")[:12]
            layers.append(TarLayer(member.name, member.offset_data, member.size, layer_id, label))
    layers.sort(key=lambda layer: layer.offset)
    return layers, images


def scan_image_tar(
    path: Path, compression: str | None
) -> tuple[dict[str, tarfile.TarInfo], dict[str, bytes]]:
    """Every member of an image archive by name, and the small JSON files' bytes.

    A plain tar is read with random access; a compressed one as a stream, once.
    """
    if compression is None:
        with tarfile.open(path, "r:") as tar:
            return _scan(tar)
    with open_plain(path, compression) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
        return _scan(tar)


def index_image_tar(path: Path) -> TarIndex:
    """Which byte ranges of the plain stream are which layer of which image.

    An archive we cannot read is not an error here: the engine judges it and
    its message is the one the user should see. Progress then covers the file.
    """
    compression = compression_of(path)
    try:
        members, small = scan_image_tar(path, compression)
        entries: list[ImageEntry] = []
        layers, images = _layers_from_manifest(members, small, entries)
    except (tarfile.TarError, OSError, EOFError, KeyError, IndexError, TypeError, ValueError,
            zstandard.ZstdError) as exc:  # fmt: skip
        logger.warning("cannot index %s (%s); progress will cover the whole file", path, exc)
        size = path.stat().st_size
        whole = TarLayer(path.name, 0, size, path.name, path.name)
        return TarIndex((whole,), (path.name,), None, exact=False)
    return TarIndex(tuple(layers), tuple(images), compression, exact=True, entries=tuple(entries))
