"""Which image tars of a release folder are meant for this machine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def image_files_for_arch(images_dir: Path, docker_arch: str) -> Sequence[Path]:
    """Image tars meant for this machine: ``*-<arch>.tar`` plus plain ``*.tar``.

    Tars for another architecture (``*-arm64.tar`` on amd64) are skipped.
    """
    if not images_dir.is_dir():
        return []
    others = {"amd64", "arm64"} - {docker_arch}
    picked: list[Path] = []
    for path in sorted(images_dir.iterdir()):
        if not path.is_file() or not path.name.endswith((".tar", ".tar.gz", ".tar.xz")):
            continue
        stem = path.name.split(".tar")[0]
        if any(stem.endswith(f"-{other}") for other in others):
            continue
        picked.append(path)
    return picked
