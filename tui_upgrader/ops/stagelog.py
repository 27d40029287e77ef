"""Emit a stage line (``core.stages``): one marked line in the log file and one ``log`` event."""

from __future__ import annotations

import logging
from typing import Any

from tui_upgrader.core.events import Emit
from tui_upgrader.core.stages import Stage, stage_event
from tui_upgrader.ops.logsetup import redact

logger = logging.getLogger("tui_upgrader.stages")


def stage_log(emit: Emit, stage: Stage, **values: Any) -> None:
    event = stage_event(stage, **values)
    # The log file masks secrets itself; the event is masked here as well for
    # emitters that are not the engine's (already redacting) emit.
    message = redact(event.message)
    getattr(logger, event.level)("%s", message)
    emit(type(event)(event.level, message, event.mark))
