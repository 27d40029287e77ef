"""Unpacking a release package into staging: the docker/ top folder, one pass, no escapes."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path
from typing import IO

import pytest

from tui_upgrader.core.errors import PackageError
from tui_upgrader.core.paths import COMPOSE_FILE_NAMES
from tui_upgrader.ops.archive import extract as safe_extract
from tui_upgrader.ops.archive.package import check_full, unpack


def write_tar(path: Path, members: list[tuple[str, bytes | str]]) -> Path:
    """``str`` payload = a symlink to it, ``bytes`` = a regular file."""
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members:
            info = tarfile.TarInfo(name)
            if isinstance(payload, str):
                info.type, info.linkname = tarfile.SYMTYPE, payload
                tar.addfile(info)
            else:
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return path


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Each time the tar is opened (a pass over a compressed package)."""
    calls: list[object] = []
    real = safe_extract._open_tar

    def counting(archive: Path | IO[bytes]) -> tarfile.TarFile:
        calls.append(archive)
        return real(archive)

    monkeypatch.setattr(safe_extract, "_open_tar", counting)
    return calls


def test_a_tar_gz_under_docker_is_stripped_in_a_single_pass(
    tmp_path: Path, opened: list[object]
) -> None:
    package = write_tar(
        tmp_path / "p.tar.gz",
        [("docker/compose.yaml", b"services: {}\n"), ("docker/app/run.sh", b"echo hi\n")],
    )

    staged = unpack(package, tmp_path / "staging")

    assert (staged / "compose.yaml").read_bytes() == b"services: {}\n"
    assert (staged / "app" / "run.sh").read_bytes() == b"echo hi\n"
    assert len(opened) == 1


def test_a_member_outside_docker_means_nothing_is_stripped(
    tmp_path: Path, opened: list[object]
) -> None:
    package = write_tar(
        tmp_path / "p.tar.gz",
        [("docker/compose.yaml", b"a\n"), ("README", b"b\n")],  # the odd one comes last
    )
    staging = tmp_path / "staging"

    unpack(package, staging)

    assert sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*")) == [
        "README",
        "docker",
        "docker/compose.yaml",
    ]
    assert len(opened) == 2


def test_a_flat_tar_is_extracted_as_it_is(tmp_path: Path) -> None:
    package = write_tar(tmp_path / "p.tar.gz", [("compose.yaml", b"a\n")])

    staged = unpack(package, tmp_path / "staging")

    assert (staged / "compose.yaml").read_bytes() == b"a\n"


def test_a_link_that_escapes_the_docker_folder_is_refused(tmp_path: Path) -> None:
    package = write_tar(
        tmp_path / "p.tar.gz", [("docker/compose.yaml", b"a\n"), ("docker/leak", "../../etc")]
    )

    with pytest.raises(PackageError) as caught:
        unpack(package, tmp_path / "staging")

    assert "docker/leak" in str(caught.value)


def test_a_zip_under_docker_is_stripped(tmp_path: Path) -> None:
    package = tmp_path / "p.zip"
    with zipfile.ZipFile(package, "w") as zf:
        zf.writestr("docker/compose.yaml", "services: {}\n")

    staged = unpack(package, tmp_path / "staging")

    assert (staged / "compose.yaml").read_text() == "services: {}\n"


def test_an_unreadable_package_is_a_one_line_error(tmp_path: Path) -> None:
    package = tmp_path / "p.tar.gz"
    package.write_bytes(b"\x1f\x8b not really gzip")

    with pytest.raises(PackageError) as caught:
        unpack(package, tmp_path / "staging")

    assert str(caught.value).startswith("p.tar.gz: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "members",
    [
        [("docker/compose.yaml", b"a\n"), ("docker/.tui-upgrader/state.toml", b"v\n")],
        [("compose.yaml", b"a\n"), (".tui-upgrader/journal.json", b"{}\n")],
    ],
    ids=["under-docker", "flat"],
)
def test_a_package_holding_the_state_dir_is_refused(
    tmp_path: Path, members: list[tuple[str, bytes | str]]
) -> None:
    package = write_tar(tmp_path / "p.tar.gz", members)

    with pytest.raises(PackageError, match=r"^p\.tar\.gz: holds \.tui-upgrader/, the tool's own"):
        unpack(package, tmp_path / "staging")


def test_a_full_package_without_compose_file_names_every_accepted_name(tmp_path: Path) -> None:
    staged = tmp_path / "staging"
    (staged / "app").mkdir(parents=True)

    with pytest.raises(PackageError) as caught:
        check_full(staged, "p.zip")

    message = str(caught.value)
    assert all(name in message for name in COMPOSE_FILE_NAMES), message
    assert "\n" not in message
