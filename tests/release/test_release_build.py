"""``release build``: packages, manifest, determinism and refusals (real zip, real files)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.release_trees import release, sha256, write_tree, zip_names, zip_read
from tui_upgrader.cli import main
from tui_upgrader.core.arch import Arch
from tui_upgrader.core.errors import InputError
from tui_upgrader.core.manifest import parse_manifest_bytes
from tui_upgrader.core.versions import Version
from tui_upgrader.ops.release.build import build_release


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_upgrader", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
        env=dict(os.environ),
    )


def test_full_package_and_manifest_match_the_files(tmp_path: Path) -> None:
    src = release(tmp_path / "src", {"RELEASE_NOTES.md": "Big release\n"}, dirs=("logs",))
    out = tmp_path / "out"

    result = build_release(src, version=Version.parse("1.1.0"), out=out)

    package = out / "1.1.0" / "docker-x86_64.zip"
    assert [p.path for p in result.packages] == [package]
    manifest = parse_manifest_bytes((out / "manifest.json").read_bytes())
    assert manifest.version == Version.parse("1.1.0")
    assert manifest.release_notes == "Big release"
    assert manifest.platforms is not None and manifest.full is not None
    entry = manifest.platforms[Arch.X86_64]
    assert entry.url == "/1.1.0/docker-x86_64.zip"
    assert entry.sha256 == sha256(package) == result.packages[0].sha256
    assert entry.size == package.stat().st_size
    assert manifest.full == entry  # legacy clients get the x86_64 package
    assert manifest.patch is None and manifest.min_version is None
    assert manifest.release_date.tzinfo is not None
    assert zip_names(package) == [
        "docker/",
        "docker/.env",
        "docker/app/",
        "docker/app/app.sh",
        "docker/compose.yaml",
        "docker/config/",
        "docker/config/app.conf",
        "docker/images/",
        "docker/images/web.tar",
        "docker/logs/",
    ]
    assert zip_read(package, "docker/.env") == b"A=1\nSECRET=x\n"
    with zipfile.ZipFile(package) as zf:
        assert (zf.getinfo("docker/app/app.sh").external_attr >> 16) & 0o777 == 0o755
        assert (zf.getinfo("docker/.env").external_attr >> 16) & 0o777 == 0o644
        assert zf.getinfo("docker/images/web.tar").compress_type == zipfile.ZIP_DEFLATED
        assert zf.testzip() is None


def test_same_folder_gives_identical_bytes(tmp_path: Path) -> None:
    src = release(tmp_path / "src")
    first = build_release(src, version=Version.parse("2.0.0"), out=tmp_path / "a")
    os.utime(src / "config" / "app.conf", (1, 1))  # a touched file must not matter
    second = build_release(src, version=Version.parse("2.0.0"), out=tmp_path / "b")

    assert first.packages[0].sha256 == second.packages[0].sha256
    assert first.packages[0].path.read_bytes() == second.packages[0].path.read_bytes()


def test_already_compressed_files_are_stored(tmp_path: Path) -> None:
    src = release(tmp_path / "src", {"images/db.tar.gz": b"\x1f\x8b" + os.urandom(4000)})
    result = build_release(src, version=Version.parse("1.0.0"), out=tmp_path / "out")

    with zipfile.ZipFile(result.packages[0].path) as zf:
        assert zf.getinfo("docker/images/db.tar.gz").compress_type == zipfile.ZIP_STORED
        assert zf.getinfo("docker/config/app.conf").compress_type == zipfile.ZIP_DEFLATED


def test_each_arch_gets_only_its_images(tmp_path: Path) -> None:
    src = release(
        tmp_path / "src", {"images/api-amd64.tar": b"amd64 image", "images/api-arm64.tar": b"arm"}
    )
    out = tmp_path / "out"
    result = build_release(
        src, version=Version.parse("1.2.3"), out=out, arches=(Arch.AARCH64, Arch.X86_64)
    )

    x86 = [n for n in zip_names(out / "1.2.3/docker-x86_64.zip") if "images/" in n]
    arm = [n for n in zip_names(out / "1.2.3/docker-aarch64.zip") if "images/" in n]
    assert x86 == ["docker/images/", "docker/images/api-amd64.tar", "docker/images/web.tar"]
    assert arm == ["docker/images/", "docker/images/api-arm64.tar", "docker/images/web.tar"]
    manifest = parse_manifest_bytes(result.manifest.read_bytes())
    assert manifest.platforms is not None
    assert set(manifest.platforms) == {Arch.X86_64, Arch.AARCH64}
    assert manifest.platforms[Arch.AARCH64].sha256 == sha256(out / "1.2.3/docker-aarch64.zip")
    assert manifest.full is not None
    assert manifest.full.url == "/1.2.3/docker-x86_64.zip"


def test_base_url_min_version_and_notes_option(tmp_path: Path) -> None:
    src = release(tmp_path / "src")
    result = build_release(
        src,
        version=Version.parse("v3.1.0.2"),
        out=tmp_path / "out",
        base_url="https://cdn.example.org/svc/",
        notes="from the option",
        min_version=Version.parse("3.0.0"),
    )

    raw = json.loads(result.manifest.read_text())
    assert raw["version"] == "3.1.0.2"
    assert (
        raw["platforms"]["x86_64"]["url"] == "https://cdn.example.org/svc/3.1.0.2/docker-x86_64.zip"
    )
    assert raw["min_version"] == "3.0.0"
    manifest = parse_manifest_bytes(result.manifest.read_bytes())
    assert manifest.release_notes == "from the option"
    assert manifest.min_version == Version.parse("3.0.0")


def test_rebuilding_same_version_merges_architectures(tmp_path: Path) -> None:
    src = release(tmp_path / "src")
    out = tmp_path / "out"
    build_release(src, version=Version.parse("1.0.0"), out=out, arches=(Arch.AARCH64,))
    build_release(src, version=Version.parse("1.0.0"), out=out, arches=(Arch.X86_64,))

    manifest = parse_manifest_bytes((out / "manifest.json").read_bytes())
    assert manifest.platforms is not None
    assert set(manifest.platforms) == {Arch.X86_64, Arch.AARCH64}


def test_newer_version_replaces_manifest_older_is_refused(tmp_path: Path) -> None:
    src = release(tmp_path / "src")
    out = tmp_path / "out"
    build_release(src, version=Version.parse("1.0.0"), out=out, arches=(Arch.AARCH64,))
    build_release(src, version=Version.parse("1.1.0"), out=out)
    manifest = parse_manifest_bytes((out / "manifest.json").read_bytes())
    assert manifest.version == Version.parse("1.1.0")
    assert manifest.platforms is not None and set(manifest.platforms) == {Arch.X86_64}
    assert (out / "1.0.0" / "docker-aarch64.zip").is_file()  # old packages stay published

    before = (out / "manifest.json").read_bytes()
    with pytest.raises(InputError, match=r"offers 1\.1\.0, newer than 1\.0\.5"):
        build_release(src, version=Version.parse("1.0.5"), out=out)
    assert (out / "manifest.json").read_bytes() == before


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no-compose", "no compose file"),
        ("missing", "not a directory"),
        ("symlink", "is a symlink"),
        ("out-inside", "must not lie inside"),
    ],
)
def test_bad_release_folders_are_refused(tmp_path: Path, setup: str, message: str) -> None:
    src = tmp_path / "src"
    out = tmp_path / "out"
    if setup == "no-compose":
        write_tree(src, {".env": "A=1\n", "app/x": "x"})
    elif setup == "symlink":
        release(src)
        (src / "app" / "link").symlink_to("/etc/passwd")
    elif setup == "out-inside":
        release(src)
        out = src / "dist"
    with pytest.raises(InputError, match=message):
        build_release(src, version=Version.parse("1.0.0"), out=out)
    assert not (out / "manifest.json").exists()


def test_cli_refuses_src_without_compose_file_with_exit_2(tmp_path: Path) -> None:
    src = write_tree(tmp_path / "src", {".env": "A=1\n"})
    proc = _cli("release", "build", str(src), "--version", "1.0.0", "--out", str(tmp_path / "o"))

    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("tui-upgrader: error: release folder ")
    assert "no compose file" in lines[0]


def test_cli_bad_version_and_arch_exit_2(tmp_path: Path) -> None:
    src = release(tmp_path / "src")
    out = str(tmp_path / "o")
    assert main(["release", "build", str(src), "--version", "1.2", "--out", out]) == 2
    assert (
        main(["release", "build", str(src), "--version", "1.2.0", "--out", out, "--arch", "mips"])
        == 2
    )
    assert not Path(out, "manifest.json").exists()


def test_cli_end_to_end_json(tmp_path: Path) -> None:
    old = release(tmp_path / "old")
    new = release(tmp_path / "new", {"config/app.conf": "k = w\n"})
    out = tmp_path / "out"

    proc = _cli(
        "release",
        "build",
        str(new),
        "--version",
        "1.1.0.1",
        "--out",
        str(out),
        "--patch-from",
        str(old),
        "--arch",
        "amd64",
        "--arch",
        "arm64",
        "--json",
    )

    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["manifest"] == str(out / "manifest.json")
    kinds = {(p["kind"], p["arch"]): p for p in doc["packages"]}
    assert set(kinds) == {
        ("full", "x86_64"),
        ("patch", "x86_64"),
        ("full", "aarch64"),
        ("patch", "aarch64"),
    }
    for package in doc["packages"]:
        path = Path(package["path"])
        assert sha256(path) == package["sha256"]
        assert path.stat().st_size == package["size"]
    patch = Path(kinds[("patch", "x86_64")]["path"])
    assert patch == out / "1.1.0.1" / "x86_64-patch.zip"
    assert zip_names(patch) == ["docker/", "docker/config/", "docker/config/app.conf"]
    manifest = parse_manifest_bytes((out / "manifest.json").read_bytes())
    assert manifest.patch is not None
    assert manifest.patch[Arch.X86_64].operations.replace_files == ("config/app.conf",)
    assert manifest.patch[Arch.X86_64].sha256 == sha256(patch)
    assert manifest.patch[Arch.X86_64].size == patch.stat().st_size


def test_cli_text_output_is_the_manifest_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = release(tmp_path / "src")
    code = main(["release", "build", str(src), "--version", "1.0.0", "--out", str(tmp_path / "o")])

    assert code == 0
    assert capsys.readouterr().out == f"{tmp_path / 'o' / 'manifest.json'}\n"


def test_identical_folders_warn_about_an_empty_patch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = release(tmp_path / "old")
    new = release(tmp_path / "new")
    code = main(
        [
            "release",
            "build",
            str(new),
            "--version",
            "1.0.0.1",
            "--out",
            str(tmp_path / "o"),
            "--patch-from",
            str(old),
        ]
    )

    assert code == 0
    err = capsys.readouterr().err
    assert "tui-upgrader: warning: x86_64:" in err and "hold the same files" in err
    manifest = parse_manifest_bytes((tmp_path / "o" / "manifest.json").read_bytes())
    assert manifest.patch is not None and manifest.patch[Arch.X86_64].operations.total == 0
