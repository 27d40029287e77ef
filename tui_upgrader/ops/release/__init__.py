"""The publisher's side: build a release store (packages, patch, manifest), sign it
(TUF), bundle it for air-gapped sites, and serve it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_upgrader.ops.lazy_face import lazy_face

if TYPE_CHECKING:
    from tui_upgrader.ops.release.build import BuildResult as BuildResult
    from tui_upgrader.ops.release.build import build_release as build_release
    from tui_upgrader.ops.release.bundle import write_bundle as write_bundle
    from tui_upgrader.ops.release.keys import generate_keys as generate_keys
    from tui_upgrader.ops.release.server import ReleaseServer as ReleaseServer
    from tui_upgrader.ops.release.server import make_release_server as make_release_server
    from tui_upgrader.ops.release.server import serve_directory as serve_directory
    from tui_upgrader.ops.release.signing import Expiry as Expiry
    from tui_upgrader.ops.release.signing import refresh_store as refresh_store
    from tui_upgrader.ops.release.signing import rotate_root as rotate_root
    from tui_upgrader.ops.release.signing import sign_store as sign_store

__getattr__ = lazy_face(
    __name__,
    {
        "build_release": "build",
        "BuildResult": "build",
        "write_bundle": "bundle",
        "generate_keys": "keys",
        "Expiry": "signing",
        "refresh_store": "signing",
        "rotate_root": "signing",
        "sign_store": "signing",
        "make_release_server": "server",
        "ReleaseServer": "server",
        "serve_directory": "server",
    },
)
