"""A package may not inflate past its declared bound (#25): a bomb is refused
before its content is written, whatever the free space."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from tui_upgrader.core.errors import PackageError
from tui_upgrader.ops.archive import package


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def test_a_package_past_the_ratio_is_refused_before_its_content_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "RATIO_FLOOR", 1 << 20)  # the floor would hide a small bomb
    bomb = _zip(
        tmp_path / "p.zip", {"docker/compose.yaml": b"services: {}\n", "docker/z": bytes(16 << 20)}
    )
    assert package.MAX_UNPACK_RATIO * bomb.stat().st_size < 16 << 20
    with pytest.raises(PackageError, match="exceeds"):
        package.unpack(bomb, tmp_path / "staging")
    assert not (tmp_path / "staging" / "z").exists()


def test_an_ordinary_package_is_within_the_bound(tmp_path: Path) -> None:
    files = {"docker/compose.yaml": b"services: {}\n", "docker/app.bin": bytes(range(256)) * 4096}
    staged = package.unpack(_zip(tmp_path / "p.zip", files), tmp_path / "staging")
    assert (staged / "app.bin").stat().st_size == 256 * 4096
    assert package.unpack_limit(3_100_000) == 310_000_000  # 700:1 of 3.1 MB (2 GiB) is refused
    assert package.unpack_limit(10 << 30) == package.MAX_TOTAL_BYTES
