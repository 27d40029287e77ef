"""Which deploy dir a backup or a run belongs to, compared as the file system sees it."""

from __future__ import annotations

import os
from pathlib import Path


def same_dir(a: Path | str | None, b: Path | str | None) -> bool:
    """True when both name the same directory (symlinks, ``..`` and a trailing ``/`` ignored).

    A record with no deploy dir (an old catalogue) belongs to none.
    """
    if a is None or b is None:
        return False
    return os.path.realpath(a) == os.path.realpath(b)
