"""Shared plumbing for the commands that drive the engine headlessly."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import TextIO, TypeVar

from tui_upgrader.core.errors import CancelledError, InputError
from tui_upgrader.core.events import Emit
from tui_upgrader.core.i18n import _
from tui_upgrader.headless import JsonPrinter, TextPrinter
from tui_upgrader.ops.settings import Settings, load_settings

T = TypeVar("T")


def settings_from_args(args: argparse.Namespace) -> Settings:
    return load_settings(
        getattr(args, "config", None),
        deploy_dir=getattr(args, "deploy_dir", None),
        manifest=getattr(args, "manifest", None),
    )


def printer(as_json: bool) -> Emit:
    return JsonPrinter() if as_json else TextPrinter()


def confirm(
    question: str,
    *,
    assume_yes: bool,
    what: str,
    stdin: TextIO | None = None,
    stderr: TextIO | None = None,
) -> None:
    """y/N on the terminal; without one, refuse rather than guess.

    Anything but yes raises ``CancelledError`` (exit 1): a script must never
    read "not done" as success.
    """
    if assume_yes:
        return
    stdin, stderr = stdin or sys.stdin, stderr or sys.stderr
    if not stdin.isatty():
        raise InputError(
            _("{question} needs confirmation: pass --yes (no terminal to ask on)").format(
                question=question
            )
        )
    # The prompt goes to stderr so stdout stays clean (JSON mode pipes it).
    stderr.write(f"{question} [y/N] ")
    stderr.flush()
    if stdin.readline().strip().lower() not in ("y", "yes"):
        raise CancelledError(_("{what} cancelled; nothing was changed").format(what=what))


def run_cancellable(
    work: Callable[[threading.Event], T],
    on_interrupt: Callable[[], None],
    *,
    critical: Callable[[], bool] = lambda: False,
) -> T:
    """Run ``work`` in a thread; Ctrl-C sets its cancel event instead of killing it.

    The engine decides what a cancel means (nothing after the stop), so the
    process never dies half-way through an apply. While ``critical()`` is true
    (the stack is stopped) an interrupt cancels nothing: it is refused with the
    line that says the job continues in this process and how to follow it.
    """
    from tui_upgrader.ops.job_thread import continues_line
    from tui_upgrader.ops.logsetup import log_file

    cancel = threading.Event()
    box: dict[str, T] = {}
    failure: list[BaseException] = []

    def target() -> None:
        try:
            box["result"] = work(cancel)
        except BaseException as exc:
            failure.append(exc)

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if critical():
            print(continues_line(log_file()), file=sys.stderr, flush=True)
            return
        cancel.set()
        on_interrupt()

    thread = threading.Thread(target=target, name="tui-upgrader-engine", daemon=True)
    previous = signal.signal(signal.SIGINT, handler)
    try:
        thread.start()
        while thread.is_alive():
            thread.join(timeout=0.2)
    finally:
        signal.signal(signal.SIGINT, previous)
    if failure:
        raise failure[0]
    return box["result"]
