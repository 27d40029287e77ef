"""The image-architecture check against the real engine (#19): an image built for
another architecture is refused before anything is loaded, naming the image,
its architecture and the engine's; the engine's images stay as they were."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import docker
import pytest

from tui_upgrader.core.arch import docker_arch
from tui_upgrader.core.errors import PackageError
from tui_upgrader.ops.images.arch_check import check_image_architectures, engine_architecture

pytestmark = pytest.mark.engine


def _image_tar(path: Path, tag: str, arch: str) -> Path:
    config = json.dumps(
        {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
    )
    manifest = json.dumps([{"Config": "cfg.json", "RepoTags": [tag], "Layers": []}])
    with tarfile.open(path, "w") as tar:
        for name, body in (("cfg.json", config), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body.encode()))
    return path


def test_foreign_image_is_refused_before_anything_is_loaded(tmp_path: Path) -> None:
    engine = engine_architecture()  # real `docker info`
    mine = docker_arch(engine)
    other = "arm64" if mine != "arm64" else "amd64"
    client = docker.from_env()
    good = _image_tar(tmp_path / "ok.tar", "h1926-arch/ok:1", mine)
    bad = _image_tar(tmp_path / "app.tar", "h1926-arch/app:1", other)
    check_image_architectures([good], engine)  # the engine's own architecture passes
    with pytest.raises(PackageError) as refused:
        check_image_architectures([good, bad], engine)
    line = refused.value.message
    assert "h1926-arch/app:1" in line and other in line and mine in line and "\n" not in line
    # Nothing was loaded (the engine is shared: look at our own tags only).
    assert client.images.list(name="h1926-arch/app") == []
