"""Busybox images in the ``docker save`` format, written without any registry.

The archive is built by hand (manifest.json, one config JSON per image, one
uncompressed tar per layer) so tests control the layer count and sizes exactly
and know every layer's diff_id before the engine sees the file. Each image gets
a nonce label, so two tests never share an image ID and removing one test's
image can never touch another's.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import tarfile
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

BUSYBOX = Path("/bin/busybox")
APPLETS: tuple[str, ...] = (
    "sh", "ash", "sleep", "httpd", "wget", "cat", "echo", "ls", "true", "false", "kill",
    "printf", "env", "test", "[", "mkdir", "rm", "touch", "date", "ps", "id", "head",
    "tail", "grep", "sed", "sha256sum", "du", "wc", "timeout",
)  # fmt: skip
_EPOCH = "1970-01-01T00:00:00Z"

# A file's content: bytes, or a host file copied in (big benchmark layers).
FileContent = bytes | Path
LayerFiles = Mapping[str, FileContent]


def docker_arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )


@dataclass(frozen=True, slots=True)
class ImageDef:
    """One image of an archive. ``refs`` empty = untagged (``Loaded image ID``)."""

    refs: tuple[str, ...]
    layers: tuple[LayerFiles, ...]
    cmd: tuple[str, ...] = ("/bin/sh",)
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LayerInfo:
    diff_id: str  # sha256:<hex> of the uncompressed layer tar
    size: int  # bytes of the layer tar inside the archive
    member: str  # its path inside the archive

    @property
    def short_id(self) -> str:
        """What the engine's ``Loading layer`` events use as ``id``."""
        return self.diff_id.removeprefix("sha256:")[:12]


@dataclass(frozen=True, slots=True)
class ImageInfo:
    image_id: str  # sha256:<hex> of the config JSON
    refs: tuple[str, ...]
    layers: tuple[LayerInfo, ...]


def base_layer() -> dict[str, FileContent]:
    """busybox plus applet symlinks (symlinks are written by ``_write_layer``)."""
    return {
        "bin/busybox": BUSYBOX,
        "www/index.html": b"ok\n",
        "etc/passwd": b"root:x:0:0:root:/:/bin/sh\n",
        "etc/group": b"root:x:0:\n",
    }


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
    if layers < 1:
        raise ValueError("an image needs at least one layer")
    nonce = uuid.uuid4().hex
    stack: list[dict[str, FileContent]] = [base_layer()]
    for n in range(1, layers):
        stack.append({f"layers/{n}.txt": f"layer {n}\n".encode()})
    if unique_layers:
        for n, layer in enumerate(stack):
            layer[f"layers/nonce-{n}"] = nonce.encode()
    stack[-1].update(files or {})
    return ImageDef(tuple(refs), tuple(stack), tuple(cmd), {"tui-upgrader.test": nonce})


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _write_layer(dest: Path, files: LayerFiles, with_applets: bool) -> None:
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({d for name in files for d in _parents(name)} | {"tmp"})
        if with_applets:
            dirs = sorted(set(dirs) | {"bin"})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == "tmp" else 0o755
            tar.addfile(info)
        for name, content in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.mode = 0o755 if name.startswith("bin/") else 0o644
            if isinstance(content, Path):
                info.size = content.stat().st_size
                with content.open("rb") as src:
                    tar.addfile(info, src)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
        if with_applets:
            for applet in APPLETS:
                info = tarfile.TarInfo(f"bin/{applet}")
                info.type = tarfile.SYMTYPE
                info.linkname = "busybox"
                tar.addfile(info)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def write_image_tar(path: Path, images: Sequence[ImageDef]) -> list[ImageInfo]:
    """Write a ``docker save`` archive holding ``images``; return what it holds."""
    out: list[ImageInfo] = []
    manifest: list[dict[str, object]] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as work, tarfile.open(path, "w") as tar:
        seen: set[str] = set()
        for image in images:
            layer_infos: list[LayerInfo] = []
            for index, files in enumerate(image.layers):
                tmp = Path(work) / f"layer-{len(seen)}-{index}.tar"
                _write_layer(tmp, files, with_applets=index == 0 and "bin/busybox" in files)
                diff_id = _sha256_file(tmp)
                member = f"{diff_id.removeprefix('sha256:')}/layer.tar"
                layer_infos.append(LayerInfo(diff_id, tmp.stat().st_size, member))
                if diff_id not in seen:
                    seen.add(diff_id)
                    tar.add(tmp, arcname=member)
                os.unlink(tmp)
            config = {
                "architecture": docker_arch(),
                "os": "linux",
                "created": _EPOCH,
                "config": {
                    "Env": ["PATH=/bin"],
                    "Cmd": list(image.cmd),
                    "WorkingDir": "/",
                    "Labels": dict(image.labels),
                },
                "rootfs": {"type": "layers", "diff_ids": [li.diff_id for li in layer_infos]},
                "history": [
                    {"created": _EPOCH, "created_by": f"tui-upgrader test layer {i}"}
                    for i in range(len(layer_infos))
                ],
            }
            config_bytes = json.dumps(config, sort_keys=True).encode()
            image_id = "sha256:" + hashlib.sha256(config_bytes).hexdigest()
            config_name = f"{image_id.removeprefix('sha256:')}.json"
            if config_name not in tar.getnames():
                _add_bytes(tar, config_name, config_bytes)
            manifest.append(
                {
                    "Config": config_name,
                    "RepoTags": list(image.refs) or None,
                    "Layers": [li.member for li in layer_infos],
                }
            )
            out.append(ImageInfo(image_id, image.refs, tuple(layer_infos)))
        _add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
    return out


def write_random_file(path: Path, size: int, *, chunk: int = 1 << 20) -> Path:
    """Incompressible content for benchmark layers, written without holding it in memory."""
    with path.open("wb") as fh:
        left = size
        while left > 0:
            n = min(chunk, left)
            fh.write(os.urandom(n))
            left -= n
    return path
