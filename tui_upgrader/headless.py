"""Headless front end: renders engine events as text lines or JSON lines.

Same engine as the TUI; never imports Textual.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import TextIO

from tui_upgrader.core import display
from tui_upgrader.core.cells import fit_right
from tui_upgrader.core.errors import EXIT_ROLLBACK_FAILED
from tui_upgrader.core.events import (
    Event,
    LayerEvent,
    LogEvent,
    ProgressEvent,
    ResultEvent,
    ServiceEvent,
    StepEvent,
)
from tui_upgrader.core.i18n import _
from tui_upgrader.core.stages import without_mark
from tui_upgrader.core.state_words import LOG_LEVELS, layer_phase, service_message
from tui_upgrader.core.throttle import RateGate


def can_show_marks(out: TextIO) -> bool:
    """Emoji stage marks only on a UTF-8 stream and a terminal that is not ``dumb``."""
    encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "")
    return encoding == "utf8" and os.environ.get("TERM", "") != "dumb"


class JsonPrinter:
    """One JSON object per line; flushed so a pipe reader sees events live."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stdout
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        line = json.dumps(event.to_json())
        with self._lock:
            self._out.write(line + "\n")
            self._out.flush()


class TextPrinter:
    """Readable lines for a terminal or a log; progress at most once a second."""

    def __init__(
        self, out: TextIO | None = None, interval_s: float = 1.0, *, marks: bool | None = None
    ) -> None:
        self._out = out or sys.stdout
        self._gate = RateGate(interval_s)
        self._marks = can_show_marks(self._out) if marks is None else marks
        self._lock = threading.Lock()

    def _line(self, event: Event) -> str | None:
        if isinstance(event, StepEvent):
            mark = {"started": "..", "finished": _("ok"), "failed": _("FAILED"),
                    "skipped": _("skipped")}  # fmt: skip
            return f"[{fit_right(mark[event.state], 7)}] {event.step.value}" + (
                f": {event.detail}" if event.detail else ""
            )
        if isinstance(event, ProgressEvent):
            if not self._gate.allow(("p", event.step), final=event.finished):
                return None
            text = display.transfer(event.done, event.total, event.bytes_per_s)
            return f"          {event.step.value}: {text}"
        if isinstance(event, LayerEvent):
            if not self._gate.allow(("l", event.image, event.layer), final=event.finished):
                return None
            amount = (
                _("done (size not reported)")
                if event.total == 0
                else display.transfer(event.done, event.total)
            )
            return _("          {image} layer {layer} {phase}: {amount}").format(
                image=event.image, layer=event.layer, phase=layer_phase(event.phase), amount=amount
            )
        if isinstance(event, ServiceEvent):
            return f"  {fit_right(LOG_LEVELS['info'], 7)}: {service_message(event)}"
        if isinstance(event, LogEvent):
            message = event.message if self._marks else without_mark(event.message, event.mark)
            return f"  {fit_right(LOG_LEVELS.get(event.level, event.level), 7)}: {message}"
        if isinstance(event, ResultEvent):
            return _result_text(event)
        return None  # pragma: no cover - Event is a closed union

    def __call__(self, event: Event) -> None:
        line = self._line(event)
        if line is not None:
            with self._lock:
                self._out.write(line + "\n")
                self._out.flush()


def _result_text(event: ResultEvent) -> str:
    text = _outcome_text(event)
    unclean = event.unclean_stop_text()
    return f"{text} {unclean}" if unclean else text


def _outcome_text(event: ResultEvent) -> str:
    reinstalled = event.from_version == event.to_version
    if event.success and reinstalled and event.downtime_s is None:
        return _("Nothing to do: {version} is installed.").format(version=event.to_version)
    if event.success:
        text = (
            _("Reinstalled {version}.").format(version=event.to_version)
            if reinstalled
            else _("Upgraded {old} -> {new}.").format(
                old=event.from_version or _("nothing"), new=event.to_version
            )
        )
        if event.downtime_s is not None:
            text += _(" Downtime {duration}.").format(duration=display.duration(event.downtime_s))
        if event.backup_id is not None:
            text += _(" Pre-upgrade backup: {id}.").format(id=event.backup_id)
        return text
    if event.exit_code == EXIT_ROLLBACK_FAILED:
        # The error says in one line what failed, what is back and what is not;
        # nothing may be added that claims more.
        error = event.error or _("the rollback failed")
        return f"{error[:1].upper()}{error[1:].rstrip('.')}."
    back = ""
    if event.rolled_back:
        state = {
            True: _("the old stack is healthy"),
            False: _("the old stack is NOT healthy"),
            None: _("no stack was running before, so none was started"),
        }[event.rollback_healthy]
        back = _("Rolled back to {version}; {state}.").format(
            version=event.from_version, state=state
        )
    if event.rolled_back and event.error is None:
        return back  # ``recover --rollback`` that did all it was asked
    error = (event.error or _("unknown error")).rstrip(".")
    text = _("Upgrade failed: {error}.").format(error=error)
    return f"{text} {back}" if back else text
