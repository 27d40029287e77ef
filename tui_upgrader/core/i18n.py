"""The active language: ``_()`` / ``ngettext()`` for every text a person reads.

One language per process, chosen once at start-up by ``ops.language`` (from
``language`` in the config, else ``LANGUAGE`` / ``LC_ALL`` / ``LC_MESSAGES`` /
``LANG`` as gettext reads them). Text is translated where it is built, so
errors, strategy reasons, log lines and TUI labels all come out in that
language. Machine output is an interface and stays English: a ``--json`` run
never installs a catalogue, so every JSON key *and* value is the English msgid.

English is the msgids themselves: with no catalogue installed ``_()`` returns
its argument and nothing is imported or read (start-up time is measured).

Rules for callers:
- wrap the template, not the formatted string, with named fields so a
  translation can reorder them: ``_("{path}: not found").format(path=p)``;
- text built at import time (class attributes, module tables) is marked with
  ``N_()`` and translated with ``_()`` where it is shown, since the catalogue
  is installed after the modules are imported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol, TypeVar

K = TypeVar("K")

DOMAIN = "tui_upgrader"
ENGLISH = "en"
# What the ``language`` config key accepts; each but English has a catalogue.
LANGUAGES = (ENGLISH, "zh_CN")


class Translations(Protocol):
    """What we use of ``gettext.GNUTranslations``."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


_active: Translations | None = None
_language = ENGLISH


def install(translations: Translations | None, language: str = ENGLISH) -> None:
    """Make ``translations`` the process's language (None = English)."""
    global _active, _language
    _active = translations
    _language = language if translations is not None else ENGLISH


def active_language() -> str:
    return _language


@contextmanager
def installed(translations: Translations | None, language: str) -> Iterator[None]:
    """For tests: a language for the duration of a block, then the previous one."""
    before = (_active, _language)
    install(translations, language)
    try:
        yield
    finally:
        install(*before)


def _(message: str) -> str:
    active = _active
    # gettext("") is the catalogue's header, never what a caller with an empty text wants.
    return message if active is None or not message else active.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    active = _active
    if active is None:
        return singular if n == 1 else plural
    return active.ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention extractors know)
    """Mark a msgid built at import time; ``_()`` translates it where it is shown."""
    return message


class Translated(Mapping[K, str]):
    """A table of ``N_()`` msgids built at import time, translated on each lookup,
    so code that reads it (``table[key]``, ``table.get(key)``) needs no change."""

    __slots__ = ("_msgids",)

    def __init__(self, msgids: Mapping[K, str]) -> None:
        self._msgids = dict(msgids)

    def __getitem__(self, key: K) -> str:
        return _(self._msgids[key])

    def __iter__(self) -> Iterator[K]:
        return iter(self._msgids)

    def __len__(self) -> int:
        return len(self._msgids)
