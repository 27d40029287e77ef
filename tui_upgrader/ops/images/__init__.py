"""Docker images through the Engine API: connect, load with per-layer progress, pull, tag."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_upgrader.ops.lazy_face import lazy_face

if TYPE_CHECKING:
    from tui_upgrader.ops.images.engine import connect as connect
    from tui_upgrader.ops.images.engine import engine_host as engine_host
    from tui_upgrader.ops.images.load import load_image_tar as load_image_tar
    from tui_upgrader.ops.images.pull import pull_image as pull_image

__getattr__ = lazy_face(
    __name__,
    {
        "connect": "engine",
        "engine_host": "engine",
        "load_image_tar": "load",
        "pull_image": "pull",
    },
)
