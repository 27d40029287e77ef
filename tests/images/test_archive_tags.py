"""Reading which tags an image archive would set, before it is loaded (#25)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from tui_upgrader.core.errors import PackageError
from tui_upgrader.ops.images.archive_tags import archive_tags, check_archive_tags, normalise_ref


def _archive(path: Path, files: dict[str, object], *, gz: bool = False) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, doc in files.items():
            data = json.dumps(doc).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(gzip.compress(buf.getvalue()) if gz else buf.getvalue())
    return path


def test_every_index_form_is_read(tmp_path: Path) -> None:
    path = _archive(
        tmp_path / "a.tar.gz",
        {
            "manifest.json": [{"RepoTags": ["me/app:2", "othervendor/app:1"]}],
            "repositories": {"legacy/app": {"3": "abc"}},
            "index.json": {"manifests": [{"annotations": {"io.containerd.image.name": "oci/x:4"}}]},
        },
        gz=True,
    )
    assert archive_tags(path) == {"me/app:2", "othervendor/app:1", "legacy/app:3", "oci/x:4"}
    with pytest.raises(
        PackageError, match=r"would re-tag legacy/app:3, oci/x:4, othervendor/app:1"
    ):
        check_archive_tags([path], ["me/app:2"])
    check_archive_tags(
        [path], ["docker.io/me/app:2", "legacy/app:3", "oci/x:4", "othervendor/app:1"]
    )


def test_refs_are_compared_in_one_form() -> None:
    assert normalise_ref("docker.io/library/busybox") == "busybox:latest"
    assert normalise_ref("registry:5000/x") == "registry:5000/x:latest"


def test_a_tar_whose_index_is_unreadable_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.tar"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"{nope"))
    path.write_bytes(buf.getvalue())
    with pytest.raises(PackageError, match="cannot read which tags"):
        archive_tags(path)
