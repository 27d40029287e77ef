"""A package whose image is built for another architecture is refused before the
stop, on the real engine through the real CLI (#19): one line naming the image,
its architecture and the engine's; the old stack keeps running untouched."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import docker
import pytest

from tests.support.engine_env import EngineEnv
from tui_upgrader.core.arch import docker_arch
from tui_upgrader.ops.images.arch_check import engine_architecture

pytestmark = pytest.mark.engine


def _foreign_image_tar(tag: str, arch: str) -> bytes:
    config = json.dumps(
        {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}
    )
    manifest = json.dumps([{"Config": "cfg.json", "RepoTags": [tag], "Layers": []}])
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, body in (("cfg.json", config), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body.encode()))
    return out.getvalue()


def _add_to_package(package: Path, name: str, data: bytes) -> None:
    """Rewrite the release's full package with one more member (and re-hash it below)."""
    rebuilt = package.with_suffix(".new")
    with zipfile.ZipFile(package) as old, zipfile.ZipFile(rebuilt, "w") as new:
        for item in old.infolist():
            new.writestr(item, old.read(item))
        new.writestr(name, data)
    rebuilt.replace(package)


def test_a_foreign_image_is_refused_before_the_stop(
    tmp_path: Path, docker_client: docker.DockerClient
) -> None:
    with EngineEnv.installed(tmp_path, docker_client) as env:
        store = env.layout.store
        manifest = json.loads((store / "manifest.json").read_text())
        url = manifest["packages"]["full"]["url"]
        package = store / url.lstrip("/")
        engine = engine_architecture()
        mine = docker_arch(engine)
        other = "arm64" if mine != "arm64" else "amd64"
        # The tag the release's compose file runs: the archive-tag check (#25) lets it
        # through, so what refuses it is the architecture.
        tag = env.layout.images[manifest["version"]]
        foreign = _foreign_image_tar(tag, other)
        _add_to_package(package, "docker/images/extra.tar", foreign)
        digest = "sha256:" + hashlib.sha256(package.read_bytes()).hexdigest()
        for entry in (manifest["packages"]["full"], *manifest["platforms"].values()):
            entry.update(hash=digest, size=package.stat().st_size)
            # The foreign image is in the full package only: no image index (#23).
            entry.pop("images", None)
        (store / "manifest.json").write_text(json.dumps(manifest))
        env.write_config(store / "manifest.json")
        before = {
            name: (c.id, c.attrs["State"]["StartedAt"]) for name, c in env.containers().items()
        }
        tree_before = env.tree()
        tagged_before = sorted(str(i.id) for i in docker_client.images.list(name=tag))

        # No override: the architecture comes from the engine (`docker info`).
        _code, checked, _err = env.cli("check", "--json", env={"TUI_UPGRADER_ARCH": ""})
        assert checked[0]["arch_source"] == "engine" and checked[0]["arch"] == str(engine)
        code, events, _err = env.cli("upgrade", "--yes", "--json", env={"TUI_UPGRADER_ARCH": ""})

        result = events[-1]
        assert result["type"] == "result" and not result["success"], events[-3:]
        assert code == 1 and not result["rolled_back"]
        error = result["error"]
        assert tag in error and other in error and mine in error, error
        assert "\n" not in error and "nothing was stopped" in error
        steps = {e["step"] for e in events if e["type"] == "step" and e["state"] == "started"}
        assert "StoppingServices" not in steps
        after = {
            name: (c.id, c.attrs["State"]["StartedAt"]) for name, c in env.containers().items()
        }
        assert after == before and set(env.running_images()) == set(before)
        assert env.tree() == tree_before
        assert sorted(str(i.id) for i in docker_client.images.list(name=tag)) == tagged_before
