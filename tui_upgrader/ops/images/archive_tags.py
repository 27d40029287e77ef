"""Which tags an image archive would set, read from its index before anything is loaded.

``docker load`` sets every tag an archive names, whatever it is: a package
could make ``othervendor/app:1`` (an image of another stack, or of the
host's tooling) name an image of its choosing. The runner asks this module
first and refuses a package whose archives name a tag its compose file does
not use; then nothing is loaded, so every tag in the engine stays as it was.

Read here: ``manifest.json`` (``RepoTags``, what ``docker save`` writes),
the legacy ``repositories`` file, and an OCI ``index.json``'s image-name
annotations. Compressed archives are read through the same decompressors
as the loader.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import zstandard

from tui_upgrader.core.errors import PackageError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.images._internal.tar_layout import compression_of, open_plain

INDEX_FILES = ("manifest.json", "repositories", "index.json")
MAX_INDEX_BYTES = 4 << 20
OCI_NAME = "io.containerd.image.name"


def normalise_ref(ref: str) -> str:
    """``busybox`` -> ``busybox:latest``; ``docker.io/library/x:1`` -> ``x:1``."""
    ref = ref.strip()
    for prefix in ("docker.io/", "index.docker.io/"):
        ref = ref.removeprefix(prefix)
    ref = ref.removeprefix("library/")
    if "@" not in ref and ":" not in ref.rsplit("/", 1)[-1]:
        ref += ":latest"
    return ref


def _tags(name: str, data: bytes) -> set[str]:
    doc: Any = json.loads(data)
    found: set[str] = set()
    if name == "manifest.json":
        for entry in doc:
            found.update(str(t) for t in entry.get("RepoTags") or [])
    elif name == "repositories":
        for repo, tags in doc.items():
            found.update(f"{repo}:{tag}" for tag in tags)
    else:
        for entry in doc.get("manifests") or []:
            image = (entry.get("annotations") or {}).get(OCI_NAME)
            if image:
                found.add(str(image))
    return found


def _is_tar(path: Path) -> bool:
    """Whether the (decompressed) file starts with a tar header at all: anything
    else no engine loads either, and it says so itself."""
    try:
        with open_plain(path, compression_of(path)) as stream:
            tarfile.TarInfo.frombuf(stream.read(tarfile.BLOCKSIZE), "utf-8", "surrogateescape")
        return True
    except (tarfile.TarError, OSError, EOFError, zstandard.ZstdError):
        return False


def archive_tags(path: Path) -> set[str]:
    """Every tag ``path`` would set when loaded; raises PackageError if it is a tar
    whose index cannot be read (what we cannot read, we cannot vouch for)."""
    found: set[str] = set()
    if not _is_tar(path):
        return found
    try:
        with (
            open_plain(path, compression_of(path)) as stream,
            tarfile.open(fileobj=stream, mode="r|") as tar,
        ):
            for member in tar:
                name = member.name.removeprefix("./")
                if name not in INDEX_FILES or not member.isfile():
                    continue
                if member.size > MAX_INDEX_BYTES:
                    raise ValueError(f"{name} is {member.size} bytes")
                fh = tar.extractfile(member)
                if fh is not None:
                    found |= _tags(name, fh.read())
    except (tarfile.TarError, OSError, EOFError, ValueError, TypeError, AttributeError,
            zstandard.ZstdError) as exc:  # fmt: skip
        raise PackageError(
            _("{archive}: cannot read which tags the image archive sets ({exc})").format(
                archive=path.name, exc=exc
            )
        ) from exc
    return found


def check_tags(source: str, tags: Iterable[str], allowed: Iterable[str]) -> None:
    """Refuse, before any load, tags of ``source`` (an archive, or a thin image index)
    outside ``allowed``: the thin path and its fallback pass here as the full path does."""
    wanted = {normalise_ref(ref) for ref in allowed}
    foreign = sorted({t for t in tags if normalise_ref(t) not in wanted})
    if foreign:
        raise PackageError(
            _(
                "{archive}: would re-tag {tags}, which the release's compose file does "
                "not use; refused before loading anything"
            ).format(archive=source, tags=", ".join(foreign))
        )


def check_archive_tags(archives: Iterable[Path], allowed: Iterable[str]) -> None:
    """Refuse, before any load, an archive that names a tag outside ``allowed``."""
    allowed = list(allowed)
    for path in archives:
        check_tags(path.name, archive_tags(path), allowed)
