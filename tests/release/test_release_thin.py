"""``release build`` publishes blobs, a files package and an image index (#23); no engine."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tests.support.images import busybox_image, write_image_tar
from tests.support.release_trees import release, sha256, zip_names
from tests.support.signing import sign
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.image_index import chain_ids, parse_index, plan_thin
from tui_upgrader.core.manifest import parse_manifest_bytes
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release.build import build_release


def _src(tmp_path: Path, name: str, app: bytes) -> tuple[Path, list[str]]:
    src = release(tmp_path / name)
    (src / "images" / "web.tar").unlink()
    image = busybox_image(["reltest/web:1"], files={"app/bin": app}, layers=2)
    (info,) = write_image_tar(src / "images" / "web.tar", [image])
    return src, [la.diff_id for la in info.layers]


def test_build_publishes_blobs_index_and_files_package(tmp_path: Path) -> None:
    src, diff_ids = _src(tmp_path, "src", b"v1\n")
    out = tmp_path / "out"

    build_release(src, version=Version.parse("1.1.0"), out=out)

    manifest = parse_manifest_bytes((out / "manifest.json").read_bytes())
    assert manifest.platforms is not None
    entry = manifest.platforms[Arch.X86_64]
    assert entry.images is not None and entry.images.url == "/1.1.0/images-x86_64.json"
    index_path = out / "1.1.0" / "images-x86_64.json"
    assert entry.images.sha256 == sha256(index_path)
    assert entry.images.size == index_path.stat().st_size
    index = parse_index(index_path.read_bytes())
    (image,) = index.images
    assert image.tags == ("reltest/web:1",)
    assert [la.diff_id for la in image.layers] == diff_ids
    for blob in [image.config, *(la.blob for la in image.layers)]:
        data = (out / "blobs" / "sha256" / blob.hex).read_bytes()
        assert "sha256:" + hashlib.sha256(data).hexdigest() == blob.digest
        assert len(data) == blob.size
    config = json.loads((out / "blobs" / "sha256" / image.config.hex).read_bytes())
    assert config["rootfs"]["diff_ids"] == diff_ids
    files = out / "1.1.0" / index.files.name
    assert sha256(files) == index.files.sha256 and files.stat().st_size == index.files.size
    full = out / "1.1.0" / "docker-x86_64.zip"
    assert "docker/images/web.tar" in zip_names(full)  # the full package is unchanged
    assert [n for n in zip_names(full) if not n.startswith("docker/images/")] == [
        n for n in zip_names(files) if not n.startswith("docker/images/")
    ]
    assert not [n for n in zip_names(files) if n.endswith(".tar")]
    # A host holding the base layer's chain needs the config and the app layer only.
    plan = plan_thin(index, {chain_ids(diff_ids)[0]}, full.stat().st_size)
    assert [b.digest for b in plan.blobs] == [image.config.digest, image.layers[1].blob.digest]


def test_second_release_shares_the_base_blob(tmp_path: Path) -> None:
    out = tmp_path / "out"
    src1, ids1 = _src(tmp_path, "one", b"v1\n")
    build_release(src1, version=Version.parse("1.1.0"), out=out)
    blobs_before = set((out / "blobs" / "sha256").iterdir())
    src2, ids2 = _src(tmp_path, "two", b"v2\n")

    build_release(src2, version=Version.parse("1.2.0"), out=out)

    assert ids1[0] == ids2[0] and ids1[1] != ids2[1]
    added = set((out / "blobs" / "sha256").iterdir()) - blobs_before
    assert len(added) == 2  # the new config and the new app layer, not the base
    assert (out / "1.1.0" / "images-x86_64.json").is_file()


def test_unsplittable_image_tars_mean_no_index(tmp_path: Path) -> None:
    src = release(tmp_path / "src")  # images/web.tar is not a docker-save archive
    out = tmp_path / "out"

    build_release(src, version=Version.parse("1.1.0"), out=out)

    manifest = json.loads((out / "manifest.json").read_bytes())
    assert "images" not in manifest["platforms"]["x86_64"]
    assert not (out / "1.1.0" / "images-x86_64.json").exists()
    assert not list((out / "blobs" / "sha256").iterdir())


def test_signing_lists_the_index_and_every_blob_with_length_and_hash(tmp_path: Path) -> None:
    src, _ids = _src(tmp_path, "src", b"v1\n")
    out = tmp_path / "out"
    build_release(src, version=Version.parse("1.1.0"), out=out)

    sign(out, tmp_path / "keys")

    targets = json.loads((out / "targets.json").read_bytes())["signed"]["targets"]
    index = parse_index((out / "1.1.0" / "images-x86_64.json").read_bytes())
    blobs = [index.images[0].config, *(la.blob for la in index.images[0].layers)]
    wanted = {f"blobs/sha256/{b.hex}": (b.size, b.hex) for b in blobs}
    wanted["1.1.0/images-x86_64.json"] = (
        (out / "1.1.0/images-x86_64.json").stat().st_size,
        sha256(out / "1.1.0/images-x86_64.json"),
    )
    wanted[f"1.1.0/{index.files.name}"] = (index.files.size, index.files.sha256)
    for path, (length, digest) in wanted.items():
        assert targets[path] == {"length": length, "hashes": {"sha256": digest}}, path
