"""Notifications of finished operations (upgrade, rollback, recovery, restore) over Apprise URLs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_upgrader.ops.lazy_face import lazy_face

if TYPE_CHECKING:
    from tui_upgrader.ops.notify.message import Notice as Notice
    from tui_upgrader.ops.notify.message import restore_notice as restore_notice
    from tui_upgrader.ops.notify.message import result_notice as result_notice
    from tui_upgrader.ops.notify.send import announce as announce

__getattr__ = lazy_face(
    __name__,
    {
        "Notice": "message",
        "restore_notice": "message",
        "result_notice": "message",
        "announce": "send",
    },
)
