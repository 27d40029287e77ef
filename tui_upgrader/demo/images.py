"""Small busybox images written as ``docker save`` archives, with no registry and no engine.

The archive is assembled by hand: one uncompressed tar per layer (busybox plus
applet symlinks first, then a marker layer per extra layer, then the caller's
files), one config JSON naming the layers' diff_ids, and ``manifest.json``.
Everything carries fixed times and owners, so the same inputs always give the
same bytes and the same image ID: rebuilding the demo does not make a release
look changed, and a patch never ships an image that did not change.

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
from collections.abc import Mapping, Sequence
from pathlib import Path

from tui_upgrader.core.errors import OperationError
from tui_upgrader.ops.fsutil import atomic_write_bytes

APPLETS: tuple[str, ...] = (
    "sh", "ash", "sleep", "httpd", "wget", "cat", "echo", "ls", "true", "false", "kill",
    "printf", "env", "test", "[", "mkdir", "rm", "touch", "date", "ps", "id", "head",
    "tail", "grep", "sed", "sha256sum", "du", "wc", "timeout", "cp", "mv", "uname",
)  # fmt: skip
BUSYBOX_CANDIDATES = (Path("/bin/busybox"), Path("/usr/bin/busybox"))
INSTALL_HINT = "apt-get install busybox-static"
_EPOCH = "1970-01-01T00:00:00Z"
_PT_INTERP = 3


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
                    f"{path} is dynamically linked and cannot run in a bare image: "
                    f"run `{INSTALL_HINT}`"
                )
            return path
    raise OperationError(
        f"demo images need a static busybox (none at /bin/busybox): run `{INSTALL_HINT}`"
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


def _layer(files: Mapping[str, bytes], busybox: Path | None) -> bytes:
    """One layer tar. Demo layers are a few MB, so memory is fine here."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = {d for name in files for d in _parents(name)}
        if busybox is not None:
            dirs |= {"bin", "tmp", "etc", "www"}
        for d in sorted(dirs):
            tar.addfile(_info(d, tarfile.DIRTYPE, 0o1777 if d == "tmp" else 0o755))
        if busybox is not None:
            info = _info("bin/busybox", mode=0o755)
            info.size = busybox.stat().st_size
            with busybox.open("rb") as src:
                tar.addfile(info, src)
            for applet in APPLETS:
                link = _info(f"bin/{applet}", tarfile.SYMTYPE, 0o777)
                link.linkname = "busybox"
                tar.addfile(link)
        for name, content in sorted(files.items()):
            info = _info(name, mode=0o755 if name.startswith("bin/") else 0o644)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = _info(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


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
    if layers < 1:
        raise ValueError("an image needs at least one layer")
    busybox = ensure_busybox()
    base = {
        "etc/passwd": b"root:x:0:0:root:/:/bin/sh\n",
        "etc/group": b"root:x:0:\n",
        "www/index.html": b"ok\n",
    }
    stack: list[dict[str, bytes]] = [base] + [
        {f"layers/{n}.txt": f"layer {n}\n".encode()} for n in range(1, layers)
    ]
    stack[-1] = {**stack[-1], **{k.lstrip("/"): v for k, v in (extra_files or {}).items()}}
    blobs = [_layer(files, busybox if i == 0 else None) for i, files in enumerate(stack)]
    diff_ids = ["sha256:" + hashlib.sha256(b).hexdigest() for b in blobs]
    config = {
        "architecture": docker_arch(),
        "os": "linux",
        "created": _EPOCH,
        "config": {
            "Env": ["PATH=/bin"],
            "Cmd": list(cmd),
            "WorkingDir": "/",
            "Labels": dict(labels or {}),
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": _EPOCH, "created_by": f"tui-upgrader demo layer {i}"}
            for i in range(len(blobs))
        ],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = hashlib.sha256(config_bytes).hexdigest() + ".json"
    members = [f"{d.removeprefix('sha256:')}/layer.tar" for d in diff_ids]
    manifest = [{"Config": config_name, "RepoTags": [ref], "Layers": members}]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        seen: set[str] = set()
        for member, blob in zip(members, blobs, strict=True):
            if member not in seen:
                seen.add(member)
                tar.addfile(_info(member.split("/")[0], tarfile.DIRTYPE, 0o755))
                _add(tar, member, blob)
        _add(tar, config_name, config_bytes)
        _add(tar, "manifest.json", json.dumps(manifest).encode())
    atomic_write_bytes(out, buf.getvalue(), mode=0o644)
    return out


def image_id_of(tar_path: Path) -> str:
    """``sha256:<hex>`` of the (first) image in a ``docker save`` tar: what the engine calls it."""
    with tarfile.open(tar_path) as tar:
        manifest_member = tar.extractfile("manifest.json")
        if manifest_member is None:
            raise OperationError(f"{tar_path}: no manifest.json")
        config_name = json.loads(manifest_member.read())[0]["Config"]
        config = tar.extractfile(config_name)
        if config is None:
            raise OperationError(f"{tar_path}: no {config_name}")
        return "sha256:" + hashlib.sha256(config.read()).hexdigest()
