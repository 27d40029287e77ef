"""Step bookkeeping shared by the runner and recovery: events + crash hooks."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from tui_upgrader.core.errors import CancelledError, EngineUnavailableError
from tui_upgrader.core.events import Emit, Event, LogEvent, LogLevel, Step, StepEvent
from tui_upgrader.core.i18n import _
from tui_upgrader.core.redact import Redactor
from tui_upgrader.core.stages import Stage
from tui_upgrader.ops.fault_points import crash_point, pause_point
from tui_upgrader.ops.logsetup import install_redactor, learn_env_secrets
from tui_upgrader.ops.ports import DockerPort
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.stagelog import stage_log

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.store import BackupStore

logger = logging.getLogger(__name__)

T = TypeVar("T")

ENGINE_WAIT_S = 60  # an engine restarted under us (a package upgrade, a crash) is back by then


class EngineEmit:
    """The emit the engine calls: secrets masked, and it never raises.

    Once the stack is down nothing may stop the upgrade or the rollback from
    finishing, least of all its audience going away (``upgrade --json | head``,
    a dropped SSH session: BrokenPipeError; a full disk under a log sink). The
    first failure is written to the log file once; later events are dropped.
    """

    def __init__(self, sink: Emit, redactor: Redactor) -> None:
        self._sink = sink
        self._redactor = redactor
        self._lock = threading.Lock()
        self.failed: BaseException | None = None

    def __call__(self, event: Event) -> None:
        if self.failed is not None:
            return
        try:
            self._sink(self._redactor.event(event))
        except Exception as exc:
            with self._lock:
                first = self.failed is None
                self.failed = exc
            if first:
                logger.warning(
                    "the event output failed (%s: %s); further events are dropped, "
                    "the run carries on",
                    type(exc).__name__,
                    exc,
                )


@dataclass(slots=True)
class Context:
    settings: Settings
    docker: DockerPort
    backups: BackupStore
    emit: Emit
    cancel: threading.Event
    redactor: Redactor = field(default_factory=Redactor)

    @classmethod
    def for_run(
        cls,
        settings: Settings,
        docker: DockerPort,
        backups: BackupStore,
        emit: Emit,
        cancel: threading.Event,
    ) -> Context:
        """A context whose events and log lines mask the deploy dir's ``.env`` values
        (installed for the log file too) and whose emit never raises."""
        redactor = learn_env_secrets(Redactor(), settings.deploy_dir)
        install_redactor(redactor)
        return cls(settings, docker, backups, EngineEmit(emit, redactor), cancel, redactor)

    @property
    def deploy_dir(self) -> Path:
        return self.settings.deploy_dir

    def learn_secrets(self) -> None:
        """Read the ``.env`` files again: a staged release may bring new values."""
        learn_env_secrets(self.redactor, self.deploy_dir)

    def log(self, level: LogLevel, message: str) -> None:
        message = self.redactor.redact(message)
        getattr(logger, "warning" if level == "warning" else level)("%s", message)
        self.emit(LogEvent(level, message))

    def note(self, stage: Stage, **values: object) -> None:
        """One stage line (core.stages) in the log file and the event stream."""
        stage_log(self.emit, stage, **values)

    def engine_retry(self, what: str, action: Callable[[], T]) -> T:
        """Run ``action``; while the engine does not answer, wait and run it again.

        For putting things back: an engine that restarts under us (a package upgrade,
        a crash) answers again within seconds, and the old stack should not stay down
        for that. Bounded by ``ENGINE_WAIT_S`` (at most the health timeout); then the
        engine's error goes to the caller.
        """
        limit = min(ENGINE_WAIT_S, self.settings.health_timeout_s)
        deadline = time.monotonic() + limit
        said = False
        while True:
            try:
                return action()
            except EngineUnavailableError as exc:
                if time.monotonic() >= deadline:
                    raise
                if not said:
                    self.log("warning", f"{what}: {exc}; retrying for up to {limit:.0f} s")
                    said = True
            threading.Event().wait(1.0)  # poll interval of a bounded retry

    def check_cancel(self) -> None:
        if self.cancel.is_set():
            raise CancelledError(_("cancelled by the user before anything was stopped"))

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
