"""Turn the engine's pull status stream into per-layer progress events.

The engine's stream is lossy by design: each layer transfer keeps only its
*latest* status for a slow reader, so a small layer can go straight from
``Pulling fs layer`` to ``Download complete`` (or even ``Pull complete``)
with no ``Downloading`` line in between. A layer must still show up, and
still finish, so every terminal status closes every phase it implies.
A phase that finished without a reported size ends as ``done == total == 0``.

The containerd image store (Docker 26) sends no ``Extracting`` and no ``Pull
complete`` at all: it unpacks while it pulls and ends with a ``Status:`` line.
``finish`` closes every phase of every layer once the stream ended well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui_upgrader.core.events import LayerEvent, LayerPhase

_PROGRESS: dict[str, LayerPhase] = {"Downloading": "downloading", "Extracting": "extracting"}
_PHASES: tuple[LayerPhase, ...] = ("downloading", "extracting")
# A terminal status closes these phases, in this order.
_CLOSES: dict[str, tuple[LayerPhase, ...]] = {
    "Download complete": ("downloading",),
    "Pull complete": ("downloading", "extracting"),
}


class PullProgress:
    """Feed it raw status dicts; it returns the LayerEvents each one implies."""

    def __init__(self, image: str) -> None:
        self._image = image
        self._latest: dict[tuple[str, LayerPhase], LayerEvent] = {}
        self._closed: set[tuple[str, LayerPhase]] = set()

    def feed(self, status_line: Mapping[str, Any]) -> list[LayerEvent]:
        layer = str(status_line.get("id") or "")
        status = str(status_line.get("status") or "")
        if not layer:
            return []
        if status == "Pulling fs layer":
            return self._update(layer, "downloading", 0, None)
        if status in _PROGRESS:
            detail = status_line.get("progressDetail") or {}
            total = int(detail["total"]) if detail.get("total") else None
            return self._update(layer, _PROGRESS[status], int(detail.get("current") or 0), total)
        if status in _CLOSES:
            return [e for phase in _CLOSES[status] for e in self._close(layer, phase)]
        return []

    def finish(self) -> list[LayerEvent]:
        """The pull succeeded: whatever the engine left open is done."""
        layers = dict.fromkeys(layer for layer, _phase in self._latest)
        return [e for layer in layers for phase in _PHASES for e in self._close(layer, phase)]

    def _update(
        self, layer: str, phase: LayerPhase, done: int, total: int | None
    ) -> list[LayerEvent]:
        if (layer, phase) in self._closed:
            return []
        previous = self._latest.get((layer, phase))
        if total is None and previous is not None:
            total = previous.total  # the engine sends the total on some lines only
        event = LayerEvent(self._image, layer, phase, done, total)
        self._latest[layer, phase] = event
        return [event]

    def _close(self, layer: str, phase: LayerPhase) -> list[LayerEvent]:
        if (layer, phase) in self._closed:
            return []
        self._closed.add((layer, phase))
        previous = self._latest.get((layer, phase))
        size = previous.total if previous is not None and previous.total else 0
        event = LayerEvent(self._image, layer, phase, size, size)
        self._latest[layer, phase] = event
        return [event]
