"""What a notification says: one finished operation, in a title and a few lines.

Host, deploy dir, from -> to, outcome, downtime, backup id and the log file:
enough to act on from a phone, nothing that is a secret (``send`` masks the
deploy dir's ``.env`` values in the whole text before it leaves).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tui_upgrader.core import display
from tui_upgrader.core.errors import EXIT_OK, EXIT_ROLLBACK_FAILED
from tui_upgrader.core.events import ResultEvent

Severity = Literal["success", "warning", "failure"]
BEFORE_STOP = "failed before the stop, nothing was changed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    outcome: str  # "upgraded", "failed, rolled back", "ROLLBACK FAILED", "restored" ...
    severity: Severity
    deploy_dir: Path
    log_file: Path
    from_version: str | None
    to_version: str | None
    backup_id: int | None
    downtime_s: float | None
    error: str | None = None
    host: str = ""
    stack_kept_running: bool = False  # failed before the stop: no downtime at all
    unclean_stop: tuple[str, ...] = ()  # services killed during the stop

    def _downtime(self) -> str:
        if self.downtime_s is not None:
            return display.duration(self.downtime_s)
        return "none, the stack kept running" if self.stack_kept_running else "not measured"

    @property
    def title(self) -> str:
        return f"tui-upgrader on {self.host or socket.gethostname()}: {self.outcome}"

    @property
    def body(self) -> str:
        lines = [
            f"host: {self.host or socket.gethostname()}",
            f"deploy dir: {self.deploy_dir}",
            f"version: {self.from_version or 'none'} -> {self.to_version or 'none'}",
            f"outcome: {self.outcome}",
            f"downtime: {self._downtime()}",
            f"backup: {self.backup_id if self.backup_id is not None else 'none'}",
        ]
        if self.unclean_stop:
            lines.append(
                f"unclean stop: {', '.join(self.unclean_stop)} killed during the stop; "
                "the pre-upgrade backup is crash-consistent"
            )
        if self.error:
            lines.append(f"error: {self.error}")
        lines.append(f"log: {self.log_file}")
        return "\n".join(lines)


def _outcome(result: ResultEvent) -> tuple[str, Severity]:
    if result.success:
        return "upgraded", "success"
    if result.rolled_back and result.exit_code != EXIT_ROLLBACK_FAILED:
        healthy = ""
        if result.rollback_healthy is not None:
            healthy = "; the old stack is " + (
                "healthy" if result.rollback_healthy else "NOT healthy"
            )
        # exit 0: a rollback that was asked for (recover --rollback) and is whole
        what = "rolled back" if result.exit_code == EXIT_OK else "failed, rolled back"
        return what + healthy, "warning"
    if result.rolled_back or result.exit_code == EXIT_ROLLBACK_FAILED:
        return "failed, ROLLBACK FAILED: the stack needs you", "failure"
    return BEFORE_STOP, "failure"


def result_notice(
    result: ResultEvent, deploy_dir: Path, log_file: Path, *, recovery: bool = False
) -> Notice | None:
    """The notice for an upgrade's (or a recovery's) result; None when nothing was to do."""
    if result.success and result.from_version == result.to_version and not recovery:
        return None  # "already installed": no news, and a cron'd fleet would drown in them
    outcome, severity = _outcome(result)
    if result.unclean_stop and severity == "success":
        outcome, severity = f"{outcome}, but {', '.join(result.unclean_stop)} was killed", "warning"
    kept_running = BEFORE_STOP in outcome
    if recovery:
        outcome = f"recovery: {outcome}"
    return Notice(
        outcome=outcome,
        severity=severity,
        deploy_dir=deploy_dir,
        log_file=log_file,
        from_version=result.from_version,
        to_version=result.to_version,
        backup_id=result.backup_id,
        downtime_s=result.downtime_s,
        error=result.error,
        stack_kept_running=kept_running,
        unclean_stop=result.unclean_stop,
    )


def restore_notice(
    *,
    backup_id: int,
    deploy_dir: Path,
    log_file: Path,
    from_version: str | None,
    to_version: str | None,
    downtime_s: float | None,
    error: str | None,
    restored: bool = True,
    left_stopped: bool = False,
) -> Notice:
    """``restored`` with an ``error``: the tree is back but the stack did not come up."""
    if error is None:
        outcome = f"restored backup {backup_id}" + (
            "; the stack is stopped" if left_stopped else ""
        )
    elif restored:
        outcome = f"restored backup {backup_id}, but the stack is NOT healthy"
    else:
        outcome = f"restore of backup {backup_id} FAILED"
    return Notice(
        outcome=outcome,
        severity="success" if error is None else "failure",
        deploy_dir=deploy_dir,
        log_file=log_file,
        from_version=from_version,
        to_version=to_version,
        backup_id=backup_id,
        downtime_s=downtime_s,
        error=error,
    )
