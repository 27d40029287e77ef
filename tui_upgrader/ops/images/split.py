"""Split a ``docker save`` archive into content-addressed blobs (the publisher's side).

One streamed pass over the (plain) tar: every regular file is hashed while it
is copied to a temp file; afterwards ``manifest.json`` says which files are
configs and layers, those are renamed to ``<blob_dir>/<hex>`` and the rest is
dropped. Compressed archives are read through a decompressor, so the pass
works on what ``images/`` holds. Both the classic ``docker save`` layout and
the OCI layout of Docker >= 25 carry ``manifest.json``; layers shared between
images are symlinks, which are followed.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_upgrader.core.errors import PackageError
from tui_upgrader.core.image_index import Blob, IndexImage, Layer
from tui_upgrader.ops.fsutil import fsync_dir
from tui_upgrader.ops.images._internal.tar_layout import compression_of, open_plain

COPY_BLOCK = 1 << 20


class NotAnImageArchiveError(PackageError):
    """The file is not a ``docker save`` archive we can split."""


@dataclass(frozen=True, slots=True)
class _Stored:
    temp: Path
    blob: Blob


def _norm(name: str) -> str:
    return posixpath.normpath(name.removeprefix("./"))


def _copy(tar: tarfile.TarFile, member: tarfile.TarInfo, work: Path) -> _Stored:
    src = tar.extractfile(member)
    if src is None:
        raise NotAnImageArchiveError(f"{member.name}: unreadable")
    digest = hashlib.sha256()
    fd, name = tempfile.mkstemp(dir=work, prefix=".blob-")
    with os.fdopen(fd, "wb") as out:
        while block := src.read(COPY_BLOCK):
            digest.update(block)
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return _Stored(Path(name), Blob("sha256:" + digest.hexdigest(), member.size))


def _publish(stored: _Stored, blob_dir: Path) -> None:
    target = blob_dir / stored.blob.hex
    if target.exists():  # content-addressed: same name, same bytes
        stored.temp.unlink()
        return
    stored.temp.chmod(0o644)
    os.replace(stored.temp, target)


def split_image_tar(path: Path, blob_dir: Path) -> list[IndexImage]:
    """Write ``path``'s configs and layers into ``blob_dir``; its images, in order."""
    blob_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, _Stored] = {}
    links: dict[str, str] = {}
    with tempfile.TemporaryDirectory(dir=blob_dir, prefix=".split-") as tmp:
        work = Path(tmp)
        try:
            with (
                open_plain(path, compression_of(path)) as stream,
                tarfile.open(fileobj=stream, mode="r|") as tar,
            ):
                for member in tar:
                    name = _norm(member.name)
                    if member.issym():
                        links[name] = _norm(
                            posixpath.join(posixpath.dirname(name), member.linkname)
                        )
                    elif member.isfile():
                        files[name] = _copy(tar, member, work)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise NotAnImageArchiveError(f"{path.name}: {exc}") from exc
        images = _images(files, links, path.name)
        used = {im.config.digest for im in images} | {
            la.blob.digest for im in images for la in im.layers
        }
        for stored in {s.blob.digest: s for s in files.values()}.values():
            if stored.blob.digest in used:
                _publish(stored, blob_dir)
    fsync_dir(blob_dir)
    return images


def _images(files: dict[str, _Stored], links: dict[str, str], what: str) -> list[IndexImage]:
    def find(name: str) -> _Stored:
        name = _norm(name)
        for _hop in range(8):
            if name in files:
                return files[name]
            if name not in links:
                break
            name = links[name]
        raise NotAnImageArchiveError(f"{what}: {name} is missing")

    if "manifest.json" not in files:
        raise NotAnImageArchiveError(f"{what}: no manifest.json")
    try:
        manifest: list[dict[str, Any]] = json.loads(files["manifest.json"].temp.read_bytes())
        images: list[IndexImage] = []
        for entry in manifest:
            config = find(entry["Config"])
            diff_ids: list[str] = json.loads(config.temp.read_bytes())["rootfs"]["diff_ids"]
            names: list[str] = entry["Layers"]
            if len(names) != len(diff_ids) or not names:
                raise NotAnImageArchiveError(f"{what}: layers and diff_ids disagree")
            layers = tuple(
                Layer(str(d), find(n).blob) for d, n in zip(diff_ids, names, strict=True)
            )
            tags = tuple(str(t) for t in entry.get("RepoTags") or ())
            images.append(IndexImage(tags, config.blob, layers))
    except (ValueError, KeyError, TypeError) as exc:
        raise NotAnImageArchiveError(f"{what}: {exc!r}") from exc
    return images
