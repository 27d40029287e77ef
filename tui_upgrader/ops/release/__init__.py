"""The publisher's side: build a release store (packages, patch, manifest) and serve it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_upgrader.ops.lazy_face import lazy_face

if TYPE_CHECKING:
    from tui_upgrader.ops.release.build import BuildResult as BuildResult
    from tui_upgrader.ops.release.build import build_release as build_release
    from tui_upgrader.ops.release.server import ReleaseServer as ReleaseServer
    from tui_upgrader.ops.release.server import make_release_server as make_release_server
    from tui_upgrader.ops.release.server import serve_directory as serve_directory

__getattr__ = lazy_face(
    __name__,
    {
        "build_release": "build",
        "BuildResult": "build",
        "make_release_server": "server",
        "ReleaseServer": "server",
        "serve_directory": "server",
    },
)
