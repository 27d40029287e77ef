"""``ResultEvent``s for tests that only care about some of its fields."""

from __future__ import annotations

from typing import Any

from tui_upgrader.core.events import ResultEvent

DEFAULTS: dict[str, Any] = {
    "success": True,
    "from_version": "1.0.0",
    "to_version": "1.1.0",
    "backup_id": None,
    "rolled_back": False,
    "error": None,
}


def result_event(**fields: Any) -> ResultEvent:
    """A successful 1.0.0 -> 1.1.0 upgrade with no backup, unless ``fields`` say otherwise."""
    return ResultEvent(**{**DEFAULTS, **fields})
