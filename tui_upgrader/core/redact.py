"""Masking ``.env`` values in text that leaves the process (logs, events, errors).

Container logs, compose's stderr and health-check output are copied into the
log file, the ``--json`` stream and the result's ``error``; a service that
prints its connection string would otherwise hand the admin's secrets to
whoever reads them. Every value of ``.env`` at least ``MIN_SECRET_LEN`` long
is replaced by ``MASK`` wherever it appears, even inside a word: showing a
little less is better than leaking a little.

Pure: text in, text out. Callers read the files (``ops.logsetup``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from tui_upgrader.core.envfile import ASSIGNMENT

if TYPE_CHECKING:
    # Only the event methods need them: the log set-up that runs before the
    # TUI's first frame imports this module and not the event vocabulary.
    from tui_upgrader.core.events import Event, ResultEvent

MASK = "***"
# Shorter values ("1", "yes", "443") would mask ordinary words and numbers;
# so would flags and port numbers, which are settings, not secrets.
MIN_SECRET_LEN = 4
_NOT_SECRET = re.compile(r"(?i)true|false|null|none|\d{1,5}")
_INLINE_COMMENT = re.compile(r"\s+#")
_ESCAPE = re.compile(r"\\(.)")


def _quoted(rest: str) -> list[str]:
    """The value between the quotes (and, for double quotes, unescaped)."""
    quote = rest[0]
    body = rest[1:]
    end = -1
    i = 0
    while i < len(body):
        if quote == '"' and body[i] == "\\":
            i += 2
            continue
        if body[i] == quote:
            end = i
            break
        i += 1
    raw = body if end < 0 else body[:end]  # unclosed: a multi-line value starts here
    found = [raw]
    if quote == '"':
        found.append(_ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), raw))
    return found


def env_values(text: str) -> set[str]:
    """Every value assigned in a dotenv text, in each form a program may print it.

    Unquoted values count both with and without an inline ``# comment`` (tools
    disagree on ``a #b``); quoted ones without their quotes.
    """
    found: set[str] = set()
    for line in text.splitlines():
        match = ASSIGNMENT.match(line)
        if match is None or line.lstrip().startswith("#"):
            continue
        rest = line[match.end() :].strip()
        if not rest:
            continue
        if rest[0] in "\"'":
            found.update(_quoted(rest))
        else:
            found.add(rest)
            found.add(_INLINE_COMMENT.split(rest, maxsplit=1)[0].strip())
    # JSON output (compose config, structured app logs) escapes quotes and backslashes.
    found |= {json.dumps(v)[1:-1] for v in found}
    return {
        v.strip()
        for v in found
        if len(v.strip()) >= MIN_SECRET_LEN and not _NOT_SECRET.fullmatch(v.strip())
    }


def _pattern(values: frozenset[str]) -> re.Pattern[str]:
    # Longest first, so a value is never half-masked by a shorter one it contains.
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


class Redactor:
    """Replaces known secret values with ``MASK``; safe to share between threads.

    Values only accumulate: a ``.env`` that moved away (apply, rollback) still
    has its values masked.
    """

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values: frozenset[str] = frozenset()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        self.add(values)

    def __bool__(self) -> bool:
        return self._pattern is not None

    @property
    def values(self) -> frozenset[str]:
        return self._values

    def add(self, values: Iterable[str]) -> None:
        fresh = {v for v in values if len(v) >= MIN_SECRET_LEN}
        with self._lock:
            merged = self._values | fresh
            if merged == self._values:
                return
            self._pattern = _pattern(merged)
            self._values = merged

    def redact(self, text: str) -> str:
        pattern = self._pattern  # read once: ``add`` may swap it from another thread
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def event(self, event: Event) -> Event:
        """The event with its free text masked (the same object when nothing is);
        progress events carry no free text."""
        if self._pattern is None:
            return event
        from tui_upgrader.core.events import LogEvent, ResultEvent, ServiceEvent, StepEvent

        if isinstance(event, LogEvent):
            masked = self.redact(event.message)
            return event if masked == event.message else replace(event, message=masked)
        if isinstance(event, ServiceEvent | StepEvent):
            masked = self.redact(event.detail)
            return event if masked == event.detail else replace(event, detail=masked)
        if isinstance(event, ResultEvent):
            return self.result(event)
        return event

    def result(self, result: ResultEvent) -> ResultEvent:
        masked = self.redact(result.error) if result.error else result.error
        cause = self.redact(result.cause) if result.cause else result.cause
        put_back = tuple(self.redact(t) for t in result.put_back)
        not_restored = tuple(self.redact(t) for t in result.not_restored)
        if (masked, cause, put_back, not_restored) == (
            result.error,
            result.cause,
            result.put_back,
            result.not_restored,
        ):
            return result
        return replace(
            result, error=masked, cause=cause, put_back=put_back, not_restored=not_restored
        )
