"""Small busybox images written as ``docker save`` archives, with no registry and no engine.

The archive is assembled by hand: one uncompressed tar per layer, one config
JSON per image naming its layers' diff_ids, and ``manifest.json``. An archive
may hold several images (sharing layers, stored once) and untagged ones. A
busybox image has busybox plus applet symlinks in its first layer, then a
marker layer per extra layer, then the caller's files. Everything carries fixed
times and owners, so the same inputs always give the same bytes and the same
image ID: rebuilding the demo does not make a release look changed, and a
patch never ships an image that did not change. The tests build their engine
fixtures with the same writer (``tests/support/images.py``).

The binary is Debian's static busybox (``busybox-static``); a dynamically
linked one would not run in an image that has no libc.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import shutil
import struct
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tui_upgrader.core.errors import OperationError
from tui_upgrader.core.i18n import _
from tui_upgrader.ops.fsutil import atomic_file

APPLETS: tuple[str, ...] = (
    "sh", "ash", "sleep", "httpd", "wget", "cat", "echo", "ls", "true", "false", "kill",
    "printf", "env", "test", "[", "mkdir", "rm", "touch", "date", "ps", "id", "head",
    "tail", "grep", "sed", "sha256sum", "du", "wc", "timeout", "cp", "mv", "uname",
)  # fmt: skip
BUSYBOX_CANDIDATES = (Path("/bin/busybox"), Path("/usr/bin/busybox"))
INSTALL_HINT = "apt-get install busybox-static"
_EPOCH = "1970-01-01T00:00:00Z"
_PT_INTERP = 3
_CHUNK = 1 << 20

# A file's content: bytes, or a host file streamed in (big layers stay out of memory).
FileContent = bytes | Path
LayerFiles = Mapping[str, FileContent]


@dataclass(frozen=True, slots=True)
class ImageDef:
    """One image of an archive: layers bottom first, image paths without ``/``.

    ``refs`` empty = untagged (the engine reports ``Loaded image ID``).
    """

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


def docker_arch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine
    )


def _is_dynamic(path: Path) -> bool:
    """True when the ELF binary asks for a program interpreter (needs libc)."""
    with path.open("rb") as fh:
        ident = fh.read(64)
        if len(ident) < 64 or ident[:4] != b"\x7fELF":
            return False
        is64, little = ident[4] == 2, ident[5] == 1
        end = "<" if little else ">"
        if is64:
            (phoff,) = struct.unpack_from(end + "Q", ident, 0x20)
            phentsize, phnum = struct.unpack_from(end + "HH", ident, 0x36)
        else:
            (phoff,) = struct.unpack_from(end + "I", ident, 0x1C)
            phentsize, phnum = struct.unpack_from(end + "HH", ident, 0x2A)
        for index in range(phnum):
            fh.seek(phoff + index * phentsize)
            (p_type,) = struct.unpack(end + "I", fh.read(4))
            if p_type == _PT_INTERP:
                return True
    return False


def ensure_busybox() -> Path:
    """The static busybox to build images from; OperationError says what to install.

    ``TUI_UPGRADER_BUSYBOX`` may point at another static build.
    """
    override = os.environ.get("TUI_UPGRADER_BUSYBOX")
    candidates = [Path(override)] if override else list(BUSYBOX_CANDIDATES)
    found = shutil.which("busybox")
    if not override and found:
        candidates.append(Path(found))
    for path in candidates:
        if path.is_file():
            if _is_dynamic(path):
                raise OperationError(
                    _(
                        "{path} is dynamically linked and cannot run in a bare image: run `{hint}`"
                    ).format(path=path, hint=INSTALL_HINT)
                )
            return path
    raise OperationError(
        _("demo images need a static busybox (none at /bin/busybox): run `{hint}`").format(
            hint=INSTALL_HINT
        )
    )


def _info(name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o644) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _add(tar: tarfile.TarFile, info: tarfile.TarInfo, content: FileContent) -> None:
    if isinstance(content, Path):
        info.size = content.stat().st_size
        with content.open("rb") as src:
            tar.addfile(info, src)
    else:
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))


def _write_layer(dest: IO[bytes], files: LayerFiles) -> None:
    """One layer tar; a layer holding ``bin/busybox`` also gets the applets and ``/tmp``."""
    busybox = "bin/busybox" in files
    with tarfile.open(fileobj=dest, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = {d for name in files for d in _parents(name)}
        if busybox:
            dirs |= {"bin", "tmp"}
        for d in sorted(dirs):
            tar.addfile(_info(d, tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755))
        for name, content in sorted(files.items()):
            _add(tar, _info(name, mode=0o755 if name.startswith("bin/") else 0o644), content)
        if busybox:
            for applet in APPLETS:
                link = _info(f"bin/{applet}", tarfile.SYMTYPE, 0o777)
                link.linkname = "busybox"
                tar.addfile(link)


def base_layer(busybox: Path | None = None) -> dict[str, FileContent]:
    """The first layer of a busybox image (``ensure_busybox()`` unless given)."""
    return {
        "bin/busybox": busybox or ensure_busybox(),
        "etc/passwd": b"root:x:0:0:root:/:/bin/sh\n",
        "etc/group": b"root:x:0:\n",
        "www/index.html": b"ok\n",
    }


def busybox_image(
    refs: Sequence[str],
    *,
    files: LayerFiles | None = None,
    layers: int = 1,
    cmd: Sequence[str] = ("/bin/sh",),
    labels: Mapping[str, str] | None = None,
) -> ImageDef:
    """``layers`` layers: busybox first, small marker layers, ``files`` in the last."""
    if layers < 1:
        raise ValueError("an image needs at least one layer")
    stack: list[dict[str, FileContent]] = [base_layer()]
    stack += [{f"layers/{n}.txt": f"layer {n}\n".encode()} for n in range(1, layers)]
    stack[-1].update({k.lstrip("/"): v for k, v in (files or {}).items()})
    return ImageDef(tuple(refs), tuple(stack), tuple(cmd), dict(labels or {}))


def _config(image: ImageDef, diff_ids: list[str]) -> bytes:
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
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": _EPOCH, "created_by": f"tui-upgrader layer {i}"}
            for i in range(len(diff_ids))
        ],
    }
    return json.dumps(config, sort_keys=True).encode()


def _sha256(fh: IO[bytes]) -> str:
    fh.seek(0)
    digest = hashlib.sha256()
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
    fh.seek(0)
    return "sha256:" + digest.hexdigest()


def _store_layer(
    tar: tarfile.TarFile, files: LayerFiles, stored: set[str], work: Path
) -> LayerInfo:
    """Build one layer in a temp file (big ones never sit in memory); add it once."""
    with tempfile.TemporaryFile(dir=work) as layer:
        _write_layer(layer, files)
        diff_id = _sha256(layer)
        member = f"{diff_id.removeprefix('sha256:')}/layer.tar"
        size = os.fstat(layer.fileno()).st_size
        if member not in stored:
            stored.add(member)
            tar.addfile(_info(member.split("/")[0], tarfile.DIRTYPE, 0o755))
            info = _info(member)
            info.size = size
            tar.addfile(info, layer)
    return LayerInfo(diff_id, size, member)


def write_image_tar(path: Path, images: Sequence[ImageDef], mode: int = 0o644) -> list[ImageInfo]:
    """Write a ``docker save`` archive of ``images`` at ``path`` (atomically); say what it holds.

    A layer or config shared by several images is stored once.
    """
    out: list[ImageInfo] = []
    manifest: list[dict[str, object]] = []
    stored: set[str] = set()
    with (
        atomic_file(path, mode) as fh,
        tarfile.open(fileobj=fh, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for image in images:
            layers = [_store_layer(tar, files, stored, path.parent) for files in image.layers]
            config = _config(image, [layer.diff_id for layer in layers])
            image_id = "sha256:" + hashlib.sha256(config).hexdigest()
            config_name = f"{image_id.removeprefix('sha256:')}.json"
            if config_name not in stored:
                stored.add(config_name)
                _add(tar, _info(config_name), config)
            manifest.append(
                {
                    "Config": config_name,
                    "RepoTags": list(image.refs) or None,
                    "Layers": [layer.member for layer in layers],
                }
            )
            out.append(ImageInfo(image_id, image.refs, tuple(layers)))
        _add(tar, _info("manifest.json"), json.dumps(manifest).encode())
    return out


def build_busybox_image_tar(
    ref: str,
    out: Path,
    *,
    extra_files: dict[str, bytes] | None = None,
    layers: int = 2,
    cmd: Sequence[str] = ("/bin/sh",),
    labels: Mapping[str, str] | None = None,
) -> Path:
    """Write ``ref`` as a ``docker save`` tar at ``out`` (atomically); returns ``out``.

    Layer 1 is busybox with its applets, ``/etc/passwd`` and ``/www/index.html``;
    ``extra_files`` (image paths without a leading ``/``) go in the last layer.
    No engine is needed; ``docker load`` (or our runner) reads the result.
    """
    image = busybox_image([ref], files=extra_files, layers=layers, cmd=cmd, labels=labels)
    write_image_tar(out, [image])
    return out


def image_id_of(tar_path: Path) -> str:
    """``sha256:<hex>`` of the (first) image's config in a ``docker save`` tar.

    The classic store's image ID; the containerd store names images by their
    manifest digest instead (README: Docker engines and image stores).
    """
    with tarfile.open(tar_path) as tar:
        manifest_member = tar.extractfile("manifest.json")
        if manifest_member is None:
            raise OperationError(_("{tar_path}: no manifest.json").format(tar_path=tar_path))
        config_name = json.loads(manifest_member.read())[0]["Config"]
        config = tar.extractfile(config_name)
        if config is None:
            raise OperationError(
                _("{tar_path}: no {config_name}").format(tar_path=tar_path, config_name=config_name)
            )
        return "sha256:" + hashlib.sha256(config.read()).hexdigest()
