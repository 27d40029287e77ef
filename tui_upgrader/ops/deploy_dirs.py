"""Which deploy dir a backup or a run belongs to, compared as the file system sees it."""

from __future__ import annotations

import os
from pathlib import Path


def same_dir(a: Path | str, b: Path | str) -> bool:
    """True when both name the same directory (symlinks, ``..`` and a trailing ``/`` ignored)."""
    return os.path.realpath(a) == os.path.realpath(b)
