"""Messages that carry engine events from worker threads to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui_upgrader.core.events import Event, ResultEvent
    from tui_upgrader.ops.upgrade.planning import Plan
    from tui_upgrader.ui.backup_rows import BackupRow


@dataclass
class UpgradeEvent(Message):
    """A discrete engine event: a step or a log line (bytes, layers and services
    go to the run model, ``core.run_model``, which the screen reads on a timer)."""

    event: Event
    """The core event, unchanged."""


@dataclass
class JobEnded(Message):
    """The job thread returned: the one signal that an operation ended."""

    result: ResultEvent
    """What the operation ended with."""


@dataclass
class PlanLoaded(Message):
    """The manifest was fetched and the decision made."""

    plan: Plan
    """Manifest, decision and where the manifest came from."""


@dataclass
class PlanFailed(Message):
    """Fetching or judging the manifest failed."""

    error: Exception
    """An UpgraderError (NetworkError, ManifestError, ...) or an unexpected one."""
    title: str = ""
    """What cannot be used, when it is not the manifest (the deploy dir, the config)."""


@dataclass
class ServicesListed(Message):
    """The compose services of the deploy dir (for the strategy screen)."""

    names: list[str]
    """Service names; empty on a first install or when Docker did not answer."""
    problem: str
    """Why the list is empty when Docker could not be asked."""
    downtime: str = ""
    """The expected downtime line (core.downtime), "" when not known."""


@dataclass
class BackupsListed(Message):
    """The backup catalogue was read (rows newest first)."""

    rows: list[BackupRow]
    """One row per catalogue entry."""
    problem: str
    """Non-empty when the catalogue could not be read."""


@dataclass
class BackupChecked(Message):
    """A verify or delete finished."""

    backup_id: int
    """Which backup."""
    action: str
    """``verify`` or ``delete``."""
    ok: bool
    """Whether it worked (a verify found the archive intact)."""
    detail: str
    """What to tell the admin."""
