"""The upgrade workflow that orchestrates the other capabilities: plan, run, journal, recover."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_upgrader.ops.lazy_face import lazy_face

if TYPE_CHECKING:
    from tui_upgrader.ops.upgrade.backup_with_stack import create_backup as create_backup
    from tui_upgrader.ops.upgrade.backup_with_stack import refuse_interrupted as refuse_interrupted
    from tui_upgrader.ops.upgrade.backup_with_stack import restore_backup as restore_backup
    from tui_upgrader.ops.upgrade.backup_with_stack import (
        start_left_stopped as start_left_stopped,
    )
    from tui_upgrader.ops.upgrade.journal import Journal as Journal
    from tui_upgrader.ops.upgrade.journal import clear_journal as clear_journal
    from tui_upgrader.ops.upgrade.journal import read_journal as read_journal
    from tui_upgrader.ops.upgrade.plan import Ports as Ports
    from tui_upgrader.ops.upgrade.plan import UpgradePlan as UpgradePlan
    from tui_upgrader.ops.upgrade.planning import Plan as Plan
    from tui_upgrader.ops.upgrade.planning import detect_arch as detect_arch
    from tui_upgrader.ops.upgrade.planning import load_decision as load_decision
    from tui_upgrader.ops.upgrade.planning import package_cache_path as package_cache_path
    from tui_upgrader.ops.upgrade.recovery import RecoverMode as RecoverMode
    from tui_upgrader.ops.upgrade.recovery import describe as describe
    from tui_upgrader.ops.upgrade.recovery import recover as recover
    from tui_upgrader.ops.upgrade.runner import run_upgrade as run_upgrade
    from tui_upgrader.ops.upgrade.thin_stage import (
        with_download_estimate as with_download_estimate,
    )

__getattr__ = lazy_face(
    __name__,
    {
        "detect_arch": "planning",
        "load_decision": "planning",
        "package_cache_path": "planning",
        "Plan": "planning",
        "Ports": "plan",
        "UpgradePlan": "plan",
        "run_upgrade": "runner",
        "with_download_estimate": "thin_stage",
        "clear_journal": "journal",
        "Journal": "journal",
        "read_journal": "journal",
        "describe": "recovery",
        "recover": "recovery",
        "RecoverMode": "recovery",
        "create_backup": "backup_with_stack",
        "refuse_interrupted": "backup_with_stack",
        "restore_backup": "backup_with_stack",
        "start_left_stopped": "backup_with_stack",
    },
)
