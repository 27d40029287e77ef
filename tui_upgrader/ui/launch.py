"""The real wiring of the TUI: ``run_tui(args)`` (called by cli.py and the demo).

Engine modules are imported when first used, not here, so the first screen
is up before httpx, the docker SDK or the runner are loaded.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_upgrader.core.errors import InputError
from tui_upgrader.core.i18n import _
from tui_upgrader.core.paths import JOURNAL_FILE_NAME, STATE_DIR_NAME
from tui_upgrader.ops.settings import (
    Settings,
    config_path,
    load_settings,
    write_initial_config,
)
from tui_upgrader.ui.deps import RecoverMode, UiDeps

if TYPE_CHECKING:
    from tui_upgrader.core.events import Emit, ResultEvent
    from tui_upgrader.ops.backup.store import BackupStore
    from tui_upgrader.ops.ports import DockerPort
    from tui_upgrader.ops.upgrade.journal import Journal
    from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
    from tui_upgrader.ops.upgrade.planning import Plan
    from tui_upgrader.ui.screens.progress import ProgressScreen


def _docker(settings: Settings) -> DockerPort:
    from tui_upgrader.ops.stack.real_docker import RealDocker

    return RealDocker(project_name=settings.project_name)


def _run_upgrade(
    plan: UpgradePlan, ports: Ports, emit: Emit, cancel: threading.Event
) -> ResultEvent:
    from tui_upgrader.ops.upgrade.runner import run_upgrade

    return run_upgrade(plan, ports, emit, cancel)


def _recover(
    settings: Settings, ports: Ports, mode: RecoverMode, emit: Emit, cancel: threading.Event
) -> ResultEvent:
    from tui_upgrader.ops.upgrade.recovery import recover

    return recover(settings, ports, mode, emit, cancel)


def _read_journal(deploy_dir: Path) -> Journal | None:
    if not (deploy_dir / STATE_DIR_NAME / JOURNAL_FILE_NAME).exists():
        return None  # the usual answer, without loading the journal code first
    from tui_upgrader.ops.upgrade.journal import read_journal

    return read_journal(deploy_dir)


def _load_plan(settings: Settings, force_full: bool) -> Plan:
    from tui_upgrader.ops.upgrade.planning import load_decision
    from tui_upgrader.ops.upgrade.thin_stage import with_download_estimate

    return with_download_estimate(load_decision(settings, force_full=force_full), settings)


def _backups(settings: Settings) -> BackupStore:
    from tui_upgrader.ops.backup.store import BackupStore

    return BackupStore(settings)


def config_file_for(args: argparse.Namespace) -> Path:
    given = getattr(args, "config", None)
    if given is not None:
        return Path(given)
    return Path(os.environ.get("TUI_UPGRADER_CONFIG", "") or config_path())


def real_deps(args: argparse.Namespace, **overrides: Any) -> UiDeps:
    """Production collaborators for the options in ``args``; ``overrides`` replace any."""
    from tui_upgrader.ops.logsetup import log_file

    config_file = config_file_for(args)
    deploy_dir = getattr(args, "deploy_dir", None)
    manifest = getattr(args, "manifest", None)
    given_file = getattr(args, "config", None)
    settings = load_settings(given_file, deploy_dir=deploy_dir, manifest=manifest)
    needs_setup = not config_file.exists() and manifest is None and deploy_dir is None

    def write_config(url: str, deploy: Path, root: Path | None, allow_unsigned: bool) -> Path:
        if root is not None:
            from tui_upgrader.ops.trust.anchor import read_root_file

            read_root_file(root)  # a wrong file is refused in the wizard, not at first use
        return write_initial_config(
            url, deploy, config_file=config_file, trusted_root=root, allow_unsigned=allow_unsigned
        )

    def reload_settings() -> Settings:
        return load_settings(config_file, deploy_dir=deploy_dir, manifest=manifest)

    values: dict[str, Any] = {
        "settings": settings,
        "docker": _docker,
        "run_upgrade": _run_upgrade,
        "backups": _backups,
        "recover": _recover,
        "read_journal": _read_journal,
        "load_plan": _load_plan,
        "log_path": log_file(),
        "needs_setup": needs_setup,
        "config_file": config_file,
        "write_config": write_config,
        "reload_settings": reload_settings,
        "check_deploy_dir": True,
    }
    values.update(overrides)
    return UiDeps(**values)


def run_tui(args: argparse.Namespace, **overrides: Any) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Without a terminal the app would wait forever for keys nobody can press.
        raise InputError(
            _(
                "the TUI needs a terminal; from scripts or cron use "
                "'tui-upgrader check --json' or 'tui-upgrader upgrade --yes "
                "--json'"
            )
        )
    from tui_upgrader.ui.app import UpgraderApp

    app = UpgraderApp(real_deps(args, **overrides))
    code = app.run()
    busy = app.left_running
    if busy is not None:
        return finish_after_quit(busy, app.deps.log_path)
    return int(code or 0)


def finish_after_quit(screen: ProgressScreen, log_path: Path) -> int:
    """Quit while a job runs: the terminal is back; the job ends in this process.

    After the stop (critical) the job finishes or rolls back and every
    interrupt is refused with the same line; before it, quit asked the job to
    cancel, which it does at its next safe point. Either way the outcome is
    printed as the TUI would have shown it, and is the exit code.
    """
    from tui_upgrader.ops.job_thread import continues_line, wait_refusing_interrupts
    from tui_upgrader.ui.operations import describe

    job, watch = screen.job, screen.engine_watch
    if job is None or watch is None:
        return 1
    line = continues_line(log_path)
    if watch.critical:
        print(line, file=sys.stderr, flush=True)
    else:
        print(_("tui-upgrader: cancelling at the next safe point..."), file=sys.stderr, flush=True)
    wait_refusing_interrupts(job.is_alive, job.join, line)
    result = job.result
    if result is None:
        return 1
    outcome = describe(
        screen.operation,
        result,
        log_path,
        cancelled=screen.cancel_requested,
        stopped=watch.stopped,
    )
    print("tui-upgrader: " + outcome.headline, file=sys.stderr)
    for text in outcome.lines:
        print("  " + text, file=sys.stderr)
    return outcome.exit_code
