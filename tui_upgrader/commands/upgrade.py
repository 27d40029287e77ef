"""``tui-upgrader upgrade [--yes] [--force-full] [--no-backup] [--json]``: headless upgrade."""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from tui_upgrader.commands._runtime import confirm, printer, run_cancellable, settings_from_args
from tui_upgrader.commands.check import decision_text
from tui_upgrader.core.errors import InputError, UpgraderError
from tui_upgrader.core.events import LogEvent, ResultEvent, Step, StepEvent
from tui_upgrader.core.i18n import N_, _
from tui_upgrader.headless import JsonPrinter
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade.journal import refuse_interrupted
from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
from tui_upgrader.ops.upgrade.planning import load_decision

NO_BACKUP_WARNING = N_(
    "--no-backup: no pre-upgrade backup will be made. If the upgrade fails after the stop, "
    "files, compose file and .env are still put back, but data/ changes made by the new "
    "version cannot be undone."
)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("upgrade", parents=[common], help=_("run the upgrade headlessly"))
    parser.add_argument("--yes", "-y", action="store_true", help=_("do not ask for confirmation"))
    parser.add_argument("--force-full", action="store_true", help=_("reinstall the full package"))
    parser.add_argument("--no-backup", action="store_true", help=_("skip the pre-upgrade backup"))
    parser.add_argument("--json", action="store_true", help=_("one JSON event per line"))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    deploy_dir: Path | None = None
    try:
        settings = settings_from_args(args)
        deploy_dir = settings.deploy_dir
        if args.no_backup and not args.yes:
            raise InputError(_("--no-backup needs --yes: it gives up the way back for data/"))
        refuse_interrupted(settings.deploy_dir, "upgrade")
        plan = load_decision(settings, force_full=args.force_full)
        if args.no_backup:
            print(_(NO_BACKUP_WARNING), file=sys.stderr)
        if not args.json:
            print(decision_text(plan.decision))
        if plan.decision.upgrades:
            question = _("Upgrade to {version}?").format(version=plan.decision.target_version.short)
            confirm(question, assume_yes=args.yes, what=_("upgrade"))
    except UpgraderError as exc:
        if not args.json:
            raise
        return _json_refusal(deploy_dir, exc)

    from tui_upgrader.ops.stack.real_docker import RealDocker
    from tui_upgrader.ops.upgrade.runner import run_upgrade

    upgrade_plan = UpgradePlan(
        settings, plan.manifest, plan.decision, make_backup=not args.no_backup
    )
    ports = Ports(docker=RealDocker(project_name=settings.project_name))
    from tui_upgrader.ops.job_thread import CriticalWatch

    emit = CriticalWatch(printer(args.json), Step.STOPPING_SERVICES)

    def interrupted() -> None:
        print(
            _(
                "\nInterrupt received: cancelling if nothing has been stopped "
                "yet; after the stop the upgrade finishes or rolls back."
            ),
            file=sys.stderr,
        )

    result = run_cancellable(
        lambda cancel: run_upgrade(upgrade_plan, ports, emit, cancel),
        interrupted,
        critical=lambda: emit.critical,
    )
    return result.exit_code if not result.success else 0


def _json_refusal(deploy_dir: Path | None, exc: UpgraderError) -> int:
    """In --json mode every run ends with a ``result`` event, even one that
    never started (bad config or manifest, server down, journal, no --yes)."""
    emit = JsonPrinter()
    installed = None
    if deploy_dir is not None:
        with contextlib.suppress(UpgraderError):
            installed = read_state(deploy_dir).version
    emit(StepEvent(Step.CHECKING_UPDATES, "started"))
    emit(StepEvent(Step.CHECKING_UPDATES, "failed"))
    emit(LogEvent("error", exc.message))
    emit(ResultEvent.failure(exc, from_version=str(installed) if installed else None))
    return exc.exit_code
