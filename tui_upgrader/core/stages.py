"""The stage log vocabulary: one marked line per stage, as the original client logs them.

This table is the one place a translation pass (gettext, zh_CN) has to touch:
each stage has a mark (the original client's emoji) and an English template.
Ops modules never spell a stage line themselves; they call ``stage_line``.

A stage line travels as an ordinary ``LogEvent`` whose message starts with
the mark (the log file and ``--json`` carry it as is); the event also names
the mark, so a front end that cannot show emoji (``TERM=dumb``, a non-UTF-8
stdout) drops it without parsing the message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from tui_upgrader.core.events import LogEvent, LogLevel
from tui_upgrader.core.i18n import N_, _


class Stage(enum.StrEnum):
    STRATEGY_BEGIN = "strategy_begin"
    STRATEGY_FULL = "strategy_full"
    STRATEGY_PATCH = "strategy_patch"
    STRATEGY_NONE = "strategy_none"
    DOWNLOAD_START = "download_start"
    DOWNLOAD_RESUME = "download_resume"
    DOWNLOAD_META = "download_meta"
    DOWNLOAD_DONE = "download_done"
    DOWNLOAD_REUSED = "download_reused"
    LOAD_EXEC = "load_exec"
    LOAD_PARSED = "load_parsed"
    PULL_START = "pull_start"
    STOP = "stop"
    STOPPED = "stopped"
    STOP_UNCLEAN = "stop_unclean"
    STOP_SLOW = "stop_slow"
    BACKUP_START = "backup_start"
    BACKUP_DONE = "backup_done"
    START = "start"
    STARTED = "started"
    HEALTH_OK = "health_ok"
    HEALTH_FAILED = "health_failed"
    ROLLBACK_START = "rollback_start"
    ROLLBACK_ACTION = "rollback_action"
    ROLLBACK_DONE = "rollback_done"
    ROLLBACK_FAILED = "rollback_failed"
    UPGRADE_DONE = "upgrade_done"


@dataclass(frozen=True, slots=True)
class StageText:
    mark: str
    template: str
    level: LogLevel = "info"


# Marks are single emoji with default emoji presentation (no variation
# selectors), so every UTF-8 terminal and Textual agree they are two cells wide.
STAGES: dict[Stage, StageText] = {
    Stage.STRATEGY_BEGIN: StageText(
        "🔍", N_("starting the upgrade strategy decision: {current} -> {target}")
    ),
    Stage.STRATEGY_FULL: StageText("📦", N_("full upgrade strategy selected: {reason}")),
    Stage.STRATEGY_PATCH: StageText(
        "⚡", N_("patch (incremental) upgrade strategy selected: {reason}")
    ),
    Stage.STRATEGY_NONE: StageText("✅", N_("already up to date, no upgrade: {reason}")),
    Stage.DOWNLOAD_START: StageText("📥", N_("download starts: {url} ({size})")),
    Stage.DOWNLOAD_RESUME: StageText("📥", N_("download resumes at byte {offset} of {url}")),
    Stage.DOWNLOAD_META: StageText("📝", N_("download metadata saved: {path}")),
    Stage.DOWNLOAD_DONE: StageText(
        "✅", N_("download complete: {size}, sha256 {sha256} verified against {verified_by}")
    ),
    Stage.DOWNLOAD_REUSED: StageText(
        "✅", N_("package already downloaded and verified (sha256 {sha256}): download skipped")
    ),
    Stage.LOAD_EXEC: StageText("🐳", N_("docker load executing: {tar} ({size})")),
    Stage.LOAD_PARSED: StageText("🔖", N_("loaded image: {names}")),
    Stage.PULL_START: StageText("🐳", N_("pulling {image} for service {service}")),
    Stage.STOP: StageText("🛑", N_("stopping services: {services}")),
    Stage.STOPPED: StageText("🛑", N_("containers stopped: {services}")),
    Stage.STOP_UNCLEAN: StageText(
        "💥",
        N_("not shut down cleanly: {service}; its files are crash-consistent at best"),
        "warning",
    ),
    Stage.STOP_SLOW: StageText(
        "🐢",
        N_("slow stop: {service}; give it a longer stop_grace_period or stop_timeout_s"),
        "warning",
    ),
    Stage.BACKUP_START: StageText("💾", N_("creating the pre-upgrade backup of {path}")),
    Stage.BACKUP_DONE: StageText("✅", N_("backup created, id {backup_id}: {path}")),
    Stage.START: StageText("🚀", N_("starting services of {path}")),
    Stage.STARTED: StageText("🚀", N_("containers started for project {project}")),
    Stage.HEALTH_OK: StageText("💚", N_("health gate passed after {waited}: {services}")),
    Stage.HEALTH_FAILED: StageText("❌", N_("health gate failed: {reason}"), "error"),
    Stage.ROLLBACK_START: StageText("⏪", N_("upgrade failed, rolling back: {reason}"), "error"),
    Stage.ROLLBACK_ACTION: StageText("⏪", N_("rollback: {action}")),
    Stage.ROLLBACK_DONE: StageText("✅", N_("rolled back to {version}")),
    Stage.ROLLBACK_FAILED: StageText("❌", N_("rollback failed: {reason}"), "error"),
    Stage.UPGRADE_DONE: StageText("🎉", N_("upgrade completed: {from_version} -> {to_version}")),
}

ALL_MARKS: frozenset[str] = frozenset(text.mark for text in STAGES.values())


def stage_message(stage: Stage, **values: Any) -> str:
    """The marked line: ``"📥 download starts: ..."``. Raises KeyError on a missing value."""
    text = STAGES[stage]
    # Translated here, where the line is built: --json runs install no catalogue.
    return f"{text.mark} {_(text.template).format(**values)}"


def stage_event(stage: Stage, **values: Any) -> LogEvent:
    """The stage line as the engine emits it."""
    text = STAGES[stage]
    return LogEvent(text.level, stage_message(stage, **values), text.mark)


def without_mark(message: str, mark: str) -> str:
    """The message as a terminal without emoji shows it."""
    prefix = mark + " "
    return message[len(prefix) :] if mark and message.startswith(prefix) else message
