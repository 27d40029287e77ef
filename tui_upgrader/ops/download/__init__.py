"""Bytes from the release server: the manifest, and packages with resume and verification."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_upgrader.ops.lazy_face import lazy_face

if TYPE_CHECKING:
    from tui_upgrader.ops.download.fetch import DownloadResult as DownloadResult
    from tui_upgrader.ops.download.fetch import download as download
    from tui_upgrader.ops.download.manifest import fetch_manifest as fetch_manifest
    from tui_upgrader.ops.download.manifest import is_remote as is_remote

__getattr__ = lazy_face(
    __name__,
    {
        "download": "fetch",
        "DownloadResult": "fetch",
        "fetch_manifest": "manifest",
        "is_remote": "manifest",
    },
)
