"""Events the engine emits; the UI and the headless printer render them.

The JSON shapes are the CLI contract in docs/architecture.md (``to_json``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tui_upgrader.core.errors import RollbackFailedError, error_text, exit_code_of
from tui_upgrader.core.i18n import _


class Step(enum.StrEnum):
    """The upgrade steps, in the order they run (stage before stop)."""

    CHECKING_UPDATES = "CheckingUpdates"
    DOWNLOADING_UPDATE = "DownloadingUpdate"
    EXTRACTING_UPDATE = "ExtractingUpdate"
    LOADING_IMAGES = "LoadingImages"
    STOPPING_SERVICES = "StoppingServices"
    CREATING_BACKUP = "CreatingBackup"
    APPLYING_UPDATE = "ApplyingUpdate"
    STARTING_SERVICES = "StartingServices"
    VERIFYING_SERVICES = "VerifyingServices"
    CLEANING_UP = "CleaningUp"
    COMPLETED = "Completed"
    # Not part of the forward path; emitted only when a failure after the stop
    # sends us back to the old version.
    ROLLING_BACK = "RollingBack"
    # Stand-alone operations (backup create / restore) reuse the event stream.
    RESTORING_BACKUP = "RestoringBackup"


FORWARD_STEPS: tuple[Step, ...] = (
    Step.CHECKING_UPDATES,
    Step.DOWNLOADING_UPDATE,
    Step.EXTRACTING_UPDATE,
    Step.LOADING_IMAGES,
    Step.STOPPING_SERVICES,
    Step.CREATING_BACKUP,
    Step.APPLYING_UPDATE,
    Step.STARTING_SERVICES,
    Step.VERIFYING_SERVICES,
    Step.CLEANING_UP,
    Step.COMPLETED,
)

StepState = Literal["started", "finished", "failed", "skipped"]
LayerPhase = Literal["downloading", "extracting", "loading"]
LogLevel = Literal["debug", "info", "warning", "error"]


@dataclass(frozen=True, slots=True)
class StepEvent:
    step: Step
    state: StepState
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"type": "step", "step": self.step.value, "state": self.state}


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """Byte (or item) progress within a step; ``total`` None = unknown."""

    step: Step
    done: int
    total: int | None
    label: str = ""
    # Measured by the producer over the whole transfer so far (None = not yet
    # known); the JSON keeps the contract's shape, so these stay out of it.
    bytes_per_s: float | None = None
    eta_s: float | None = None

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total

    def to_json(self) -> dict[str, Any]:
        return {"type": "progress", "step": self.step.value, "done": self.done, "total": self.total}


@dataclass(frozen=True, slots=True)
class LayerEvent:
    image: str
    layer: str
    phase: LayerPhase
    done: int
    total: int | None

    @property
    def finished(self) -> bool:
        return self.total is not None and self.done >= self.total

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "layer",
            "image": self.image,
            "layer": self.layer,
            "phase": self.phase,
            "done": self.done,
            "total": self.total,
        }


@dataclass(frozen=True, slots=True)
class ServiceEvent:
    """A compose service changed health state during the gate."""

    service: str
    state: str  # starting | running | healthy | unhealthy | exited | restarting | missing
    detail: str = ""
    # Engine restart count of its container(s); not in the JSON (a log line).
    restarts: int = 0

    def to_json(self) -> dict[str, Any]:
        # Not a contract type of its own: rendered as a log line so JSON
        # consumers that only know the contract's types keep working.
        text = f"service {self.service}: {self.state}"
        if self.detail:
            text += f" ({self.detail})"
        return {"type": "log", "level": "info", "message": text}


@dataclass(frozen=True, slots=True)
class LogEvent:
    level: LogLevel
    message: str
    # The stage mark the message starts with (core.stages), "" for a plain
    # line: lets a front end without emoji drop it. Not in the JSON.
    mark: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"type": "log", "level": self.level, "message": self.message}


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultEvent:
    success: bool
    from_version: str | None
    to_version: str | None
    backup_id: int | None
    rolled_back: bool
    error: str | None
    downtime_s: float | None = None
    rollback_healthy: bool | None = None
    # The process exit code this outcome maps to (CLI contract); not in the JSON.
    exit_code: int = 0
    # A rollback that failed in part: what is back and what is not, for the text
    # and the TUI (the JSON's ``error`` says both in one line).
    put_back: tuple[str, ...] = ()
    not_restored: tuple[str, ...] = ()
    # Services killed during the stop (their files were not shut down cleanly).
    unclean_stop: tuple[str, ...] = ()
    # The health gate's settle window after every service first passed its check
    # (the stack already served then): not part of ``downtime_s``.
    settle_s: float | None = None
    # The failure the rollback was for, without what the rollback could not do
    # (``error`` says both): set when the rollback failed too.
    cause: str | None = None

    def to_json(self) -> dict[str, Any]:
        # The contract's keys, plus ``unclean_stop`` (service names, always present)
        # and the two downtime figures (seconds, null when nothing was stopped or not
        # measured): added, never renamed.
        return {
            "type": "result",
            "success": self.success,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "backup_id": self.backup_id,
            "rolled_back": self.rolled_back,
            "error": self.error,
            "unclean_stop": list(self.unclean_stop),
            "downtime_s": None if self.downtime_s is None else round(self.downtime_s, 3),
            "settle_s": None if self.settle_s is None else round(self.settle_s, 3),
        }

    def unclean_stop_text(self) -> str:
        """One sentence for the text output, the TUI and notifications ("" if none)."""
        if not self.unclean_stop:
            return ""
        return _(
            "Not shut down cleanly during the stop (killed): {services}; the "
            "pre-upgrade backup is crash-consistent."
        ).format(services=", ".join(self.unclean_stop))

    @classmethod
    def failure(
        cls,
        exc: BaseException,
        *,
        from_version: str | None = None,
        to_version: str | None = None,
        backup_id: int | None = None,
    ) -> ResultEvent:
        """The outcome of a run that an error stopped with nothing rolled back."""
        return cls(
            success=False,
            from_version=from_version,
            to_version=to_version,
            backup_id=backup_id,
            rolled_back=False,
            error=error_text(exc),
            exit_code=exit_code_of(exc),
            cause=exc.cause if isinstance(exc, RollbackFailedError) else None,
        )


Event = StepEvent | ProgressEvent | LayerEvent | ServiceEvent | LogEvent | ResultEvent
Emit = Callable[[Event], None]


def discard(_event: Event) -> None:
    """An ``Emit`` for callers that do not care about progress."""
