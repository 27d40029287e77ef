"""The running Compose stack: compose CLI, health gate, and the DockerPort over a real engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_upgrader.ops.lazy_face import lazy_face

if TYPE_CHECKING:
    from tui_upgrader.ops.stack.real_docker import RealDocker as RealDocker

__getattr__ = lazy_face(
    __name__,
    {
        "RealDocker": "real_docker",
    },
)
