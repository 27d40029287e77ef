"""``tui-upgrader backup list|create|restore ID|verify ID|delete ID``.

``--json`` prints one object on stdout (shapes in README); without it, a
table or a sentence, with progress on stderr. ``restore`` and ``delete`` ask
on the terminal unless ``--yes``; with no terminal and no ``--yes`` they refuse
(exit 2) rather than guess.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import TYPE_CHECKING, Any, TextIO

from tui_upgrader.commands._runtime import confirm, run_cancellable, settings_from_args
from tui_upgrader.core import display
from tui_upgrader.core.errors import EXIT_FAILED, InputError, StateError
from tui_upgrader.core.events import Emit, Step, discard
from tui_upgrader.core.i18n import _
from tui_upgrader.core.text import shorten
from tui_upgrader.ops.deploy_dirs import same_dir
from tui_upgrader.ops.job_thread import CriticalWatch
from tui_upgrader.ops.ports import DockerPort
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade.backup_with_stop import create_backup
from tui_upgrader.ops.upgrade.journal import refuse_interrupted
from tui_upgrader.ops.upgrade.restore_with_stop import restore_backup

if TYPE_CHECKING:
    from tui_upgrader.ops.backup.catalogue import BackupRecord
    from tui_upgrader.ops.backup.store import BackupStore

ACTIONS = ("list", "create", "restore", "verify", "delete")
NEEDS_ID = ("restore", "verify", "delete")


# SQLite's INTEGER: an id beyond it names no backup, and sqlite3 would raise OverflowError.
MAX_ID = 2**63 - 1


def backup_id(text: str) -> int:
    """A backup id as argparse type: a positive integer SQLite can hold."""
    value = int(text) if re.fullmatch(r"[0-9]{1,19}", text) else 0
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(
            _("invalid backup id {text!r}: expected a number from 1 to {limit}").format(
                text=shorten(text, 40), limit=MAX_ID
            )
        )
    return value


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "backup",
        parents=[common],
        help=_("list, create, verify, restore or delete backups of the deploy dir"),
        description=_("Backups of the whole deploy dir (except images/), kept in the data dir."),
    )
    parser.add_argument("action", choices=ACTIONS, help=_("what to do"))
    parser.add_argument(
        "id", nargs="?", type=backup_id, metavar="ID", help=_("backup id (see list)")
    )
    parser.add_argument("--json", action="store_true", help=_("print one JSON object"))
    parser.add_argument("--yes", "-y", action="store_true", help=_("do not ask for confirmation"))
    parser.add_argument("--data-only", action="store_true", help=_("restore: only data/"))
    parser.add_argument(
        "--stop", action="store_true", help=_("create: stop a running stack (restarted after)")
    )
    parser.add_argument("--start", action="store_true", help=_("restore: start the stack after"))
    parser.add_argument("--note", default="", help=_("create: a note stored with the backup"))
    parser.add_argument(
        "--all", action="store_true", help=_("list: backups of every deploy dir, not only this one")
    )
    parser.add_argument(
        "--other-deploy-dir",
        action="store_true",
        help=_("restore: allow a backup taken of another deploy dir (named in the question)"),
    )
    parser.set_defaults(func=run)


def _check_args(args: argparse.Namespace) -> None:
    if args.action in NEEDS_ID and args.id is None:
        raise InputError(
            _("backup {action}: give the backup ID (see `backup list`)").format(action=args.action)
        )
    if args.action not in NEEDS_ID and args.id is not None:
        raise InputError(_("backup {action}: takes no ID").format(action=args.action))
    only = (
        ("data_only", "restore"),
        ("start", "restore"),
        ("stop", "create"),
        ("all", "list"),
        ("other_deploy_dir", "restore"),
    )
    for flag, action in only:
        if getattr(args, flag) and args.action != action:
            raise InputError(
                _("--{flag} only applies to `backup {action}`").format(
                    flag=flag.replace("_", "-"), action=action
                )
            )


def _table(records: list[BackupRecord]) -> str:
    if not records:
        return _("No backups yet (`tui-upgrader backup create`).")
    rows = [
        (
            _("ID"),
            _("KIND"),
            _("VERSION"),
            _("CREATED"),
            _("SIZE"),
            _("STATUS"),
            _("FILE"),
            _("DEPLOY DIR"),
        )
    ]
    for r in records:
        rows.append(
            (
                str(r.id),
                display.backup_word(r.kind),
                r.version or "-",
                display.age(r.created),
                display.size(r.size) if r.size is not None else "-",
                display.backup_word(r.status),
                _("present") if r.archive_exists() else _("missing"),
                display.short_path(r.deploy_dir),
            )
        )
    # Cells, not characters: a CJK heading is two columns per character.
    widths = [max(display.cells(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(display.pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _version(settings: Settings) -> str | None:
    try:
        state = read_state(settings.deploy_dir)
    except StateError:
        return None
    return str(state.version) if state.version is not None else None


def execute(
    args: argparse.Namespace,
    settings: Settings,
    store: BackupStore,
    docker: DockerPort,
    *,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    """The command with its collaborators passed in (tests hand in fakes)."""
    _check_args(args)
    deploy = settings.deploy_dir

    def out(payload: dict[str, Any], text: str) -> None:
        stdout.write((json.dumps(payload) if args.json else text) + "\n")

    emit: Emit = discard
    if not args.json:
        from tui_upgrader.headless import TextPrinter

        emit = TextPrinter(stderr)
    if args.action == "list":
        records = store.list()
        if not args.all:
            records = [r for r in records if same_dir(r.deploy_dir, deploy)]
        out({"backups": [r.to_json() for r in records]}, _table(records))
        return 0
    if args.action == "create":
        # From the stop until the stack passed its gate again, Ctrl+C is refused (as
        # in ``upgrade``); before it, it cancels; after it, the archive is only a file.
        watch = CriticalWatch(emit, critical_until=Step.VERIFYING_SERVICES)
        made = run_cancellable(
            lambda cancel: create_backup(
                store,
                docker,
                deploy,
                stop=args.stop,
                version=_version(settings),
                note=args.note,
                emit=watch,
                cancel=cancel,
            ),
            lambda: _interrupted(stderr),
            critical=lambda: watch.critical,
        )
        record = store.get(made.record.id)  # the catalogue's full record
        out(
            {
                "backup": record.to_json(),
                "stopped": made.stopped,
                "restarted": bool(made.stopped) and made.restart_error is None,
                "restart_error": made.restart_error,
            },
            _("Backup {id} created: {path} ({size}, {count} files, {hash})").format(
                id=record.id,
                path=record.archive_path,
                size=display.size(record.size),
                count=record.file_count,
                hash=display.short_hash(record.sha256),
            ),
        )
        if made.restart_error is None:
            return 0
        # The backup is good; the stack is not: say so, and fail the command.
        stderr.write(
            _(
                "tui-upgrader: warning: backup {id} was made, but the stack in "
                "{deploy} did not come back up: {restart_error}\n"
            ).format(id=record.id, deploy=deploy, restart_error=made.restart_error)
        )
        return EXIT_FAILED
    if args.action == "restore":
        refuse_interrupted(deploy, "restore")  # before asking anything
    record = store.get(args.id)
    if args.action == "verify":
        report = store.verify(args.id)
        out(
            report.to_json(),
            _("Backup {id}: {status}: {detail}").format(
                id=args.id, status=report.status, detail=report.detail
            ),
        )
        return 0 if report.ok else 1
    if args.action == "delete":
        question = _("Delete backup {id} ({kind}, {age})?").format(
            id=record.id, kind=record.kind, age=display.age(record.created)
        )
        confirm(question, assume_yes=args.yes, what=_("delete"), stdin=stdin, stderr=stderr)
        store.delete(record.id)
        out({"deleted": record.id}, _("Deleted backup {id}").format(id=record.id))
        return 0
    question = (
        _(
            "Replace data/ of {deploy} with backup {id} ({kind}, version {version}, {age}, "
            "taken of {source})?"
        )
        if args.data_only
        else _(
            "Replace the whole of {deploy} with backup {id} ({kind}, version {version}, {age}, "
            "taken of {source})?"
        )
    ).format(
        deploy=deploy,
        id=record.id,
        kind=record.kind,
        version=record.version or "?",
        age=display.age(record.created),
        source=record.deploy_dir,
    )
    if not same_dir(record.deploy_dir, deploy):
        if not args.other_deploy_dir:
            raise InputError(
                _(
                    "backup {id} was taken of {source}, not of {deploy}: nothing was changed; "
                    "to restore it into {deploy} anyway, add --other-deploy-dir"
                ).format(id=record.id, source=record.deploy_dir, deploy=deploy)
            )
        question = _("Backup {id} was taken of ANOTHER deploy dir, {source}. {question}").format(
            id=record.id, source=record.deploy_dir, question=question
        )
    confirm(question, assume_yes=args.yes, what=_("restore"), stdin=stdin, stderr=stderr)
    # Once the stack is stopped a restore finishes, or puts the old tree and stack
    # back: a Ctrl+C there is refused rather than left half-done.
    watch = CriticalWatch(emit, critical_until=Step.VERIFYING_SERVICES)
    stopped = run_cancellable(
        lambda cancel: restore_backup(
            store,
            docker,
            record.id,
            deploy,
            data_only=args.data_only,
            start=args.start,
            emit=watch,
            cancel=cancel,
        ),
        lambda: _interrupted(stderr),
        critical=lambda: watch.critical,
    )
    out(
        {
            "restored": record.id,
            "deploy_dir": str(deploy),
            "data_only": args.data_only,
            "stopped": stopped,
            "started": args.start,
        },
        _("Restored backup {id} into {deploy}").format(id=record.id, deploy=deploy)
        + (_(" (stopped: {names})").format(names=", ".join(stopped)) if stopped else "")
        + (_("; stack started") if args.start else ""),
    )
    return 0


def _interrupted(stderr: TextIO) -> None:
    stderr.write(_("\nInterrupt received: cancelling at the next safe point.\n"))
    stderr.flush()


def run(args: argparse.Namespace) -> int:
    from tui_upgrader.ops.backup.store import BackupStore
    from tui_upgrader.ops.stack.real_docker import RealDocker

    settings = settings_from_args(args)
    docker = RealDocker(project_name=settings.project_name)
    return execute(
        args,
        settings,
        BackupStore(settings),
        docker,
        stdin=sys.stdin,
        stdout=sys.stdout,
        stderr=sys.stderr,
    )
