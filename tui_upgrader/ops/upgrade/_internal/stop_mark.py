"""A stack a stand-alone backup stopped: marked on disk, so a kill cannot leave it down unseen.

``backup create --stop`` writes ``.tui-upgrader/stopped-for-backup.json`` (the
services it stops) before the stop and removes it once the stack is up again.
Found later, the process that wrote it died in between (kill -9, power loss):
the next ``backup create`` or ``recover`` starts the stack again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from tui_upgrader.ops.fsutil import atomic_write_text, private_dir
from tui_upgrader.ops.state import state_dir

logger = logging.getLogger(__name__)

MARK_FILE = "stopped-for-backup.json"


def mark_path(deploy_dir: Path) -> Path:
    return state_dir(deploy_dir) / MARK_FILE


def mark_stopped(deploy_dir: Path, services: list[str]) -> None:
    private_dir(state_dir(deploy_dir))
    atomic_write_text(mark_path(deploy_dir), json.dumps({"services": services}))


def clear_mark(deploy_dir: Path) -> None:
    try:
        os.unlink(mark_path(deploy_dir))
    except FileNotFoundError:
        return


def left_stopped(deploy_dir: Path) -> list[str]:
    """The services a dead backup run stopped and never started again ([] if none)."""
    try:
        raw = json.loads(mark_path(deploy_dir).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        logger.warning(
            "%s: unreadable (%s); assuming the stack was stopped", mark_path(deploy_dir), exc
        )
        return ["(unknown)"]
    services = raw.get("services") if isinstance(raw, dict) else None
    return [str(s) for s in services] if isinstance(services, list) and services else ["(unknown)"]
