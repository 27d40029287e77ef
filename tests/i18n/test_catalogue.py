"""The zh_CN catalogue covers the code: every ``_()`` / ``N_()`` / ``ngettext``
msgid has a real translation with the same placeholders, the ``.pot`` is in
step with the code, and the compiled ``.mo`` is the current ``.po``.

After changing texts: ``bash scripts/update_catalogue.sh``, translate what it
added, then ``bash scripts/bootstrap.sh`` to compile (README "Languages").
"""

from __future__ import annotations

import gettext
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from tui_upgrader.core import i18n
from tui_upgrader.ops.language import LOCALE_DIR

PACKAGE = Path(__file__).resolve().parents[2] / "tui_upgrader"
LANGUAGES = [language for language in i18n.LANGUAGES if language != i18n.ENGLISH]


def _searched(dirpath: str) -> bool:
    # Babel skips `_*` folders by default; a capability's `_internal/` holds messages too.
    name = Path(dirpath).name
    return not name.startswith(".") and name != "__pycache__"


def _code_msgids() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE), keywords=DEFAULT_KEYWORDS, directory_filter=_searched
    ):
        # ngettext: the singular is the catalogue's key; the plural rides with it.
        found.add(message if isinstance(message, str) else message[0])
    return found


CODE_MSGIDS = _code_msgids()


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fp:
        return read_po(fp, locale=locale)


def _key(msgid: str | tuple[str, ...] | list[str]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def _fields(text: str) -> list[str]:
    """Named fields with their conversion and spec: ``{path!r}`` != ``{path}``."""
    return sorted(
        f"{name}!{conv}:{spec}"
        for _lit, name, spec, conv in string.Formatter().parse(text)
        if name is not None
    )


def test_the_code_has_msgids_to_translate() -> None:
    # The extractor sees the keywords this project uses (a typo would find nothing).
    assert len(CODE_MSGIDS) > 400
    assert "A new release needs the full package" in CODE_MSGIDS  # _() in core
    assert "Health gate" in CODE_MSGIDS  # N_() in a Translated table


def test_the_template_is_in_step_with_the_code() -> None:
    template = {_key(m.id) for m in _read(LOCALE_DIR / f"{i18n.DOMAIN}.pot") if m.id}
    assert not CODE_MSGIDS - template, "re-extract the .pot (README: Languages)"
    assert not template - CODE_MSGIDS, "re-extract the .pot (README: Languages)"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_is_translated_with_the_same_fields(language: str) -> None:
    po = _read(LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po", language)
    problems: list[str] = []
    for msgid in sorted(CODE_MSGIDS):
        entry = po.get(msgid)
        if entry is None or not entry.string:
            problems.append(f"untranslated: {msgid!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy (not compiled): {msgid!r}")
        text = entry.string if isinstance(entry.string, str) else entry.string[0]
        if _fields(text) != _fields(msgid):
            problems.append(f"fields differ: {msgid!r} -> {text!r}")
        if text.startswith("\n") != msgid.startswith("\n"):
            problems.append(f"leading newline differs: {msgid!r}")
        if text.endswith("\n") != msgid.endswith("\n"):
            problems.append(f"trailing newline differs: {msgid!r}")
        words = re.sub(r"\{[^{}]*\}", "", msgid)
        if text == msgid and re.search(r"[A-Za-z]{3}", words):
            problems.append(f"left in English: {msgid!r}")
    stale = sorted(_key(m.id) for m in po if m.id and _key(m.id) not in CODE_MSGIDS)
    problems.extend(f"no longer in the code: {m!r}" for m in stale)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_the_current_source(language: str) -> None:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    mo = folder / f"{i18n.DOMAIN}.mo"
    assert mo.exists(), f"{mo} missing: run scripts/bootstrap.sh (pip install -e . compiles it)"
    with mo.open("rb") as fp:
        compiled = gettext.GNUTranslations(fp)
    po = _read(folder / f"{i18n.DOMAIN}.po", language)
    stale = [
        m.id
        for m in po
        if m.id
        and (
            compiled.gettext(m.id) != m.string
            if isinstance(m.id, str)
            else compiled.ngettext(m.id[0], m.id[1], 1) != _key(m.string or "")
        )
    ]
    assert not stale, f"{mo} is older than its .po: run scripts/bootstrap.sh; e.g. {stale[:3]}"


def test_translated_templates_are_literals_not_formatted_strings() -> None:
    """``_(f"...")`` or ``_("..." .format(...))`` would look up a msgid that no
    catalogue has: the template must be the literal, formatted after ``_()``."""
    import ast

    wrong: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id in ("_", "N_", "ngettext") and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.JoinedStr | ast.Call | ast.BinOp):
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not wrong, wrong
