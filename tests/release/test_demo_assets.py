"""Demo assets without an engine: image tars in ``docker save`` format, the demo layout."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.support.release_trees import sha256, zip_names, zip_read
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.errors import InputError, OperationError
from tui_upgrader.core.manifest import PatchOperations, parse_manifest_bytes
from tui_upgrader.core.versions import Version
from tui_upgrader.demo.broken import MISSING_HEALTH_PAGE, build_broken_release
from tui_upgrader.demo.images import build_busybox_image_tar, ensure_busybox, image_id_of
from tui_upgrader.demo.releases import ADMIN_GREETING, MARKER, build_demo
from tui_upgrader.ops.state import read_state


def _members(tar_path: Path) -> dict[str, bytes]:
    with tarfile.open(tar_path) as tar:
        out = {}
        for m in tar.getmembers():
            if m.isfile():
                fh = tar.extractfile(m)
                assert fh is not None
                out[m.name] = fh.read()
        return out


def test_image_tar_is_a_valid_docker_save_archive(tmp_path: Path) -> None:
    out = build_busybox_image_tar(
        "reltest/img:1.0", tmp_path / "img.tar", extra_files={"etc/marker": b"m\n"}, layers=3
    )

    members = _members(out)
    (entry,) = json.loads(members["manifest.json"])
    assert entry["RepoTags"] == ["reltest/img:1.0"]
    config_bytes = members[entry["Config"]]
    assert entry["Config"] == hashlib.sha256(config_bytes).hexdigest() + ".json"
    assert image_id_of(out) == "sha256:" + hashlib.sha256(config_bytes).hexdigest()
    config = json.loads(config_bytes)
    layers = [members[name] for name in entry["Layers"]]
    assert config["rootfs"]["diff_ids"] == [
        "sha256:" + hashlib.sha256(b).hexdigest() for b in layers
    ]
    assert len(layers) == 3 and len(config["history"]) == 3
    with tarfile.open(fileobj=io.BytesIO(layers[0])) as base:
        busybox = base.getmember("bin/busybox")
        assert busybox.size == ensure_busybox().stat().st_size and busybox.mode == 0o755
        assert base.getmember("bin/httpd").issym()
        assert base.getmember("bin/httpd").linkname == "busybox"
    with tarfile.open(fileobj=io.BytesIO(layers[-1])) as last:
        marker = last.extractfile("etc/marker")
        assert marker is not None and marker.read() == b"m\n"


def test_image_tar_is_deterministic(tmp_path: Path) -> None:
    a = build_busybox_image_tar("reltest/img:1", tmp_path / "a.tar", extra_files={"x": b"1"})
    b = build_busybox_image_tar("reltest/img:1", tmp_path / "b.tar", extra_files={"x": b"1"})
    c = build_busybox_image_tar("reltest/img:1", tmp_path / "c.tar", extra_files={"x": b"2"})

    assert a.read_bytes() == b.read_bytes()
    assert image_id_of(a) != image_id_of(c)


def test_missing_or_dynamic_busybox_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TUI_UPGRADER_BUSYBOX", str(tmp_path / "nope"))
    with pytest.raises(OperationError, match="apt-get install busybox-static"):
        build_busybox_image_tar("reltest/img:1", tmp_path / "a.tar")
    assert not (tmp_path / "a.tar").exists()

    monkeypatch.setenv("TUI_UPGRADER_BUSYBOX", "/bin/ls")  # a dynamically linked ELF
    with pytest.raises(OperationError, match=r"dynamically linked.*busybox-static"):
        ensure_busybox()


def test_demo_layout(tmp_path: Path) -> None:
    layout = build_demo(tmp_path / "demo", port=18123, project="reltest-demo", arch=Arch.X86_64)

    assert sorted(layout.sources) == ["1.0.0", "1.1.0", "1.1.0.1"]
    manifest = parse_manifest_bytes(layout.manifest.read_bytes())
    assert manifest.version == Version.parse("1.1.0.1")
    assert manifest.platforms is not None and manifest.patch is not None
    full = manifest.platforms[Arch.X86_64]
    assert full.url == "/1.1.0.1/docker-x86_64.zip"
    assert full.sha256 == sha256(layout.store / "1.1.0.1" / "docker-x86_64.zip")
    patch = manifest.patch[Arch.X86_64]
    assert patch.sha256 == sha256(layout.store / "1.1.0.1" / "x86_64-patch.zip")
    assert (
        patch.operations
        == layout.patch_operations
        == PatchOperations(
            replace_files=("app/VERSION", "app/hotfix.txt", "config/app.conf", "www/index.html"),
            replace_dirs=("app/plugins/gamma",),
            delete_files=("app/notes.txt",),
            delete_dirs=("app/plugins/beta",),
        )
    )
    for version in ("1.0.0", "1.1.0"):
        package = layout.store / version / "docker-x86_64.zip"
        assert "docker/docker-compose.yml" in zip_names(package)
        assert f"reltest-demo/web:{version}".encode() in zip_read(
            package, "docker/docker-compose.yml"
        )
    assert layout.images == {
        "1.0.0": "reltest-demo/web:1.0.0",
        "1.1.0": "reltest-demo/web:1.1.0",
        "1.1.0.1": "reltest-demo/web:1.1.0",
    }

    deploy = layout.deploy_dir
    assert read_state(deploy).version == Version.parse("1.0.0")
    assert 'version = "1.0.0.0"' in (deploy / ".tui-upgrader" / "state.toml").read_text()
    env = (deploy / ".env").read_text()
    assert f"DEMO_GREETING={ADMIN_GREETING}\n" in env
    assert f"DEMO_SECRET={layout.secret}\n" in env and "DEMO_PORT=18123\n" in env
    assert "DEMO_FEATURE_FLAGS" not in env  # a key 1.1.0 adds
    assert (deploy / "data" / "users.csv").is_file()
    assert not any((layout.sources[v] / "data").exists() for v in layout.sources)
    assert "1.0.0" in (deploy / "www" / "index.html").read_text()
    compose = layout.compose_file.read_text()
    for needle in (
        "name: reltest-demo",
        "network_mode: host",
        "network_mode: none",
        "init: true",
        "pull_policy: never",
        "interval: 1s",
    ):
        assert needle in compose
    assert "start_interval" not in compose  # engine 20.10 refuses it
    assert layout.installed_images == (deploy / "images" / "web.tar",)
    with tarfile.open(layout.installed_images[0]) as tar:
        fh = tar.extractfile("manifest.json")
        assert fh is not None
        assert json.loads(fh.read())[0]["RepoTags"] == ["reltest-demo/web:1.0.0"]
    # the 1.1.0.1 patch ships no image: 1.1.0's image bytes did not change
    assert not any("images/" in n for n in zip_names(layout.store / "1.1.0.1" / "x86_64-patch.zip"))


def test_demo_rebuild_resets_and_refuses_foreign_folders(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    first = build_demo(root, port=18124, project="reltest-demo")
    (first.deploy_dir / "data" / "scribble.txt").write_text("user data from the last run\n")

    second = build_demo(root, port=18125, project="reltest-demo")

    assert (root / MARKER).is_file()
    assert not (second.deploy_dir / "data" / "scribble.txt").exists()
    assert "DEMO_PORT=18125" in (second.deploy_dir / ".env").read_text()

    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep\n")
    with pytest.raises(InputError, match="not a demo folder"):
        build_demo(foreign)
    assert (foreign / "precious.txt").read_text() == "keep\n"


def test_broken_release_is_offered_and_fails_its_healthcheck(tmp_path: Path) -> None:
    layout = build_demo(tmp_path / "demo", port=18126, project="reltest-demo")

    result = build_broken_release(layout)

    manifest = parse_manifest_bytes(result.manifest.read_bytes())
    assert manifest.version == Version.parse("1.2.0") and manifest.patch is None
    package = result.packages[0].path
    compose = zip_read(package, "docker/docker-compose.yml").decode()
    assert "reltest-demo/web:1.2.0" in compose and MISSING_HEALTH_PAGE in compose
    with zipfile.ZipFile(package) as zf, zf.open("docker/images/web.tar") as fh:
        tar_bytes = fh.read()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        assert json.loads(member.read())[0]["RepoTags"] == ["reltest-demo/web:1.2.0"]

    crash = build_broken_release(layout, version="1.3.0", failure="crash", store=tmp_path / "other")
    assert b"exit 3" in zip_read(crash.packages[0].path, "docker/docker-compose.yml")
    assert parse_manifest_bytes(layout.manifest.read_bytes()).version == Version.parse("1.2.0")
