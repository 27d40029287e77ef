"""The headless text printer speaks the admin's language (its words, states and
levels); ``--json`` stays English because it never installs a catalogue."""

from __future__ import annotations

import io
import json

import pytest

from tui_upgrader.core.events import Event, LayerEvent, LogEvent, ServiceEvent, Step, StepEvent
from tui_upgrader.headless import JsonPrinter, TextPrinter

EVENTS: list[Event] = [
    StepEvent(Step.VERIFYING_SERVICES, "failed"),
    StepEvent(Step.CLEANING_UP, "skipped"),
    LayerEvent("demo/app:1.5.0", "a3f1c2d4e5b6", "loading", 0, 0),
    ServiceEvent("app", "restarting", "health check pending", restarts=2),
    LogEvent("warning", "could not stop the new containers cleanly: timeout"),
]


def _printed(printer_type: type[TextPrinter] | type[JsonPrinter]) -> str:
    out = io.StringIO()
    printer = printer_type(out)
    for event in EVENTS:
        printer(event)
    return out.getvalue()


@pytest.mark.usefixtures("zh_cn")
def test_the_text_printer_in_zh_cn() -> None:
    lines = _printed(TextPrinter).splitlines()
    assert lines[0].startswith("[   失败] ") and lines[1].startswith("[ 已跳过] ")
    assert lines[2] == "          demo/app:1.5.0 层 a3f1c2d4e5b6 加载中：完成（未报告大小）"
    assert lines[3] == "     信息: 服务 app：重启中 (health check pending), 重启 2 次"
    assert lines[4].startswith("     警告: ")


def test_json_lines_stay_english_whatever_the_text_printer_says() -> None:
    # --json installs no catalogue (tests/i18n/test_language.py): the JSON is the msgids.
    lines = [json.loads(line) for line in _printed(JsonPrinter).splitlines()]
    service = next(line for line in lines if "app" in str(line.get("message", "")))
    assert service["message"] == "service app: restarting (health check pending)"
