"""Manifest text on the manifest and strategy screens (#25 item 13): never Rich
markup, no terminal control characters, no URL credentials."""

from __future__ import annotations

from pathlib import Path

from textual.content import Content
from textual.widgets import DataTable, Markdown, Static

from tests.support import ui_scenarios as sc
from tests.support.ui_drive import loaded, wait_until
from tui_upgrader.ui.screens.strategy import StrategyScreen

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m"
URL = "https://user:pass@evil.example/p.zip?token=t0k3n"
FULL_URL = "https://user:pass@evil.example/%5Bbold%5D[bold]x\x1b[2J.zip?token=t0k3n"
HOSTILE = f"[bold]loud[/bold] {ESCAPES} see {URL}"


def _doc() -> dict[str, object]:
    patch = sc.patch_section("1.5.0")
    patch["x86_64"].update(url=URL, notes=HOSTILE)
    doc = sc.manifest_doc("1.5.0", patch=patch, release_notes=f"# Notes\n{HOSTILE}\n")
    # The chosen (full) package: its file name is on the strategy screen.
    doc["platforms"]["x86_64"]["url"] = FULL_URL
    return doc


def _plain(widget: Static) -> str:
    visual = widget.visual
    assert isinstance(visual, Content), type(visual)
    return visual.plain


def _check(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text, repr(text)
    assert "user:pass" not in text and "t0k3n" not in text, text


async def test_hostile_manifest_text_is_shown_literally_and_defused(tmp_path: Path) -> None:
    app = sc.build_app(tmp_path, plan=sc.make_plan("1.4.2", _doc()))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: loaded(app))
        screen = app.screen
        patch = _plain(screen.query_one("#patch-ops", Static))
        _check(patch)
        assert "[bold]loud[/bold] \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m" in patch, patch
        assert "https://***@evil.example/p.zip?token=***" in patch, patch
        await wait_until(pilot, lambda: bool(screen.query_one(Markdown).source))
        notes = screen.query_one(Markdown).source
        _check(notes)
        assert "\\x1b]0;pwned" in notes and "https://***@evil.example" in notes, notes
        table = screen.query_one("#packages", DataTable)
        cells = " ".join(str(c) for key in table.rows for c in table.get_row(key))
        _check(cells)
        assert "evil.example" in cells
        _check(_plain(screen.query_one("#manifest-summary", Static)))

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, StrategyScreen))
        shown = " ".join(_plain(s) for s in app.screen.query(".section-body").results(Static))
        _check(shown)
        assert "download %5Bbold%5D[bold]x\\x1b[2J.zip (46.0 MiB)" in shown, shown
