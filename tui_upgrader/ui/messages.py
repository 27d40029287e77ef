"""Messages that carry engine events from worker threads to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui_upgrader.core.events import Event, ResultEvent
    from tui_upgrader.ops.upgrade.planning import Plan
    from tui_upgrader.ui.backup_rows import BackupRow


def _progress_key(event: Event) -> tuple[object, ...] | None:
    # Imported here: the first screen's messages need no event vocabulary.
    from tui_upgrader.core.events import LayerEvent, ProgressEvent

    if isinstance(event, ProgressEvent):
        return ("progress", event.step)
    if isinstance(event, LayerEvent):
        return ("layer", event.image, event.layer, event.phase)
    return None


@dataclass
class UpgradeEvent(Message):
    """One engine event (step, progress, layer, service, log or result)."""

    event: Event
    """The core event, unchanged."""

    def can_replace(self, message: Message) -> bool:
        # A burst of byte counts for the same transfer collapses to the newest;
        # step, log and result events are never dropped.
        if not isinstance(message, UpgradeEvent):
            return False
        key = _progress_key(self.event)
        return key is not None and key == _progress_key(message.event)


@dataclass
class JobEnded(Message):
    """The worker thread returned (posted after the last UpgradeEvent)."""

    result: ResultEvent
    """What the operation ended with (also emitted as an UpgradeEvent)."""


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


@dataclass
class ServicesListed(Message):
    """The compose services of the deploy dir (for the strategy screen)."""

    names: list[str]
    """Service names; empty on a first install or when Docker did not answer."""
    problem: str
    """Why the list is empty when Docker could not be asked."""


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
