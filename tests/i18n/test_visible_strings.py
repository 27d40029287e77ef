"""Every text the admin sees in zh_CN is Chinese: each UI scene (tests/ui/drive.py)
is driven with Pilot in zh_CN at 80x24 and 120x40, everything visible is collected
(the painted screen, the full text of labels/statics that may be clipped, every
DataTable cell, footer keys, toasts, the command palette), and runs of English
prose are listed. Names, commands, paths, versions and hashes are not prose."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.app import App
from textual.command import CommandPalette
from textual.widgets import DataTable, Static

from tests.ui.drive import SCENES, wait_until
from tui_upgrader.ops.language import install_language

# Two or more words of letters in a row, e.g. "result: ok" -> no, "health check pending" -> yes.
PROSE = re.compile(r"[A-Za-z][a-z]+(?:[ '-]+[A-Za-z][a-z]+)+")

# What stays as is in any language: names of tools, services and images, commands,
# key names and Textual's own key labels. Paths, URLs and file names are removed
# before matching (see _strip).
NAMES = re.compile(
    r"docker compose(?: [a-z]+)?|docker [a-z]+|tui-upgrader(?: [a-z]+)*(?: --[a-z-]+)*"
    r"|--[a-z-]+|Textual|Docker Compose|Docker"
)
# The release notes are the publisher's text, shown verbatim in any language.
NOTES_PREFIXES = ("What's new", "Faster start-up", "New `worker`", "New worker", "Config:",
                  "Upgrade notes", "The database schema", "the app container",
                  "hotfix for the upload")  # fmt: skip
# Data the scenes pass in as the engine or the OS would word it in English (an
# OS error text, a reason built by the fixtures, not by the product).
FIXTURE_PHRASES = re.compile(
    r"connection refused|expected 'sha256:<64 hex digits>'|services not healthy within[^;]*"
)

URLISH = re.compile(
    r"(?:https?://\S+|(?:~|\.{0,2})?/[\w./@:+~…-]*|[\w.-]+\.(?:zip|tar|zst|json|toml|yaml|yml|"
    r"log|js|sh|conf|md|env|gz)\b|[\w.-]+:[\w.-]+|`[^`]*`)"
)


def _strip(text: str) -> str:
    return NAMES.sub(" ", URLISH.sub(" ", FIXTURE_PHRASES.sub(" ", text)))


def english_runs(text: str) -> list[str]:
    found: list[str] = []
    for line in text.splitlines():
        if any(p in line for p in NOTES_PREFIXES):
            continue
        for match in PROSE.finditer(_strip(line)):
            found.append(match.group(0).strip())
    return found


def _painted(app: App[Any]) -> str:
    console = Console(
        width=app.size.width, height=app.size.height, file=io.StringIO(), record=True,
        force_terminal=True, legacy_windows=False, safe_box=False,
    )  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


def visible_texts(app: App[Any]) -> list[str]:
    """The painted screen plus the whole text of widgets that may be clipped or scrolled."""
    texts = [_painted(app)]
    for widget in app.screen.query("*"):
        if isinstance(widget, DataTable):
            for row in range(widget.row_count):
                texts.extend(str(cell) for cell in widget.get_row_at(row))
            texts.extend(str(column.label) for column in widget.columns.values())
        elif isinstance(widget, Static):
            visual = widget.visual
            plain = getattr(visual, "plain", None)
            texts.append(plain if isinstance(plain, str) else str(widget.render()))
    for notification in app._notifications:
        texts.extend((notification.title or "", notification.message))
    return texts


def untranslated(app: App[Any], where: str) -> list[str]:
    out: list[str] = []
    for text in visible_texts(app):
        out.extend(f"{where}: {run!r}" for run in english_runs(text))
    return out


@pytest.fixture
def zh_cn() -> Iterator[None]:
    assert install_language("zh_CN") == "zh_CN", "catalogue missing: run scripts/bootstrap.sh"
    try:
        yield
    finally:
        install_language(None, machine_output=True)


def test_the_heuristic_finds_prose_and_spares_names() -> None:
    assert english_runs("结果：health check pending") == ["health check pending"]
    assert english_runs("Do you want to quit?") == ["Do you want to quit"]
    assert english_runs("运行 docker compose ps 于 /srv/demo/compose.yaml") == []
    assert english_runs("tui-upgrader 1.5.0 · demo/app:1.5.0 · x86_64.zip") == []
    assert english_runs("服务 app：healthy") == []  # one word: a name or a state, not prose


async def _scene_problems(name: str, tmp: Path, size: tuple[int, int]) -> list[str]:
    scene = SCENES[name]
    app = scene.build(tmp)
    async with app.run_test(size=size) as pilot:
        await scene.run_before(pilot)
        await pilot.pause()
        problems = untranslated(app, name)
        # A guessed key and the palette, from the screen the scene ends on.
        await pilot.press("ctrl+c")
        await pilot.pause()
        problems += untranslated(app, f"{name}+ctrl+c")
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), 5)
        await pilot.pause()
        problems += untranslated(app, f"{name}+palette")
    return problems


@pytest.mark.usefixtures("zh_cn")
async def test_every_scene_is_chinese_at_80x24(tmp_path: Path) -> None:
    problems: list[str] = []
    for name in SCENES:
        problems += await _scene_problems(name, tmp_path / name, (80, 24))
    assert not problems, "untranslated visible text:\n" + "\n".join(sorted(set(problems)))
