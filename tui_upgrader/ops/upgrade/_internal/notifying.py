"""Telling the configured ``notify`` URLs how an upgrade, recovery or restore ended.

Hooked where the headless CLI and the TUI both pass: the runner's and the
recovery's result, and the stand-alone restore. A failed notification becomes
one warning event before the result (which stays last) and never touches the
outcome.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from tui_upgrader.core.errors import UpgraderError, error_text
from tui_upgrader.core.events import Emit, LogEvent, ResultEvent
from tui_upgrader.ops.logsetup import log_file
from tui_upgrader.ops.notify.message import Notice, restore_notice, result_notice
from tui_upgrader.ops.notify.send import announce
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.state import read_state

logger = logging.getLogger(__name__)


def _tell(settings: Settings, make: Callable[[], Notice | None], emit: Emit) -> None:
    """Build and send the notice; nothing that goes wrong here may reach the caller."""
    try:
        notice = make()
        warnings = announce(settings.notify, notice) if notice is not None else []
    except Exception as exc:
        logger.warning("notification not sent: %s", error_text(exc), exc_info=True)
        warnings = [f"notification not sent: {error_text(exc)}"]
    for warning in warnings:
        emit(LogEvent("warning", warning))


def notify_result(
    settings: Settings, result: ResultEvent, emit: Emit, *, recovery: bool = False
) -> None:
    if not settings.notify:
        return
    _tell(
        settings,
        lambda: result_notice(
            result, settings.deploy_dir, log_file(settings.log_dir), recovery=recovery
        ),
        emit,
    )


def installed_version(deploy_dir: Path) -> str | None:
    with contextlib.suppress(UpgraderError, OSError):
        version = read_state(deploy_dir).version
        return str(version) if version is not None else None
    return None


def notify_restore(
    settings: Settings,
    emit: Emit,
    *,
    backup_id: int,
    deploy_dir: Path,
    from_version: str | None,
    downtime_s: float | None,
    failure: BaseException | None,
    restored: bool,
    left_stopped: bool = False,
) -> None:
    if not settings.notify:
        return
    _tell(
        settings,
        lambda: restore_notice(
            backup_id=backup_id,
            deploy_dir=deploy_dir,
            log_file=log_file(settings.log_dir),
            from_version=from_version,
            to_version=installed_version(deploy_dir),
            downtime_s=downtime_s,
            error=error_text(failure) if failure is not None else None,
            restored=restored,
            left_stopped=left_stopped,
        ),
        emit,
    )
