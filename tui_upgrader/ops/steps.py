"""Step bookkeeping shared by the runner and recovery: events + crash hooks."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tui_upgrader.core.errors import CancelledError
from tui_upgrader.core.events import Emit, LogEvent, LogLevel, Step, StepEvent
from tui_upgrader.ops.journal import crash_point, pause_point
from tui_upgrader.ops.ports import BackupPort, DockerPort
from tui_upgrader.ops.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Context:
    settings: Settings
    docker: DockerPort
    backups: BackupPort
    emit: Emit
    cancel: threading.Event

    @property
    def deploy_dir(self) -> Path:
        return self.settings.deploy_dir

    def log(self, level: LogLevel, message: str) -> None:
        getattr(logger, "warning" if level == "warning" else level)("%s", message)
        self.emit(LogEvent(level, message))

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise CancelledError("cancelled by the user before anything was stopped")

    @contextlib.contextmanager
    def step(self, step: Step, detail: str = "") -> Iterator[None]:
        crash_point(step.value)
        self.emit(StepEvent(step, "started", detail))
        try:
            pause_point(step.value, self.cancel)
            yield
        except BaseException:
            self.emit(StepEvent(step, "failed"))
            raise
        self.emit(StepEvent(step, "finished"))
        crash_point(f"{step.value}:end")

    def skip(self, step: Step, why: str) -> None:
        self.emit(StepEvent(step, "skipped", why))
