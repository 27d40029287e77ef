"""Masking secrets in text that leaves the process (logs, events, errors, output).

Two rules, applied together by ``Redactor.redact``: every URL loses its
userinfo and the values of its query and fragment (``redact_urls``: a manifest
URL ``https://user:pass@host/m.json?token=t`` and every package URL resolved
against it), and the ``.env`` values below.

Container logs, compose's stderr and health-check output are copied into the
log file, the ``--json`` stream and the result's ``error``; a service that
prints its connection string would otherwise hand the admin's secrets to
whoever reads them. Every value of ``.env`` at least ``MIN_SECRET_LEN`` long
is replaced by ``MASK`` wherever it appears, even inside a word: showing a
little less is better than leaking a little.

Pure: text in, text out. Callers read the files (``ops.logsetup``).
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, TextIO

from tui_upgrader.core.envfile import ASSIGNMENT

if TYPE_CHECKING:
    # Only the event methods need them: the log set-up that runs before the
    # TUI's first frame imports this module and not the event vocabulary.
    from tui_upgrader.core.events import Event, ResultEvent

MASK = "***"
# A URL runs to the next space or quote; trailing punctuation ends the sentence, not the URL.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>`]*[^\s\"'<>`.,:;!?)\]]")
# Shorter values ("1", "yes", "443") would mask ordinary words and numbers;
# so would flags and port numbers, which are settings, not secrets.
MIN_SECRET_LEN = 4
_NOT_SECRET = re.compile(r"(?i)true|false|null|none|\d{1,5}")
_INLINE_COMMENT = re.compile(r"\s+#")
_ESCAPE = re.compile(r"\\(.)")


def _close_index(rest: str) -> int:
    """Where the quote opening ``rest`` closes (in ``rest[1:]``), or -1."""
    quote, body = rest[0], rest[1:]
    i = 0
    while i < len(body):
        if quote == '"' and body[i] == "\\":
            i += 2
            continue
        if body[i] == quote:
            return i
        i += 1
    return -1


def _quoted(rest: str) -> list[str]:
    """The value between the quotes (and, for double quotes, unescaped)."""
    end = _close_index(rest)
    raw = rest[1:] if end < 0 else rest[1 : end + 1]
    found = [raw]
    if rest[0] == '"':
        found.append(_ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), raw))
    return found


def _multiline(rest: str, following: list[str]) -> str:
    """A quoted value not closed on its line runs on to its closing quote
    (compose reads such values: a PEM key, a certificate)."""
    joined = rest
    for line in following:
        if _close_index(joined) >= 0:
            break
        joined += "\n" + line
    return joined


# Which values are not secrets (the rule, kept simple on purpose): a value is
# not masked when every key that assigns it is a name, not a secret. Those keys
# are compose's own variables (``COMPOSE_PROJECT_NAME``, ``COMPOSE_FILE``,
# ``COMPOSE_PROFILES``...: settings compose reads) and the keys the compose
# file's top-level ``name:`` interpolates (``name: ${PROJECT_NAME}``): the
# project name is on every container, network and volume the engine lists, so
# masking it hides nothing and blanks the stage lines that name the project.
# A value also assigned to any other key (``DB_NAME=shop`` next to
# ``PROJECT_NAME=shop``) stays masked.
_COMPOSE_KEY = re.compile(r"COMPOSE_[A-Z0-9_]+")
_NAME_FROM_ENV = re.compile(r"""^name:\s*["']?\$\{?([A-Za-z_][A-Za-z0-9_]*)""", re.MULTILINE)


def project_name_keys(compose_text: str) -> frozenset[str]:
    """The variables a compose file's top-level ``name:`` is taken from."""
    return frozenset(_NAME_FROM_ENV.findall(compose_text))


def _forms(rest: str, following: list[str]) -> set[str]:
    """One assigned value in each form a program may print it."""
    if rest[0] in "\"'":
        return set(_quoted(_multiline(rest, following)))
    return {rest, _INLINE_COMMENT.split(rest, maxsplit=1)[0].strip()}


def env_values(text: str, name_keys: frozenset[str] = frozenset()) -> set[str]:
    """Every secret value assigned in a dotenv text, in each form a program may print it.

    Unquoted values count both with and without an inline ``# comment`` (tools
    disagree on ``a #b``); quoted ones without their quotes. Values only
    assigned to compose's own keys or to ``name_keys`` are not secrets (above).
    """
    found: set[str] = set()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = ASSIGNMENT.match(line)
        if match is None or line.lstrip().startswith("#"):
            continue
        rest = line[match.end() :].strip()
        if not rest:
            continue
        key = match.group(1)
        if key not in name_keys and _COMPOSE_KEY.fullmatch(key) is None:
            found.update(_forms(rest, lines[i + 1 :]))
    # A multi-line value may be printed one line at a time.
    found |= {line for value in found for line in value.splitlines()}
    # JSON output (compose config, structured app logs) escapes quotes and backslashes.
    found |= {json.dumps(v)[1:-1] for v in found}
    return {
        v.strip()
        for v in found
        if len(v.strip()) >= MIN_SECRET_LEN and not _NOT_SECRET.fullmatch(v.strip())
    }


def redact_url(url: str) -> str:
    """``url`` without its userinfo and with every query and fragment value masked.

    ``https://u:p@h/a?token=x&v=1#frag`` -> ``https://***@h/a?token=***&v=***#***``.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:cut], rest[cut:]
    userinfo, at, host = authority.rpartition("@")
    # An ssh:// URL names a login, never a password (ssh takes none there): kept,
    # the admin needs it to see which account was tried.
    if at and not (scheme.lower() == "ssh" and ":" not in userinfo):
        authority = MASK + "@" + host
    tail, hash_sep, fragment = tail.partition("#")
    path, query_sep, query = tail.partition("?")
    if query:
        query = "&".join(
            f"{key}={MASK}" if eq else MASK
            for key, eq, _value in (part.partition("=") for part in query.split("&"))
        )
    return f"{scheme}://{authority}{path}{query_sep}{query}{hash_sep}{MASK if fragment else ''}"


# C0 (but newline and tab), DEL and C1: a manifest's "release notes" with ESC
# sequences could retitle the terminal, hide lines or fake a prompt.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c not in (9, 10)}


def escape_controls(text: str) -> str:
    """``text`` with every terminal control character shown as ``\\xNN``."""
    return text.translate(_CONTROLS)


def redact_urls(text: str) -> str:
    """Every URL in ``text`` as ``redact_url`` shows it."""
    if "://" not in text:
        return text
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


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
        if not text:
            return text
        text = redact_urls(text)
        pattern = self._pattern  # read once: ``add`` may swap it from another thread
        return text if pattern is None else pattern.sub(MASK, text)

    def event(self, event: Event) -> Event:
        """The event with its free text masked (the same object when nothing is);
        progress events carry no free text."""
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


class RedactingStream(io.TextIOBase):
    """A text stream that writes through ``redact_urls`` and ``escape_controls``:
    stdout and stderr of a command, so no printed line (``check``, stage lines,
    errors, events) carries a URL's credentials or a terminal escape sequence,
    whichever code printed it."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner

    def write(self, text: str) -> int:
        self.inner.write(escape_controls(redact_urls(text)))
        return len(text)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "encoding", "utf-8")
