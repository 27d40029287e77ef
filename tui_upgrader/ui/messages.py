"""Messages that carry engine events from worker threads to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from tui_upgrader.core.events import Event, LayerEvent, ProgressEvent, ResultEvent
from tui_upgrader.ops.planning import Plan


def _progress_key(event: Event) -> tuple[object, ...] | None:
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
