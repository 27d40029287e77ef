"""Safe extraction and streamed tar/zip reading and writing, for packages and backups."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_upgrader.ops.lazy_face import lazy_face

if TYPE_CHECKING:
    from tui_upgrader.ops.archive.extract import extract_tar as extract_tar
    from tui_upgrader.ops.archive.package import check_full as check_full
    from tui_upgrader.ops.archive.package import check_patch as check_patch
    from tui_upgrader.ops.archive.package import unpack as unpack

__getattr__ = lazy_face(
    __name__,
    {
        "extract_tar": "extract",
        "check_full": "package",
        "check_patch": "package",
        "unpack": "package",
    },
)
