"""``tui-upgrader backup list|create|restore ID|verify ID|delete ID``.

``--json`` prints one object on stdout (shapes in README); without it, a
table or a sentence, with progress on stderr. ``restore`` and ``delete`` ask
on the terminal unless ``--yes``; with no terminal and no ``--yes`` they refuse
(exit 2) rather than guess.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from tui_upgrader.commands._runtime import confirm, settings_from_args
from tui_upgrader.core import display
from tui_upgrader.core.errors import EXIT_FAILED, InputError, StateError
from tui_upgrader.core.events import Emit, discard
from tui_upgrader.ops.backup import BackupRecord, BackupStore
from tui_upgrader.ops.ports import DockerPort
from tui_upgrader.ops.settings import Settings
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade import (
    create_backup,
    refuse_interrupted,
    restore_backup,
)

ACTIONS = ("list", "create", "restore", "verify", "delete")
NEEDS_ID = ("restore", "verify", "delete")


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser(
        "backup",
        parents=[common],
        help="list, create, verify, restore or delete backups of the deploy dir",
        description="Backups of the whole deploy dir (except images/), kept in the data dir.",
    )
    parser.add_argument("action", choices=ACTIONS, help="what to do")
    parser.add_argument("id", nargs="?", type=int, metavar="ID", help="backup id (see list)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--data-only", action="store_true", help="restore: only data/")
    parser.add_argument(
        "--stop", action="store_true", help="create: stop a running stack (restarted after)"
    )
    parser.add_argument("--start", action="store_true", help="restore: start the stack after")
    parser.add_argument("--note", default="", help="create: a note stored with the backup")
    parser.set_defaults(func=run)


def _check_args(args: argparse.Namespace) -> None:
    if args.action in NEEDS_ID and args.id is None:
        raise InputError(f"backup {args.action}: give the backup ID (see `backup list`)")
    if args.action not in NEEDS_ID and args.id is not None:
        raise InputError(f"backup {args.action}: takes no ID")
    for flag, action in (("data_only", "restore"), ("start", "restore"), ("stop", "create")):
        if getattr(args, flag) and args.action != action:
            raise InputError(f"--{flag.replace('_', '-')} only applies to `backup {action}`")


def _table(records: list[BackupRecord]) -> str:
    if not records:
        return "No backups yet (`tui-upgrader backup create`)."
    rows = [("ID", "KIND", "VERSION", "CREATED", "SIZE", "STATUS", "FILE")]
    for r in records:
        rows.append(
            (
                str(r.id),
                r.kind,
                r.version or "-",
                display.age(r.created),
                display.size(r.size) if r.size is not None else "-",
                r.status,
                "present" if r.archive_exists() else "missing",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
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
        out({"backups": [r.to_json() for r in records]}, _table(records))
        return 0
    if args.action == "create":
        made = create_backup(
            store,
            docker,
            deploy,
            stop=args.stop,
            version=_version(settings),
            note=args.note,
            emit=emit,
        )
        record = store.get(made.record.id)  # the catalogue's full record
        out(
            {
                "backup": record.to_json(),
                "stopped": made.stopped,
                "restarted": bool(made.stopped) and made.restart_error is None,
                "restart_error": made.restart_error,
            },
            f"Backup {record.id} created: {record.archive_path} ({display.size(record.size)}, "
            f"{record.file_count} files, {display.short_hash(record.sha256)})",
        )
        if made.restart_error is None:
            return 0
        # The backup is good; the stack is not: say so, and fail the command.
        stderr.write(
            f"tui-upgrader: warning: backup {record.id} was made, but the stack in {deploy} "
            f"did not come back up: {made.restart_error}\n"
        )
        return EXIT_FAILED
    if args.action == "restore":
        refuse_interrupted(deploy, "restore")  # before asking anything
    record = store.get(args.id)
    if args.action == "verify":
        report = store.verify(args.id)
        out(report.to_json(), f"Backup {args.id}: {report.status}: {report.detail}")
        return 0 if report.ok else 1
    if args.action == "delete":
        question = f"Delete backup {record.id} ({record.kind}, {display.age(record.created)})?"
        confirm(question, assume_yes=args.yes, what="delete", stdin=stdin, stderr=stderr)
        store.delete(record.id)
        out({"deleted": record.id}, f"Deleted backup {record.id}")
        return 0
    what = "data/ of" if args.data_only else "the whole of"
    question = (
        f"Replace {what} {deploy} with backup {record.id} ({record.kind}, version "
        f"{record.version or '?'}, {display.age(record.created)}, taken of {record.deploy_dir})?"
    )
    confirm(question, assume_yes=args.yes, what="restore", stdin=stdin, stderr=stderr)
    stopped = restore_backup(
        store, docker, record.id, deploy, data_only=args.data_only, start=args.start, emit=emit
    )
    out(
        {
            "restored": record.id,
            "deploy_dir": str(deploy),
            "data_only": args.data_only,
            "stopped": stopped,
            "started": args.start,
        },
        f"Restored backup {record.id} into {deploy}"
        + (f" (stopped: {', '.join(stopped)})" if stopped else "")
        + ("; stack started" if args.start else ""),
    )
    return 0


def run(args: argparse.Namespace) -> int:
    from tui_upgrader.ops.stack import RealDocker

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
