"""Build hook: compile the gettext catalogues (.po -> .mo) into the wheel.

The ``.po`` sources are in git, the ``.mo`` files are not (they are build
output). ``pip install .`` puts them in the wheel; ``pip install -e .`` writes
them next to their sources, where the package finds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LOCALE = Path("tui_upgrader") / "locale"


def compile_catalogues(root: Path) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/*.po`` under the locale dir; returns the .mo paths."""
    compiled = []
    for po in sorted((root / LOCALE).glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as fp:
            catalogue = read_po(fp, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as fp:
            # Fuzzy entries are guesses: English is better than a wrong translation.
            write_mo(fp, catalogue, use_fuzzy=False)
        tmp.replace(mo)
        compiled.append(mo)
    return compiled


class CatalogueBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        for mo in compile_catalogues(root):
            # .mo files are gitignored, which would keep them out of the wheel.
            build_data["force_include"][str(mo)] = str(mo.relative_to(root))
