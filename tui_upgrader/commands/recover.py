"""``tui-upgrader recover [--rollback|--resume]``: finish an interrupted upgrade."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from tui_upgrader.commands._runtime import printer, run_cancellable, settings_from_args
from tui_upgrader.core.errors import EXIT_FAILED, EXIT_OK, InputError, UpgraderError
from tui_upgrader.core.events import LogEvent, ResultEvent, discard
from tui_upgrader.core.i18n import _
from tui_upgrader.headless import JsonPrinter
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.upgrade.backup_with_stop import start_left_stopped
from tui_upgrader.ops.upgrade.journal import Journal, read_journal
from tui_upgrader.ops.upgrade.plan import Ports
from tui_upgrader.ops.upgrade.recovery import RecoverMode, describe, recover


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "recover", parents=[common], help=_("resolve an interrupted upgrade (rollback or resume)")
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--rollback", action="store_true", help=_("go back to the old version"))
    mode.add_argument("--resume", action="store_true", help=_("finish the upgrade"))
    parser.add_argument("--json", action="store_true", help=_("one JSON event per line"))
    parser.set_defaults(func=run)


def _ask_mode() -> RecoverMode:
    if not sys.stdin.isatty():
        raise InputError(_("choose --rollback or --resume (no terminal to ask on)"))
    print(
        _("Roll back to the old version (r) or resume the upgrade (u)? [r/u] "),
        end="",
        file=sys.stderr,
        flush=True,
    )
    answer = input()
    if answer.strip().lower() in ("u", "resume"):
        return "resume"
    if answer.strip().lower() in ("r", "rollback"):
        return "rollback"
    raise InputError(_("no choice made; nothing changed"))


def run(args: argparse.Namespace) -> int:
    journal: Journal | None = None
    try:
        settings = settings_from_args(args)
        if not settings.deploy_dir.is_dir():
            # A typo in --deploy-dir: say so, and create nothing there.
            raise InputError(
                _("{deploy_dir}: the deploy dir does not exist; nothing to recover").format(
                    deploy_dir=settings.deploy_dir
                )
            )
        journal = read_journal(settings.deploy_dir)
        if journal is None:
            return _no_journal(args, settings)
        return recover_journal(args.json, lambda: _chosen_mode(args), settings, journal)
    except UpgraderError as exc:
        if not args.json:
            raise
        return _json_refusal(exc, journal)


def _no_journal(args: argparse.Namespace, settings: Settings) -> int:
    """No interrupted upgrade; a killed ``backup create --stop`` may have left the stack down."""
    from tui_upgrader.ops.backup.store import BackupStore
    from tui_upgrader.ops.stack.real_docker import RealDocker

    out = sys.stderr if args.json else sys.stdout
    docker = RealDocker(project_name=settings.project_name)
    # --json: no event stream without a result; the one line below says what happened.
    emit = discard if args.json else printer(False)
    done = start_left_stopped(docker, BackupStore(settings), settings, emit)
    if done is None:
        print(
            _("Nothing to recover in {deploy_dir}.").format(deploy_dir=settings.deploy_dir),
            file=out,
        )
        return EXIT_OK
    print(done[0].upper() + done[1:] + ".", file=out)
    return EXIT_OK if done.startswith("started") else EXIT_FAILED


def _chosen_mode(args: argparse.Namespace) -> RecoverMode:
    return "rollback" if args.rollback else "resume" if args.resume else _ask_mode()


def recover_journal(
    as_json: bool, choose: Callable[[], RecoverMode], settings: Settings, journal: Journal
) -> int:
    """Finish the interrupted upgrade ``journal`` records (also ``demo --resume --headless``);
    ``choose`` is asked after the journal is described."""
    print(describe(journal), file=sys.stderr if as_json else sys.stdout)
    mode = choose()

    from tui_upgrader.ops.stack.real_docker import RealDocker

    ports = Ports(docker=RealDocker(project_name=settings.project_name))
    emit = printer(as_json)
    result = run_cancellable(
        lambda cancel: recover(settings, ports, mode, emit, cancel),
        lambda: None,
        critical=lambda: True,  # the stack is down: recovery always finishes
    )
    # The engine maps the outcome to the contract's code (a whole rollback that
    # was asked for is 0; one that failed in any part is 3), as the TUI shows it.
    if result.success:
        return EXIT_OK
    return result.exit_code if result.exit_code or result.rolled_back else EXIT_FAILED


def _json_refusal(exc: UpgraderError, journal: Journal | None) -> int:
    """Like ``upgrade --json``: a run that never started (no mode given, the deploy
    dir locked by another run, an unreadable journal) still ends with a ``result``."""
    emit = JsonPrinter()
    emit(LogEvent("error", exc.message))
    emit(
        ResultEvent.failure(
            exc,
            from_version=journal.from_version if journal else None,
            to_version=journal.to_version if journal else None,
            backup_id=journal.backup_id if journal else None,
        )
    )
    return exc.exit_code
