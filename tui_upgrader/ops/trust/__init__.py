"""Signed releases on the client (TUF, python-tuf): the pinned root, verified metadata,
the manifest and package hashes vouched for by the signed targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_upgrader.ops.lazy_face import lazy_face

if TYPE_CHECKING:
    from tui_upgrader.ops.trust.anchor import RootInfo as RootInfo
    from tui_upgrader.ops.trust.anchor import pin_root as pin_root
    from tui_upgrader.ops.trust.anchor import pinned_root_path as pinned_root_path
    from tui_upgrader.ops.trust.anchor import read_root_file as read_root_file
    from tui_upgrader.ops.trust.client import Release as Release
    from tui_upgrader.ops.trust.client import bind_package as bind_package
    from tui_upgrader.ops.trust.client import open_release as open_release

__getattr__ = lazy_face(
    __name__,
    {
        "RootInfo": "anchor",
        "pin_root": "anchor",
        "pinned_root_path": "anchor",
        "read_root_file": "anchor",
        "Release": "client",
        "bind_package": "client",
        "open_release": "client",
    },
)
