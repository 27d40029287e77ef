"""``tui-upgrader demo``: the whole flow on a self-contained demo.

A local release server on 127.0.0.1, a busybox demo stack installed at 1.0.0,
and releases 1.1.0 (full) and 1.1.0.1 (patch). Re-running resets everything,
except with ``--resume`` or when an upgrade was interrupted there: then the demo
is reopened as it is (see ``resume_demo``), so the admin can recover it.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tui_upgrader.commands import arg_types
from tui_upgrader.commands._runtime import printer, run_cancellable
from tui_upgrader.core.i18n import _


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("demo", parents=[common], help=_("the TUI on a self-contained demo"))
    parser.add_argument(
        "--dir", type=arg_types.out_dir, default=None, help=_("demo folder (default: data dir)")
    )
    parser.add_argument(
        "--port", type=arg_types.port, default=18080, help=_("demo web port on 127.0.0.1")
    )
    parser.add_argument(
        "--headless", action="store_true", help=_("run the upgrade without the TUI (--yes implied)")
    )
    parser.add_argument("--json", action="store_true", help=_("with --headless: JSON events"))
    parser.add_argument(
        "--project",
        type=arg_types.project,
        default=None,
        help=_("compose project (and image repository) name, to run beside another demo"),
    )
    again = parser.add_mutually_exclusive_group()
    again.add_argument(
        "--resume",
        action="store_true",
        help=_("reopen the existing demo as it is (no reset; an interrupted upgrade kept)"),
    )
    again.add_argument(
        "--reset",
        action="store_true",
        help=_("rebuild the demo even when an upgrade was interrupted there"),
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tui_upgrader.core.events import Step
    from tui_upgrader.demo.session import interrupted_demo, prepare_demo, resume_demo
    from tui_upgrader.ops.job_thread import CriticalWatch
    from tui_upgrader.ops.stack.real_docker import RealDocker
    from tui_upgrader.ops.upgrade.plan import Ports, UpgradePlan
    from tui_upgrader.ops.upgrade.planning import load_decision

    say = (lambda text: print(text, file=sys.stderr)) if args.json else print
    named = {"project": args.project} if args.project else {}
    docker = RealDocker(project_name=args.project)
    resume = args.resume
    if not resume and not args.reset and interrupted_demo(args.dir):
        say(_("An upgrade was interrupted in this demo: reopened as it is (--reset rebuilds it)."))
        resume = True
    session = (
        resume_demo(docker, root=args.dir, say=say)
        if resume
        else prepare_demo(docker, root=args.dir, port=args.port, say=say, **named)
    )
    settings = session.settings
    try:
        if not args.headless:
            from tui_upgrader.ui.launch import run_tui

            return run_tui(args, settings=settings, needs_setup=False, reload_settings=None)
        from tui_upgrader.ops.upgrade.journal import read_journal
        from tui_upgrader.ops.upgrade.runner import run_upgrade

        journal = read_journal(settings.deploy_dir)
        if journal is not None:
            # Headless has no dialog: finish what was interrupted, as `recover --resume`.
            from tui_upgrader.commands.recover import recover_journal

            return recover_journal(args.json, lambda: "resume", settings, journal)
        plan = load_decision(settings)
        upgrade = UpgradePlan(settings, plan.manifest, plan.decision)
        ports = Ports(docker=RealDocker(project_name=settings.project_name))
        watch = CriticalWatch(printer(args.json), Step.STOPPING_SERVICES)
        result = run_cancellable(
            lambda cancel: run_upgrade(upgrade, ports, watch, cancel),
            lambda: print(_("\ncancelling if nothing has been stopped yet"), file=sys.stderr),
            critical=lambda: watch.critical,
        )
        return 0 if result.success else result.exit_code
    finally:
        session.server.shutdown()
