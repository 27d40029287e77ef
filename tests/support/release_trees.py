"""Small release folders for the release-builder tests."""

from __future__ import annotations

import hashlib
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

COMPOSE = "name: reltest\nservices:\n  web:\n    image: reltest/web:1\n    pull_policy: never\n"


def write_tree(root: Path, files: Mapping[str, bytes | str], *, dirs: tuple[str, ...] = ()) -> Path:
    """Create ``root`` with ``files`` (str = text) and extra (empty) ``dirs``."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body.encode() if isinstance(body, str) else body)
    for rel in dirs:
        (root / rel).mkdir(parents=True, exist_ok=True)
    return root


def release(
    root: Path, extra: Mapping[str, bytes | str] | None = None, *, dirs: tuple[str, ...] = ()
) -> Path:
    """A minimal release folder: compose file, .env, one image tar, app and config files."""
    files: dict[str, bytes | str] = {
        "compose.yaml": COMPOSE,
        ".env": "A=1\nSECRET=x\n",
        "app/app.sh": "#!/bin/sh\necho app\n",
        "config/app.conf": "k = v\n",
        "images/web.tar": b"pretend image tar\n" * 100,
    }
    files.update(extra or {})
    root = write_tree(root, files, dirs=dirs)
    os.chmod(root / "app/app.sh", 0o755)
    return root


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def zip_read(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)
