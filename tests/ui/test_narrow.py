"""At 80x24 what the admin must read is readable: the visible text, as drawn.

Paths are shortened in the middle (``~``, ``…``) instead of wrapping mid-word,
and a scrolling area says when there is more below the fold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.support import ui_scripted as sx
from tests.support.ui_drive import SCENES, app_with, progress, wait_until
from tui_upgrader.ui.app import UpgraderApp


def visible(app: UpgraderApp) -> list[str]:
    """The screen's rows as the terminal shows them."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def _scene(pilot: Pilot[Any], name: str) -> None:
    await SCENES[name].run_before(pilot)
    await pilot.pause()


async def test_the_strategy_says_there_is_more_below_until_it_is_read(tmp_path: Path) -> None:
    app = SCENES["strategy"].build(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await _scene(pilot, "strategy")
        await wait_until(pilot, lambda: any("↓ more below" in r for r in visible(app)))
        assert not any(r.strip() == "Kept" for r in visible(app))  # really below the fold
        await pilot.press("end")
        await wait_until(pilot, lambda: not any("↓ more below" in r for r in visible(app)))
        assert any(r.strip() == "Kept" for r in visible(app))


LONG_LOG = "/home/admin/.local/state/tui-upgrader/log/tui-upgrader-2026-06-04-upgrade.log"


@pytest.mark.parametrize(
    "events", [lambda: sx.happy_events(sx.SUCCESS), lambda: sx.rollback_events(sx.ROLLED_BACK)]
)
async def test_the_result_box_shortens_the_log_path_instead_of_wrapping_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, events: Any
) -> None:
    monkeypatch.setenv("HOME", "/home/admin")
    app = app_with(tmp_path, log_path=Path(LONG_LOG))
    async with app.run_test(size=(80, 24)) as pilot:
        await progress(events)(pilot)
        await wait_until(pilot, lambda: any("Log file:" in r for r in visible(app)))
        rows = visible(app)
        (line,) = [r for r in rows if "Log file:" in r]
        shown = line.split("Log file:", 1)[1].split("▕")[0].strip()
        # One row, home as ~, the middle dropped, the file name whole.
        assert shown.startswith("~/") and "…" in shown, shown
        assert shown.endswith("upgrade.log"), shown
        below = rows[rows.index(line) + 1]
        assert "upgrade.log" not in below and ".log" not in below, below


def _long_names(events: list[Any]) -> list[Any]:
    from dataclasses import replace

    from tui_upgrader.core.events import ServiceEvent

    longer = {"app": "customer-portal-backend-api", "worker": "customer-portal-queue-worker"}
    return [
        replace(e, service=longer[e.service]) if isinstance(e, ServiceEvent) else e for e in events
    ]


async def test_service_rows_shorten_the_name_not_the_state(tmp_path: Path) -> None:
    app = app_with(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await progress(lambda: _long_names(sx.happy_events(sx.SUCCESS)))(pilot)

        def rows() -> list[str]:
            return [r.split("▕", 1)[1] for r in visible(app) if "● cust" in r]

        # The screen redraws from the run model on its tick: wait for both verdicts.
        await wait_until(
            pilot, lambda: len(rows()) == 2 and "running" in rows()[1] and "…" in rows()[0]
        )
        api, worker = rows()
        # Shortened in the middle (the two still told apart by their end), whole states.
        assert "cust" in api and "…" in api and "api " in api and " healthy " in api, api
        assert "…" in worker and "worker " in worker and " running " in worker, worker
        assert "restarts 0" in api, api


async def test_a_long_patch_list_keeps_to_one_row_and_the_notes_stay_visible(
    tmp_path: Path,
) -> None:
    from tests.support import ui_scenarios as sc
    from tui_upgrader.ui.screens.manifest import ManifestScreen

    section = sc.patch_section("1.5.0.1")
    files = [f"app/modules/feature_{i:02d}/handler.js" for i in range(12)]
    section["x86_64"]["operations"]["replace"]["files"] = files
    section["x86_64"]["notes"] = "fixes the upload limit and the session timeout"
    plan = sc.make_plan("1.5.0", sc.manifest_doc("1.5.0.1", patch=section))
    app = app_with(tmp_path, plan=plan)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ManifestScreen))
        await wait_until(pilot, lambda: any("Patch for" in r for r in visible(app)))
        rows = visible(app)
        notes = [r for r in rows if r.strip().startswith("notes ")]
        assert notes and "session timeout" in notes[0], rows
        (replace,) = [r for r in rows if r.strip().startswith("replace ")]
        assert "… and " in replace and " more" in replace, replace
        assert "feature_00/handler.js" in replace, replace
        # The list did not wrap: no row holds only list continuation.
        assert not any("feature_11" in r for r in rows), rows
