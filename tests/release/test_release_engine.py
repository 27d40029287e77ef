"""Demo images and ``release build`` against the real engine (and without one)."""

from __future__ import annotations

import json
import tarfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.support.engine import (
    ComposeProject,
    ImageFactory,
    config_digest,
    free_port,
    run_output,
    unique_name,
)
from tests.support.release_trees import write_tree, zip_names, zip_read
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.errors import EngineUnavailableError
from tui_upgrader.core.manifest import PatchOperations
from tui_upgrader.core.versions import Version
from tui_upgrader.demo.broken import build_broken_release
from tui_upgrader.demo.images import build_busybox_image_tar, image_id_of
from tui_upgrader.demo.releases import build_demo
from tui_upgrader.ops.release._internal.images import image_file_name
from tui_upgrader.ops.release.build import build_release


def _load(client: docker.DockerClient, tar: Path) -> list[dict[str, Any]]:
    api: Any = client.api
    with tar.open("rb") as fh:  # streamed, never read whole
        events: list[dict[str, Any]] = list(api.load_image(fh, quiet=False))
    assert not [e for e in events if "error" in e], events
    return events


def _compose_src(root: Path, image: str, extra: dict[str, str] | None = None) -> Path:
    body = f"name: reltest\nservices:\n  app:\n    image: {image}\n    pull_policy: never\n"
    return write_tree(root, {"compose.yaml": body, ".env": "A=1\n", **(extra or {})})


@pytest.mark.engine
def test_built_image_tar_loads_and_runs(
    docker_client: docker.DockerClient, image_factory: ImageFactory, tmp_path: Path
) -> None:
    ref = f"{unique_name('reltest/busybox')}:1.0"
    tar = build_busybox_image_tar(ref, tmp_path / "img.tar", extra_files={"etc/v": b"42\n"})
    image_factory.track(ref)

    events = _load(docker_client, tar)

    assert any(e.get("stream", "").strip() == f"Loaded image: {ref}" for e in events)
    assert config_digest(docker_client, ref) == image_id_of(tar)
    out = run_output(docker_client, ref, ["busybox", "true"])
    assert out == b""
    assert run_output(docker_client, ref, ["cat", "/etc/v"]) == b"42\n"


@pytest.mark.engine
def test_images_are_saved_from_the_engine_when_the_folder_has_none(
    docker_client: docker.DockerClient, image_factory: ImageFactory, tmp_path: Path
) -> None:
    one = image_factory("reltest/app", "1.0.0")
    two = image_factory("reltest/app", "2.0.0", files={"www/v": b"2\n"})
    old = _compose_src(tmp_path / "old", one.ref, {"app/conf": "a\n"})
    new = _compose_src(tmp_path / "new", two.ref, {"app/conf": "b\n"})
    out = tmp_path / "out"

    result = build_release(new, version=Version.parse("2.0.0"), out=out, patch_from=old)

    name = image_file_name(two.ref, "amd64")
    full = out / "2.0.0" / "docker-x86_64.zip"
    assert f"docker/images/{name}" in zip_names(full)
    saved = tmp_path / "saved.tar"
    saved.write_bytes(zip_read(full, f"docker/images/{name}"))
    assert image_id_of(saved) == config_digest(docker_client, two.ref)
    with tarfile.open(saved) as tar:
        fh = tar.extractfile("manifest.json")
        assert fh is not None and json.loads(fh.read())[0]["RepoTags"] == [two.ref]
    assert result.operations[Arch.X86_64] == PatchOperations(
        replace_files=("app/conf", "compose.yaml", f"images/{name}"),
        delete_files=(f"images/{image_file_name(one.ref, 'amd64')}",),
    )

    same = _compose_src(tmp_path / "same", two.ref, {"app/conf": "c\n"})
    again = build_release(same, version=Version.parse("2.0.0.1"), out=out, patch_from=new)
    assert again.operations[Arch.X86_64] == PatchOperations(replace_files=("app/conf",))
    assert not list(out.glob(".release-build-*"))  # the staging dir with saved images is gone


def test_no_engine_to_save_images_from_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    src = _compose_src(tmp_path / "src", "reltest/none:1")

    with pytest.raises(EngineUnavailableError, match=r"no images/\*\.tar and no Docker engine"):
        build_release(src, version=Version.parse("1.0.0"), out=tmp_path / "out")
    assert not (tmp_path / "out" / "manifest.json").exists()
    assert not list((tmp_path / "out").glob(".release-build-*"))


def _wait_health(client: docker.DockerClient, project: str, want: str, deadline_s: float) -> str:
    deadline = time.monotonic() + deadline_s
    status = "?"
    while time.monotonic() < deadline:
        found = client.containers.list(
            all=True,
            filters={
                "label": [f"com.docker.compose.project={project}", "com.docker.compose.service=web"]
            },
        )
        if found:
            status = str(found[0].attrs["State"].get("Health", {}).get("Status", "none"))
            if status == want:
                return status
        time.sleep(0.2)  # polling with a deadline, not synchronisation by sleep
    return status


@pytest.mark.engine
def test_demo_deploy_dir_runs_healthy_and_broken_release_does_not(
    docker_client: docker.DockerClient,
    image_factory: ImageFactory,
    compose_project: Callable[[str], ComposeProject],
    tmp_path: Path,
) -> None:
    project = compose_project("reltest-demo")  # unique name; `down` at teardown
    port = free_port()
    layout = build_demo(tmp_path / "demo", port=port, project=project.name)
    image_factory.track(layout.images["1.0.0"])
    for tar in layout.installed_images:
        _load(docker_client, tar)

    up = ComposeProject(project.name, layout.deploy_dir, project.cli)
    up.run("up", "-d", "--wait", "--wait-timeout", "60")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as resp:
        assert '<p id="version">1.0.0</p>' in resp.read().decode()
    up.run("down", "--timeout", "2")

    broken = build_broken_release(layout)
    folder = broken.manifest.parent.parent / "sources" / "1.2.0"
    image_factory.track(f"{project.name}/web:1.2.0")
    _load(docker_client, folder / "images" / "web.tar")
    bad = ComposeProject(project.name, folder, project.cli)
    bad.run("up", "-d")
    try:
        assert _wait_health(docker_client, project.name, "unhealthy", 40) == "unhealthy"
    finally:
        bad.run("down", "--timeout", "2", check=False)
