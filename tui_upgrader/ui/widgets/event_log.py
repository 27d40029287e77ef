"""The progress screen's log: what the step list does not say, with the time it was said.

Plain ``Log`` lines (cheap to append), warnings and errors coloured by a
highlighter that reads the level word each line carries.
"""

from __future__ import annotations

from typing import ClassVar

from rich.highlighter import Highlighter
from rich.text import Text
from textual.widgets import Log

from tui_upgrader.core.i18n import N_, Translated

# The level word in the active language (the highlighter reads it back).
LEVEL_WORDS: Translated[str] = Translated({"warning": N_("warning"), "error": N_("error")})


class _LevelHighlighter(Highlighter):
    def __init__(self, log: EventLog) -> None:
        self._log = log

    def highlight(self, text: Text) -> None:
        plain = text.plain
        stamp = plain.find(" ")
        if stamp > 0:
            text.stylize(self._log.get_component_rich_style("event-log--time"), 0, stamp)
        for level, word in LEVEL_WORDS.items():
            if plain[stamp + 1 :].startswith(word + ":"):
                text.stylize(self._log.get_component_rich_style(f"event-log--{level}"), stamp + 1)
                break


class EventLog(Log):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "event-log--time",
        "event-log--warning",
        "event-log--error",
    }
    DEFAULT_CSS = """
    EventLog > .event-log--time { color: $text-muted; }
    EventLog > .event-log--warning { color: $text-warning; text-style: bold; }
    EventLog > .event-log--error { color: $text-error; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None, max_lines: int = 5000) -> None:  # noqa: A002
        super().__init__(id=id, max_lines=max_lines, auto_scroll=True, highlight=True)
        self.highlighter = _LevelHighlighter(self)

    def say(self, stamp: str, level: str, message: str) -> None:
        prefix = f"{LEVEL_WORDS[level]}: " if level in LEVEL_WORDS else ""
        # Continuation lines keep the stamp and the level word, so they stay coloured.
        self.write_lines([f"{stamp} {prefix}{line}" for line in message.splitlines() or [""]])

    def on_resize(self) -> None:
        # The pane shrinks when the result box appears: keep the newest lines
        # in view (Log only follows the end when a line is written).
        if self.auto_scroll:
            self.scroll_end(animate=False, immediate=True)
