"""The stage vocabulary: one table, every template fillable, marks safe to render."""

from __future__ import annotations

import re
import string
import unicodedata

import pytest

from tui_upgrader.core.stages import (
    ALL_MARKS,
    STAGES,
    Stage,
    stage_event,
    stage_message,
    without_mark,
)


def fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def test_every_stage_has_a_mark_and_a_template() -> None:
    assert set(STAGES) == set(Stage)
    for stage, text in STAGES.items():
        assert text.mark and text.template, stage
        assert text.template == text.template.strip()


@pytest.mark.parametrize("stage", list(Stage))
def test_each_template_renders_its_values_after_its_mark(stage: Stage) -> None:
    values = {name: f"<{name}>" for name in fields(STAGES[stage].template)}
    message = stage_message(stage, **values)
    assert message.startswith(STAGES[stage].mark + " ")
    for value in values.values():
        assert value in message


def test_a_missing_value_is_an_error_not_a_half_line() -> None:
    with pytest.raises(KeyError):
        stage_message(Stage.DOWNLOAD_START, url="http://x")


def test_marks_are_single_wide_emoji_without_variation_selectors() -> None:
    # Terminals and Textual must agree on their width (2 cells): no VS16, no ZWJ.
    for mark in ALL_MARKS:
        assert len(mark) == 1, mark
        assert unicodedata.east_asian_width(mark) == "W", mark


def test_the_event_carries_the_level_and_the_mark_but_json_keeps_its_shape() -> None:
    event = stage_event(Stage.ROLLBACK_START, reason="health gate failed")
    assert event.level == "error" and event.mark == "⏪"
    assert event.to_json() == {
        "type": "log",
        "level": "error",
        "message": "⏪ upgrade failed, rolling back: health gate failed",
    }


def test_without_mark_drops_only_the_leading_mark() -> None:
    message = stage_message(Stage.BACKUP_DONE, backup_id=3, path="/b/3.tar.zst")
    assert without_mark(message, "✅") == "backup created, id 3: /b/3.tar.zst"
    assert without_mark("plain ✅ line", "✅") == "plain ✅ line"
    assert without_mark("plain", "") == "plain"


def test_the_original_clients_stages_are_all_there() -> None:
    # reference/original-client.md section 7, in our words.
    wanted = [
        r"strategy decision",
        r"full upgrade strategy selected",
        r"patch \(incremental\) upgrade strategy selected",
        r"download starts",
        r"download metadata saved",
        r"download complete",
        r"creating the pre-upgrade backup",
        r"backup created",
        r"docker load executing",
        r"loaded image",
        r"stopping services",
        r"starting services",
        r"health gate passed",
        r"rolling back",
    ]
    templates = " | ".join(t.template for t in STAGES.values())
    for pattern in wanted:
        assert re.search(pattern, templates), pattern
