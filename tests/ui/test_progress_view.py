"""What the progress screen shows at each stage (fed on the UI thread, frozen clock)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text

from tests.support import ui_scripted as sx
from tests.support.ui_drive import app_with, to_screen, wait_until
from tui_upgrader.core.events import Event, LayerEvent, Step, StepEvent
from tui_upgrader.ui.screens.progress import ProgressScreen
from tui_upgrader.ui.widgets.event_log import EventLog
from tui_upgrader.ui.widgets.layer_list import LayerList
from tui_upgrader.ui.widgets.overall_bar import OverallBar
from tui_upgrader.ui.widgets.service_list import ServiceList

STAMP = re.compile(r"^\d\d:\d\d:\d\d ")


@dataclass(frozen=True)
class Seen:
    overall: str
    downtime: str
    fraction: float
    log: list[str]
    layers: str
    services: str


async def fed(tmp_path: Path, chunks: list[list[Event]]) -> list[Seen]:
    """Feed the events chunk by chunk; what the widgets show after each chunk."""
    app = app_with(tmp_path)
    seen: list[Seen] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await to_screen("enter", "enter", "s", "y", until=ProgressScreen)(pilot)
        screen = app.screen
        assert isinstance(screen, ProgressScreen)
        await wait_until(pilot, lambda: screen.started)
        for chunk in chunks:
            sx.feed(app, chunk)
            await pilot.pause()
            seen.append(
                Seen(
                    screen.query_one(OverallBar).text,
                    screen.query_one(OverallBar).downtime,
                    screen.model.snapshot().overall.fraction if screen.model else 0.0,
                    [str(line) for line in screen.query_one(EventLog).lines],
                    str(screen.query_one(LayerList).render()),
                    str(screen.query_one(ServiceList).render()),
                )
            )
    return seen


def cut(events: list[Event], marker: Event) -> int:
    return events.index(marker) + 1


async def test_the_screen_through_a_whole_upgrade(tmp_path: Path) -> None:
    events = sx.happy_events(sx.SUCCESS)
    a = cut(events, StepEvent(Step.DOWNLOADING_UPDATE, "finished"))
    b = cut(events, StepEvent(Step.LOADING_IMAGES, "started")) + 1
    c = cut(events, StepEvent(Step.STARTING_SERVICES, "finished"))
    d = cut(events, StepEvent(Step.VERIFYING_SERVICES, "finished"))
    half = sx.layer_events(0.5)
    seen = await fed(
        tmp_path, [events[:a], events[a:b], half, events[b:c], events[c:d], events[d:]]
    )
    fractions = [s.fraction for s in seen]
    assert fractions == sorted(fractions) and fractions[0] > 0 and fractions[-1] == 1.0
    assert len(set(fractions)) == len(fractions)  # it moved at every stage
    # Layers: one total, one bar per image, the live layers; finished ones folded.
    layers = seen[2].layers
    assert "All 2 images" in layers and "demo/app:1.5.0" in layers and "a3f1c2d4e5b6" in layers
    done_layers = seen[3].layers
    assert "a3f1c2d4e5b6" not in done_layers and "2/2" in done_layers and "100%" in done_layers
    # Expected downtime (median of three past upgrades) once the stop is near, then the real one.
    assert seen[0].downtime == ""
    assert seen[2].downtime == "Expected downtime ~14 s (past upgrades here)"
    assert re.fullmatch(r"Downtime \d+ s of ~14 s expected", seen[4].downtime), seen[4].downtime
    assert seen[-1].downtime == "Downtime 14.2 s"
    services = seen[4].services
    assert re.search(r"app\s+healthy\s+restarts 0\s+waited \d+ s", services), services
    # The log: timestamped stage lines, no echo of the step list.
    log = seen[-1].log
    assert all(STAMP.match(line) for line in log), log
    assert any("📥 download resumes at byte 12582912" in line for line in log)
    assert any(f"sha256 {sx.SHA} verified against the signed targets" in line for line in log)
    assert any("🔖 loaded image: demo/app:1.5.0" in line for line in log)
    assert any("💚 health gate passed" in line for line in log)
    assert not any(re.search(r" [▶✔✘] ", line) for line in log), log
    assert seen[-1].overall.startswith("Overall 100% · ")


async def test_a_rollback_logs_its_actions_and_errors_are_marked(tmp_path: Path) -> None:
    events = sx.rollback_events(sx.ROLLED_BACK)
    seen = await fed(tmp_path, [events])
    log = seen[-1].log
    assert any("error: ⏪ upgrade failed, rolling back" in line for line in log), log
    assert any("warning: could not stop the new containers" in line for line in log)
    assert any("⏪ rollback: starting the previous stack" in line for line in log)
    assert any("✅ rolled back to 1.4.2" in line for line in log)


async def test_thirty_layers_fit_in_a_few_rows(tmp_path: Path) -> None:
    many: list[Event] = [StepEvent(Step.LOADING_IMAGES, "started")]
    for i in range(30):
        many.append(LayerEvent("big/app:2", f"{i:012d}", "loading", 1 if i < 25 else 0, 1))
    seen = await fed(tmp_path, [many])
    rows = seen[-1].layers.splitlines()
    assert len(rows) <= 8, rows
    assert "25/30" in rows[1]


def test_the_highlighter_colours_warning_and_error_lines_only() -> None:
    log = EventLog()
    styles: dict[str, str] = {}

    def style(name: str) -> str:
        styles[name] = name
        return name

    log.get_component_rich_style = style  # type: ignore[method-assign,assignment]
    for line, wanted in (
        ("09:30:00 warning: disk nearly full", "event-log--warning"),
        ("09:30:00 error: rollback failed", "event-log--error"),
        ("09:30:00 📥 download starts", None),
    ):
        text = Text(line)
        log.highlighter.highlight(text)
        names = {str(span.style) for span in text.spans}
        assert "event-log--time" in names
        if wanted:
            assert wanted in names
        else:
            assert names == {"event-log--time"}
