"""Choose the process's language and install its compiled catalogue.

The catalogues are ``locale/<lang>/LC_MESSAGES/tui_upgrader.mo`` inside the
package, compiled from the ``.po`` sources at build time (``hatch_build.py``).
English needs no catalogue and costs nothing: ``gettext`` is not even imported.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from tui_upgrader.core import i18n

logger = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
# gettext's order; the first one set wins, and LANGUAGE may list several.
_ENV_KEYS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def requested(environ: Mapping[str, str] | None = None) -> list[str]:
    """The languages the environment asks for, most wanted first."""
    env = os.environ if environ is None else environ
    for key in _ENV_KEYS:
        value = env.get(key)
        if value:
            return [part for part in value.split(":") if part]
    return []


def _base(language: str) -> str:
    # zh_CN.UTF-8, zh_CN.GB18030@euro -> zh_CN: the encoding is the terminal's business.
    return language.split(".", 1)[0].split("@", 1)[0]


def choose(configured: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The catalogue language to load, or None for English.

    ``language`` in the config beats the environment: it is this tool's own
    setting, where LANG is the whole session's. The first entry we know wins;
    C / POSIX / en* are English (the msgids), so they win without a catalogue.
    """
    candidates = [configured] if configured else requested(environ)
    for language in candidates:
        base = _base(language)
        if base in ("C", "POSIX") or base == i18n.ENGLISH or base.startswith("en_"):
            return None
        if base in i18n.LANGUAGES:
            return base
    return None


def load(language: str) -> i18n.Translations:
    """The compiled catalogue of ``language`` (an ``OSError`` if it is missing)."""
    import gettext

    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    with path.open("rb") as fp:
        return gettext.GNUTranslations(fp)


def install_language(configured: str | None = None, *, machine_output: bool = False) -> str:
    """Install the chosen language for this process; returns its code.

    ``machine_output`` (``--json``) keeps English whatever is asked: JSON is an
    interface and its values are compared by scripts.
    """
    language = None if machine_output else choose(configured)
    if language is not None:
        try:
            i18n.install(load(language), language)
        except OSError as exc:
            # A source checkout never built: English rather than no tool at all.
            logger.warning("catalogue for %s not found (%s); using English", language, exc)
            language = None
    if language is None:
        i18n.install(None)
    _humanize(language)
    return language or i18n.ENGLISH


_humanized = False


def _humanize(language: str | None) -> None:
    """Sizes and ages ("3 minutes ago") come from humanize, which has its own catalogues."""
    global _humanized
    if language is None and not _humanized:
        return  # English, and it always was: nothing to undo, nothing to import
    import humanize

    if language is None:
        humanize.i18n.deactivate()
        _humanized = False
        return
    try:
        # Its own locale dir, named: finding it through importlib.resources costs 10 ms.
        # humanize keeps the choice per thread; ages are formatted on the main thread.
        humanize.i18n.activate(language, path=Path(humanize.__file__).parent / "locale")
    except FileNotFoundError:
        logger.info("humanize has no %s catalogue; sizes and ages stay English", language)
        return
    _humanized = True
