"""The engine's own thread, and what an interrupt means while it runs.

An upgrade, restore or recovery runs in a plain thread that the process
waits for explicitly (``wait_refusing_interrupts``), never in an executor
that a front end's shutdown would silently wait on or abandon. Once the
stack is stopped the job must finish (or roll back) in this process: the
TUI hands the terminal back at once, the headless commands keep printing,
and every interrupt after that is refused with the same line
(``continues_line``) rather than half-obeyed.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from tui_upgrader.core.errors import UpgraderError
from tui_upgrader.core.events import Emit, Event, ResultEvent, Step, StepEvent
from tui_upgrader.core.i18n import _

logger = logging.getLogger(__name__)

Job = Callable[[Emit, threading.Event], ResultEvent]


def continues_line(log_path: Path, pid: int | None = None) -> str:
    """The one line an admin gets when the terminal comes back mid-upgrade."""
    return _(
        "tui-upgrader: the stack is stopped, so the job continues in this process "
        "(PID {pid}) until it has finished or rolled back; interrupts are refused. "
        "Follow it with: tail -f {log}"
    ).format(pid=os.getpid() if pid is None else pid, log=log_path)


class CriticalWatch:
    """An emit that passes events on and knows whether the critical section is open.

    ``critical_from`` is the step whose start opens it (the stop); None opens
    it from the first event (recovery, restore: the stack is stopped already
    or at once). The result closes it, and so does the end of ``critical_until``
    (a stand-alone backup: once the stack is back up, the archive is only a file).
    """

    def __init__(
        self,
        sink: Emit,
        critical_from: Step | None = Step.STOPPING_SERVICES,
        *,
        critical_until: Step | None = None,
    ) -> None:
        self._sink = sink
        self._from = critical_from
        self._until = critical_until
        self.critical = critical_from is None
        self.stopped = False  # the stop began: "nothing was changed" is no longer true
        self.ended = False

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepEvent) and event.state == "started":
            if event.step is Step.STOPPING_SERVICES:
                self.stopped = True
            if event.step is self._from:
                self.critical = True
        elif isinstance(event, StepEvent) and event.step is self._until:
            self.critical = False
        elif isinstance(event, ResultEvent):
            self.critical, self.ended = False, True
        self._sink(event)


class JobThread:
    """``job(emit, cancel)`` in its own thread; ``on_end`` is called once, last.

    A daemon thread, joined explicitly by whoever started it: helper threads
    the engine leaves behind (they inherit daemon-ness) must not keep the
    process alive after the job has ended.

    An exception from the job becomes a failed result (logged with its
    traceback when it is not one of ours), so the end is always one result.
    """

    def __init__(
        self,
        job: Job,
        emit: Emit,
        on_end: Callable[[ResultEvent], object],
        *,
        name: str = "tui-upgrader-job",
    ) -> None:
        self.cancel = threading.Event()
        self.result: ResultEvent | None = None
        self._job, self._emit, self._on_end = job, emit, on_end
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            result = self._job(self._emit, self.cancel)
        except Exception as exc:
            if not isinstance(exc, UpgraderError):
                logger.exception("the job failed unexpectedly")
            result = ResultEvent.failure(exc)
        self.result = result
        try:
            self._on_end(result)
        except Exception:
            # The front end went away (the TUI quit): the result is in the log.
            logger.exception("reporting the end of the job failed")


def wait_refusing_interrupts(
    alive: Callable[[], bool], join: Callable[[float], None], line: str
) -> None:
    """Block until the job ends; every Ctrl+C (SIGINT) or SIGTERM repeats ``line``.

    Runs on the main thread (signal handlers can only be set there).
    """

    def refuse(_signum: int, _frame: FrameType | None) -> None:
        print(line, file=sys.stderr, flush=True)

    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, refuse) for sig in handled}
    try:
        while alive():
            join(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
