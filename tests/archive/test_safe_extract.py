"""Crafted archives are refused, naming the member; good ones extract exactly."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from tui_upgrader.core.errors import BackupError, PackageError
from tui_upgrader.ops.archive.extract import check_member_name, extract_tar, extract_zip
from tui_upgrader.ops.archive.links import escaping_links

Entry = tuple[str, str, str | bytes]  # (kind, name, data or link target)


def make_tar(path: Path, entries: list[Entry], *, gz: bool = False) -> Path:
    with tarfile.open(path, "w:gz" if gz else "w") as tar:
        for kind, name, payload in entries:
            info = tarfile.TarInfo(name)
            info.mtime = 1_700_000_000
            if kind == "file":
                data = payload if isinstance(payload, bytes) else payload.encode()
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
                continue
            info.type = {
                "dir": tarfile.DIRTYPE,
                "symlink": tarfile.SYMTYPE,
                "hardlink": tarfile.LNKTYPE,
                "chr": tarfile.CHRTYPE,
                "fifo": tarfile.FIFOTYPE,
            }[kind]
            if kind in ("symlink", "hardlink"):
                info.linkname = str(payload)
            if kind == "chr":
                info.devmajor, info.devminor = 1, 3
            info.mode = 0o755 if kind == "dir" else 0o644
            tar.addfile(info)
    return path


@pytest.mark.parametrize(
    ("entries", "member", "problem"),
    [
        ([("file", "../evil", "x")], "../evil", "'..' segment"),
        ([("file", "ok/../../evil", "x")], "ok/../../evil", "'..' segment"),
        ([("file", "/etc/evil", "x")], "/etc/evil", "absolute path"),
        ([("symlink", "link", "../outside")], "link", "outside"),
        ([("symlink", "link", "/etc/passwd")], "link", "absolute path"),
        ([("dir", "a", ""), ("symlink", "a/deep", "../../..")], "a/deep", "outside"),
        # Each link alone stays inside; together ``t`` leads out. Member order
        # must not matter: ``t`` comes before the link that makes it escape.
        (
            [
                ("dir", "a", ""),
                ("dir", "a/b", ""),
                ("symlink", "t", "a/b/s/.."),
                ("symlink", "a/b/s", "../.."),
            ],
            "t",
            "outside",
        ),
        ([("symlink", "sub", "."), ("file", "sub/evil", "x")], "sub/evil", "not a directory"),
        ([("hardlink", "hl", "../../etc/passwd")], "hl", "'..' segment"),
        ([("hardlink", "hl", "missing")], "hl", "not a file extracted before it"),
        ([("chr", "dev/null", "")], "dev/null", "device, fifo"),
        ([("fifo", "pipe", "")], "pipe", "device, fifo"),
        ([("file", "a", "1"), ("file", "a", "2")], "a", "appears twice"),
    ],
)
@pytest.mark.parametrize("preserve", [False, True], ids=["package", "backup"])
def test_crafted_tar_is_refused_naming_the_member(
    tmp_path: Path, entries: list[Entry], member: str, problem: str, preserve: bool
) -> None:
    # preserve=True skips tarfile's data filter: our own checks must hold alone.
    archive = make_tar(tmp_path / "bad.tar", entries)
    dest = tmp_path / "out"

    with pytest.raises(PackageError) as caught:
        extract_tar(
            archive,
            dest,
            error_type=PackageError,
            preserve_attrs=preserve,
            max_members=1000,
            max_total_bytes=10**9,
        )

    assert repr(member) in caught.value.message and problem in caught.value.message
    assert not (tmp_path / "outside").exists() and not (tmp_path / "evil").exists()


def test_links_inside_are_kept_as_links(tmp_path: Path) -> None:
    entries: list[Entry] = [
        ("dir", "app", ""),
        ("file", "app/run.sh", "#!/bin/sh\n"),
        ("symlink", "app/current", "run.sh"),
        ("symlink", "up", "app/.."),
        ("symlink", "dangling", "created/later"),
        ("hardlink", "app/run-again.sh", "app/run.sh"),
    ]
    archive = make_tar(tmp_path / "good.tar", entries)
    dest = tmp_path / "out"

    stats = extract_tar(
        archive, dest, error_type=PackageError, max_members=1000, max_total_bytes=10**9
    )

    assert (stats.files, stats.symlinks, stats.hardlinks, stats.dirs) == (1, 3, 1, 1)
    assert os.readlink(dest / "app" / "current") == "run.sh"
    assert os.readlink(dest / "dangling") == "created/later"
    assert os.stat(dest / "app" / "run.sh").st_ino == os.stat(dest / "app" / "run-again.sh").st_ino


def test_release_package_tar_gz_strips_the_top_folder_and_sanitises_modes(tmp_path: Path) -> None:
    src = tmp_path / "src" / "docker"
    (src / "app").mkdir(parents=True)
    (src / "app" / "tool").write_text("x")
    os.chmod(src / "app" / "tool", 0o4775)  # setuid + group write: not from a package
    (src / "compose.yaml").write_text("services: {}\n")
    archive = tmp_path / "pkg.tar.gz"
    subprocess.run(["tar", "-czf", str(archive), "-C", str(tmp_path / "src"), "docker"], check=True)

    extract_tar(
        archive,
        tmp_path / "out",
        error_type=PackageError,
        strip_prefix="docker/",
        max_members=1000,
        max_total_bytes=10**9,
    )

    assert (tmp_path / "out" / "compose.yaml").read_text() == "services: {}\n"
    assert stat.S_IMODE(os.stat(tmp_path / "out" / "app" / "tool").st_mode) == 0o755


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_release_package_directories_keep_a_readable_mode(tmp_path: Path, fmt: str) -> None:
    # tarfile's data filter drops directory modes; a package's config/ must not
    # come out 0700, or non-root containers cannot read the bind mount.
    src = tmp_path / "src" / "docker"
    (src / "config" / "nested").mkdir(parents=True)
    (src / "private").mkdir()
    (src / "config" / "app.yml").write_text("a: 1\n")
    for path, perm in (
        (src, 0o755),
        (src / "config", 0o755),
        (src / "config" / "nested", 0o775),
        (src / "private", 0o700),
    ):
        os.chmod(path, perm)
    archive = tmp_path / f"pkg.{fmt}"
    if fmt == "zip":
        subprocess.run(["zip", "-qr", str(archive), "docker"], cwd=tmp_path / "src", check=True)
    else:
        subprocess.run(
            ["tar", "-czf", str(archive), "-C", str(tmp_path / "src"), "docker"], check=True
        )
    out = tmp_path / "out"

    extract = extract_zip if fmt == "zip" else extract_tar
    extract(
        archive,
        out,
        error_type=PackageError,
        strip_prefix="docker",
        max_members=1000,
        max_total_bytes=10**9,
    )

    def mode(rel: str) -> int:
        return stat.S_IMODE(os.stat(out / rel).st_mode)

    assert mode("config") == 0o755
    assert mode("config/nested") == 0o755  # group write dropped, as for files
    assert mode("private") == 0o700  # a deliberate private dir stays private
    assert mode("config/app.yml") == 0o644


def test_strip_prefix_refuses_members_outside_it(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "p.tar", [("file", "docker/a", "1"), ("file", "other/b", "2")])
    with pytest.raises(PackageError, match=r"'other/b'.*outside the expected top folder docker/"):
        extract_tar(
            archive,
            tmp_path / "out",
            error_type=PackageError,
            strip_prefix="docker",
            max_members=1000,
            max_total_bytes=10**9,
        )


def test_limits_and_non_empty_target(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "p.tar", [("file", "a", "12345"), ("file", "b", "6")])
    with pytest.raises(BackupError, match="content exceeds 5 bytes at member 'b'"):
        extract_tar(
            archive, tmp_path / "o1", error_type=BackupError, max_members=10, max_total_bytes=5
        )
    with pytest.raises(BackupError, match="more than 1 members"):
        extract_tar(
            archive, tmp_path / "o2", error_type=BackupError, max_members=1, max_total_bytes=99
        )
    (tmp_path / "o3").mkdir()
    (tmp_path / "o3" / "x").write_text("keep me")
    with pytest.raises(BackupError, match="not an empty directory"):
        extract_tar(
            archive,
            tmp_path / "o3",
            error_type=BackupError,
            max_members=1000,
            max_total_bytes=10**9,
        )
    assert (tmp_path / "o3" / "x").read_text() == "keep me"


def _zip(path: Path, entries: list[tuple[str, bytes, int]]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, (2025, 1, 2, 3, 4, 6))
            info.create_system = 3
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


@pytest.mark.parametrize(
    ("name", "mode", "data", "problem"),
    [
        ("../evil", 0o100644, b"x", "'..' segment"),
        ("/abs", 0o100644, b"x", "absolute path"),
        ("docker\\..\\evil", 0o100644, b"x", "Windows path syntax"),
        ("C:/evil", 0o100644, b"x", "Windows path syntax"),
        ("docker/link", 0o120777, b"../../etc", "outside the extraction target"),
        ("docker/dev", 0o020644, b"", "device, fifo"),
    ],
)
def test_crafted_zip_is_refused_naming_the_member(
    tmp_path: Path, name: str, mode: int, data: bytes, problem: str
) -> None:
    archive = _zip(tmp_path / "bad.zip", [("docker/ok.txt", b"ok", 0o100644), (name, data, mode)])
    with pytest.raises(PackageError) as caught:
        extract_zip(
            archive,
            tmp_path / "out",
            error_type=PackageError,
            strip_prefix="docker",
            max_members=1000,
            max_total_bytes=10**9,
        )
    assert repr(name) in caught.value.message and problem in caught.value.message


def test_zip_release_package(tmp_path: Path) -> None:
    archive = _zip(
        tmp_path / "pkg.zip",
        [
            ("docker/", b"", 0o40755),
            ("docker/config/entry.sh", b"#!/bin/sh\n", 0o100775),
            ("docker/link", b"config/entry.sh", 0o120777),
            ("docker/empty/", b"", 0o40700),
        ],
    )
    out = tmp_path / "out"

    stats = extract_zip(
        archive,
        out,
        error_type=PackageError,
        strip_prefix="docker",
        max_members=1000,
        max_total_bytes=10**9,
    )

    assert (stats.files, stats.symlinks, stats.dirs) == (1, 1, 1)
    assert stat.S_IMODE(os.stat(out / "config" / "entry.sh").st_mode) == 0o755
    assert os.readlink(out / "link") == "config/entry.sh"
    assert (out / "empty").is_dir()


def test_zip_member_inflating_past_its_declared_size_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "bomb.zip", [("a.bin", b"\0" * 100_000, 0o100644)])
    # Lie in the central directory: claim 10 bytes for 100 kB of zeros.
    raw = bytearray(archive.read_bytes())
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(raw))
    # zipfile stops at the declared size and then fails the CRC; either way the
    # extraction never writes more than was declared and admitted.
    with pytest.raises(PackageError, match=r"'a\.bin'"):
        extract_zip(
            archive,
            tmp_path / "out",
            error_type=PackageError,
            max_members=1000,
            max_total_bytes=10**9,
        )
    assert (
        not (tmp_path / "out" / "a.bin").exists()
        or (tmp_path / "out" / "a.bin").stat().st_size <= 10
    )


def test_member_names_are_normalised() -> None:
    assert str(check_member_name("./a//b/", error_type=PackageError)) == "a/b"
    assert str(check_member_name("./", error_type=PackageError)) == "."
    with pytest.raises(PackageError, match="NUL"):
        check_member_name("a\0b", error_type=PackageError)


def test_link_resolution_follows_other_links() -> None:
    # a -> b/c -> d/c (two levels down): a/../.. is the root, a/../../.. is outside.
    links = {"a": "b/c", "b": "d", "x": "a/../..", "x2": "a/../../..", "l1": "l2", "l2": "l1/x"}
    assert escaping_links(links) == ["l1", "l2", "x2"]  # loops count as outside
    # sub -> "." is the root itself, so sub/.. is above it (lexically it would not be).
    assert escaping_links({"y": "sub/../z", "sub": "."}) == ["y"]
