"""The headless text printer: what an admin reads in a terminal or a log."""

from __future__ import annotations

import io
import json

import pytest

from tests.support.results import result_event
from tui_upgrader.core.display import transfer
from tui_upgrader.core.events import LayerEvent, ResultEvent
from tui_upgrader.core.stages import Stage, stage_event
from tui_upgrader.headless import JsonPrinter, TextPrinter


def printed(*events: LayerEvent) -> list[str]:
    out = io.StringIO()
    printer = TextPrinter(out, interval_s=3600.0)
    for event in events:
        printer(event)
    return out.getvalue().splitlines()


def test_a_layer_without_a_reported_size_says_so_instead_of_zero_bytes() -> None:
    (text,) = printed(LayerEvent("app:2", "abc123", "extracting", 0, 0))

    assert text.endswith("app:2 layer abc123 extracting: done (size not reported)")


def test_layer_progress_is_throttled_but_the_final_line_always_prints() -> None:
    lines = printed(
        LayerEvent("app:2", "abc123", "downloading", 10, 100),
        LayerEvent("app:2", "abc123", "downloading", 50, 100),
        LayerEvent("app:2", "abc123", "downloading", 100, 100),
    )

    assert len(lines) == 2
    assert lines[0].endswith(f": {transfer(10, 100)}")
    assert lines[1].endswith(f": {transfer(100, 100)}")


def result_line(event: ResultEvent) -> str:
    out = io.StringIO()
    TextPrinter(out)(event)
    return out.getvalue().strip()


def test_the_summary_tells_nothing_done_from_a_forced_reinstall() -> None:
    nothing = result_event(from_version="1.1.0.1", to_version="1.1.0.1")
    forced = result_event(from_version="1.1.0.1", to_version="1.1.0.1", backup_id=4, downtime_s=2.0)

    assert result_line(nothing).startswith("Nothing to do")
    assert result_line(forced).startswith("Reinstalled 1.1.0.1.")
    assert "Pre-upgrade backup: 4." in result_line(forced)


def test_a_rolled_back_failure_reads_as_two_sentences() -> None:
    failed = result_event(
        success=False,
        from_version="1.0.0.0",
        to_version="1.1.0.0",
        backup_id=3,
        rolled_back=True,
        error="the upgrade was interrupted",
        rollback_healthy=True,
    )

    assert result_line(failed) == (
        "Upgrade failed: the upgrade was interrupted. "
        "Rolled back to 1.0.0.0; the old stack is healthy."
    )


def test_stage_marks_show_on_a_utf8_terminal_and_not_on_a_dumb_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    event = stage_event(
        Stage.DOWNLOAD_DONE, size="1.0 MiB", sha256="ab" * 32, verified_by="the manifest"
    )

    def text(encoding: str, term: str) -> str:
        monkeypatch.setenv("TERM", term)
        raw = io.BytesIO()
        out = io.TextIOWrapper(raw, encoding=encoding, errors="replace")
        TextPrinter(out)(event)
        out.flush()
        return raw.getvalue().decode(encoding, "replace").strip()

    assert (
        text("utf-8", "xterm-256color")
        == f"info: ✅ download complete: 1.0 MiB, sha256 {'ab' * 32} verified against the manifest"
    )
    assert (
        text("utf-8", "dumb")
        == f"info: download complete: 1.0 MiB, sha256 {'ab' * 32} verified against the manifest"
    )
    assert (
        text("ascii", "xterm")
        == f"info: download complete: 1.0 MiB, sha256 {'ab' * 32} verified against the manifest"
    )
    # --json always carries the marked message, in the contract's shape.
    out = io.StringIO()
    JsonPrinter(out)(event)
    assert json.loads(out.getvalue()) == event.to_json()
    assert json.loads(out.getvalue())["message"].startswith("✅ ")


def test_a_whole_rollback_asked_for_says_only_that() -> None:
    done = result_event(
        success=False,
        from_version="1.0.0.0",
        to_version="1.1.0.0",
        backup_id=3,
        rolled_back=True,
        rollback_healthy=True,
    )
    nothing_ran = result_event(
        success=False, from_version="1.0.0.0", to_version="1.1.0.0", backup_id=3, rolled_back=True
    )

    assert result_line(done) == "Rolled back to 1.0.0.0; the old stack is healthy."
    assert result_line(nothing_ran) == (
        "Rolled back to 1.0.0.0; no stack was running before, so none was started."
    )
    failed = result_event(
        success=False,
        from_version="1.0.0.0",
        to_version="1.1.0.0",
        backup_id=3,
        rolled_back=True,
        error="boom",
        exit_code=1,
    )
    assert result_line(failed) == (
        "Upgrade failed: boom. Rolled back to 1.0.0.0; no stack was running before, so none was "
        "started."
    )


def test_a_rollback_that_failed_in_part_never_reads_as_rolled_back() -> None:
    error = (
        "upgrade failed: the upgrade was interrupted; rollback failed: data/ could not be "
        "restored from backup #3 (gone); put back: the files, compose file and .env of 1.0.0.0"
    )
    # rolled_back/rollback_healthy as a careless caller might leave them: exit 3 decides.
    partial = result_event(
        success=False,
        from_version="1.0.0.0",
        to_version="1.1.0.0",
        backup_id=3,
        rolled_back=True,
        error=error,
        rollback_healthy=True,
        exit_code=3,
    )

    line = result_line(partial)
    assert line == "Upgrade failed: the upgrade was interrupted; rollback failed: " + (
        "data/ could not be restored from backup #3 (gone); put back: the files, compose file "
        "and .env of 1.0.0.0."
    )
    assert "Rolled back" not in line and "healthy" not in line


def test_an_unclean_stop_is_said_after_the_outcome_and_in_the_json() -> None:
    done = result_event(
        from_version="1.0.0.0",
        to_version="1.1.0.0",
        backup_id=5,
        downtime_s=9.0,
        unclean_stop=("db",),
    )

    assert result_line(done).endswith(
        "Pre-upgrade backup: 5. Not shut down cleanly during the stop (killed): db; "
        "the pre-upgrade backup is crash-consistent."
    )
    out = io.StringIO()
    JsonPrinter(out)(done)
    assert json.loads(out.getvalue())["unclean_stop"] == ["db"]
