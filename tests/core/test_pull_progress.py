"""The engine's pull stream -> LayerEvents, including the lines it drops."""

from __future__ import annotations

from typing import Any

from tui_upgrader.core.events import LayerEvent
from tui_upgrader.core.pull_progress import PullProgress

REF = "registry.local/app:2.0.0"


def feed_all(lines: list[dict[str, Any]]) -> list[LayerEvent]:
    progress = PullProgress(REF)
    return [event for line in lines for event in progress.feed(line)]


def line(
    layer: str, status: str, current: int | None = None, total: int | None = None
) -> dict[str, Any]:
    detail = {} if current is None else {"current": current, "total": total}
    return {"id": layer, "status": status, "progressDetail": detail}


def test_a_full_stream_reports_sizes_and_finishes_each_phase() -> None:
    events = feed_all(
        [
            {"status": "Pulling from app", "id": "2.0.0"},
            line("aaa", "Pulling fs layer"),
            line("aaa", "Downloading", 100, 400),
            line("aaa", "Downloading", 400, 400),
            line("aaa", "Verifying Checksum"),
            line("aaa", "Download complete"),
            line("aaa", "Extracting", 512, 1000),
            line("aaa", "Extracting", 1000, 1000),
            line("aaa", "Pull complete"),
            {"status": "Digest: sha256:" + "0" * 64},
        ]
    )

    assert [(e.phase, e.done, e.total) for e in events] == [
        ("downloading", 0, None),
        ("downloading", 100, 400),
        ("downloading", 400, 400),
        ("downloading", 400, 400),
        ("extracting", 512, 1000),
        ("extracting", 1000, 1000),
        ("extracting", 1000, 1000),
    ]
    assert {e.image for e in events} == {REF}


def test_a_layer_whose_progress_lines_were_dropped_still_appears_and_finishes() -> None:
    # Seen on a real engine: "Pulling fs layer" then straight to "Download complete".
    events = feed_all(
        [
            line("bbb", "Pulling fs layer"),
            line("bbb", "Download complete"),
            line("bbb", "Pull complete"),
        ]
    )

    assert [(e.layer, e.phase, e.done, e.total) for e in events] == [
        ("bbb", "downloading", 0, None),
        ("bbb", "downloading", 0, 0),
        ("bbb", "extracting", 0, 0),
    ]


def test_pull_complete_closes_a_download_whose_complete_line_was_dropped() -> None:
    events = feed_all(
        [
            line("ccc", "Downloading", 10, 50),
            line("ccc", "Extracting", 5, 90),
            line("ccc", "Pull complete"),
        ]
    )

    finals = {(e.phase, e.done, e.total) for e in events if e.done == e.total}
    assert finals == {("downloading", 50, 50), ("extracting", 90, 90)}


def test_a_closed_phase_ignores_late_lines_and_repeated_terminals() -> None:
    progress = PullProgress(REF)
    progress.feed(line("ddd", "Downloading", 10, 50))
    progress.feed(line("ddd", "Download complete"))

    assert progress.feed(line("ddd", "Downloading", 20, 50)) == []
    assert progress.feed(line("ddd", "Download complete")) == []


def test_a_total_sent_once_is_kept_for_later_lines() -> None:
    events = feed_all([line("eee", "Downloading", 10, 50), line("eee", "Downloading", 30, None)])

    assert events[-1].total == 50


def test_lines_without_a_layer_id_or_with_other_statuses_give_nothing() -> None:
    progress = PullProgress(REF)

    assert progress.feed({"status": "Status: Downloaded newer image"}) == []
    assert progress.feed(line("fff", "Waiting")) == []
    assert progress.feed(line("fff", "Already exists")) == []


def test_the_containerd_store_stream_still_closes_both_phases_of_every_layer() -> None:
    # As Docker 26 with the containerd image store sends it: no Extracting, no Pull complete.
    progress = PullProgress(REF)
    lines: list[dict[str, object]] = [
        {"status": "Pulling from app", "id": "2.0.0"},
        {"status": "Pulling fs layer", "progressDetail": {}, "id": "aaa"},
        {"status": "Pulling fs layer", "progressDetail": {}, "id": "bbb"},
        {"status": "Downloading", "progressDetail": {"current": 2048, "total": 2048}, "id": "aaa"},
        {"status": "Download complete", "progressDetail": {"hidecounts": True}, "id": "bbb"},
        {"status": "Download complete", "progressDetail": {"hidecounts": True}, "id": "aaa"},
        {"status": "Status: Downloaded newer image for app:2.0.0"},
    ]
    for line in lines:
        progress.feed(line)

    closing = progress.finish()

    assert [(e.layer, e.phase, e.done, e.total) for e in closing] == [
        ("aaa", "extracting", 0, 0),
        ("bbb", "extracting", 0, 0),
    ]
    assert progress.finish() == [], "closing twice adds nothing"
