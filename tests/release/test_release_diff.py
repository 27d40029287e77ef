"""Patch diffs between two release folders: the operations and the patch package, exactly."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support.release_trees import release, zip_names, zip_read
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.manifest import PatchOperations, parse_manifest_bytes
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release._internal.diff import diff_trees, scan_tree
from tui_upgrader.ops.release.build import build_release


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    old = release(
        tmp_path / "old",
        {
            "app/same.txt": "same\n",
            "app/changed.txt": "old body\n",
            "app/samesize.txt": "aaaa\n",
            "app/gone.txt": "bye\n",
            "plugins/old/a.txt": "a\n",
            "plugins/old/deep/b.txt": "b\n",
            "plugins/kept/k.txt": "k\n",
            "kind/file-then-dir": "was a file\n",
            "kind/dir-then-file/x.txt": "was in a dir\n",
        },
        dirs=("empty-old",),
    )
    new = release(
        tmp_path / "new",
        {
            "app/same.txt": "same\n",
            "app/changed.txt": "new, longer body\n",
            "app/samesize.txt": "bbbb\n",
            "app/added.txt": "hello\n",
            "plugins/new/n.txt": "n\n",
            "plugins/new/deep/m.txt": "m\n",
            "plugins/kept/k.txt": "k\n",
            "kind/file-then-dir/y.txt": "now a dir\n",
            "kind/dir-then-file": "now a file\n",
            "RELEASE_NOTES.md": "not packed\n",
        },
        dirs=("empty-new",),
    )
    return old, new


EXPECTED = PatchOperations(
    replace_files=("app/added.txt", "app/changed.txt", "app/samesize.txt", "kind/dir-then-file"),
    replace_dirs=("empty-new", "kind/file-then-dir", "plugins/new"),
    delete_files=("app/gone.txt",),
    delete_dirs=("empty-old", "plugins/old"),
)


def test_diff_lists_exactly_what_changed(tmp_path: Path) -> None:
    old, new = _pair(tmp_path)

    ops = diff_trees(scan_tree(old, "amd64"), scan_tree(new, "amd64"))

    assert ops == EXPECTED
    assert ops.deleted == ("app/gone.txt", "empty-old", "plugins/old")


def test_execute_bit_change_is_a_change(tmp_path: Path) -> None:
    old = release(tmp_path / "old", {"bin/run": "#!/bin/sh\n"})
    new = release(tmp_path / "new", {"bin/run": "#!/bin/sh\n"})
    os.chmod(new / "bin" / "run", 0o755)

    ops = diff_trees(scan_tree(old, "amd64"), scan_tree(new, "amd64"))

    assert ops == PatchOperations(replace_files=("bin/run",))


def test_image_for_another_arch_is_not_in_the_diff(tmp_path: Path) -> None:
    old = release(tmp_path / "old", {"images/db-arm64.tar": b"one"})
    new = release(tmp_path / "new", {"images/db-arm64.tar": b"two", "images/db-amd64.tar": b"x"})

    amd = diff_trees(scan_tree(old, "amd64"), scan_tree(new, "amd64"))
    arm = diff_trees(scan_tree(old, "arm64"), scan_tree(new, "arm64"))

    assert amd == PatchOperations(replace_files=("images/db-amd64.tar",))
    assert arm == PatchOperations(replace_files=("images/db-arm64.tar",))


def test_patch_package_holds_replaced_paths_only(tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    out = tmp_path / "out"

    result = build_release(new, version=Version.parse("1.0.0.1"), out=out, patch_from=old)

    assert result.operations == {Arch.X86_64: EXPECTED}
    patch = out / "1.0.0.1" / "x86_64-patch.zip"
    assert zip_names(patch) == [
        "docker/",
        "docker/app/",
        "docker/app/added.txt",
        "docker/app/changed.txt",
        "docker/app/samesize.txt",
        "docker/empty-new/",
        "docker/kind/",
        "docker/kind/dir-then-file",
        "docker/kind/file-then-dir/",
        "docker/kind/file-then-dir/y.txt",
        "docker/plugins/",
        "docker/plugins/new/",
        "docker/plugins/new/deep/",
        "docker/plugins/new/deep/m.txt",
        "docker/plugins/new/n.txt",
    ]
    assert zip_read(patch, "docker/app/changed.txt") == b"new, longer body\n"
    manifest = parse_manifest_bytes((out / "manifest.json").read_bytes())
    assert manifest.patch is not None
    assert manifest.patch[Arch.X86_64].operations == EXPECTED
    assert manifest.patch[Arch.X86_64].url == "/1.0.0.1/x86_64-patch.zip"
    assert "RELEASE_NOTES.md" not in " ".join(zip_names(out / "1.0.0.1" / "docker-x86_64.zip"))


def test_patch_is_deterministic(tmp_path: Path) -> None:
    old, new = _pair(tmp_path)
    a = build_release(new, version=Version.parse("1.0.0.1"), out=tmp_path / "a", patch_from=old)
    b = build_release(new, version=Version.parse("1.0.0.1"), out=tmp_path / "b", patch_from=old)

    assert [p.sha256 for p in a.packages] == [p.sha256 for p in b.packages]
