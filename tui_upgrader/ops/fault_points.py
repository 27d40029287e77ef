"""Test-only fault points: where the fault tests kill or hold this process.

``TUI_UPGRADER_TEST_CRASH_AT=name[@n]`` SIGKILLs the process the n-th time
(default the 1st) it passes the point ``name``: a step boundary of the upgrade
(``ApplyingUpdate``, ``ApplyingUpdate:end``), a move of the apply step
(``apply-move-3``), a moment of a backup or restore (``create-writing``,
``restore-before-swap``). ``TUI_UPGRADER_TEST_PAUSE_AT=name`` holds at a step
until it is cancelled (or ``TUI_UPGRADER_TEST_PAUSE_UNTIL=file`` exists).
Both prove what a kill or a Ctrl-C leaves, with no timing games; unset
(always, outside tests) they cost one environment lookup.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

logger = logging.getLogger(__name__)

CRASH_HOOK_ENV = "TUI_UPGRADER_TEST_CRASH_AT"
PAUSE_HOOK_ENV = "TUI_UPGRADER_TEST_PAUSE_AT"
# With the pause hook: hold only until this file exists (the test releases it).
PAUSE_UNTIL_ENV = "TUI_UPGRADER_TEST_PAUSE_UNTIL"

_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    """SIGKILL ourselves here when ``CRASH_HOOK_ENV`` names this point (see above)."""
    wanted = os.environ.get(CRASH_HOOK_ENV)
    if not wanted:
        return
    point, _sep, nth = wanted.partition("@")
    if point != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] >= int(nth or 1):
        logger.warning("test crash hook fired at %s", name)
        os.kill(os.getpid(), signal.SIGKILL)


def pause_point(name: str, cancel: threading.Event) -> None:
    """Hold here until cancelled when ``PAUSE_HOOK_ENV`` names this point."""
    if os.environ.get(PAUSE_HOOK_ENV) == name:
        logger.warning("test pause hook holding at %s", name)
        until = os.environ.get(PAUSE_UNTIL_ENV)
        deadline = time.monotonic() + 120
        while not cancel.wait(0.05 if until else 120) and time.monotonic() < deadline:
            if until and os.path.exists(until):
                break
