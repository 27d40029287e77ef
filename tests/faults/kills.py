"""kill -9 at a point the JSON events name, and the recovery that must follow.

``kill_during`` runs a CLI command, reads its events as they come and SIGKILLs it
``after`` events into the named step (0: on its ``started`` line), optionally after a
short random delay: the only way to land inside steps that emit little. Where the
kill landed is whatever the events and the journal on disk then say; ``expected``
turns that into the only version recovery may leave behind.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
from dataclasses import dataclass
from typing import Any

from tests.faults.case import Case, Events, parse_events
from tests.faults.world import STATE_DIR

Mode = str  # "rollback" | "resume"


@dataclass
class Killed:
    code: int
    events: Events
    stderr: str
    killed: bool  # False: the run ended before the kill point came

    @property
    def last_step(self) -> str | None:
        steps = [e for e in self.events if e.get("type") == "step"]
        return f"{steps[-1]['step']}:{steps[-1]['state']}" if steps else None


def kill_during(
    case: Case,
    *args: str,
    step: str,
    after: int = 0,
    delay_s: float = 0.0,
    env: dict[str, str] | None = None,
) -> Killed:
    proc = case.spawn(*args, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    err_lines: list[str] = []
    drain = threading.Thread(target=lambda: err_lines.extend(proc.stderr or []), daemon=True)
    drain.start()
    events: Events = []
    seen: int | None = None
    killed = False
    for line in proc.stdout:
        if line.startswith("{"):
            events.append(json.loads(line))
        event = events[-1] if events else {}
        if seen is None and _started(event, step):
            seen = 0
        elif seen is not None:
            seen += 1
        if seen is not None and seen >= after:
            if delay_s:
                threading.Event().wait(delay_s)  # the kill point itself, not a synchronisation
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
    rest = proc.stdout.read()
    proc.wait(timeout=120)
    drain.join(timeout=10)
    events += parse_events(rest)
    return Killed(proc.returncode, events, "".join(err_lines), killed)


def _started(event: dict[str, Any], step: str) -> bool:
    return (
        event.get("type") == "step"
        and event.get("step") == step
        and event.get("state") == "started"
    )


def read_raw_journal(case: Case) -> dict[str, Any] | None:
    path = case.deploy / STATE_DIR / "journal.json"
    try:
        raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return raw


def expected(journal: dict[str, Any] | None, events: Events, mode: Mode) -> str:
    """The one version recovery may leave: the spec of ``recover``, from what is on disk."""
    if journal is None:
        cleaning = any(e.get("step") == "CleaningUp" for e in events)
        return "new" if cleaning else "old"
    if journal.get("committed"):
        return "new"
    if not journal.get("stack_stopped") or journal.get("extra", {}).get("rolling_back"):
        return "old"
    return "old" if mode == "rollback" else "new"


def recover(case: Case, mode: Mode) -> tuple[int, Events, str]:
    """``recover --MODE --json``; asserts the exit code the outcome calls for."""
    journal = read_raw_journal(case)
    code, events, err = case.run("recover", f"--{mode}", "--json")
    if journal is None:
        assert code == 0 and "Nothing to recover" in err, (code, err)
    elif mode == "resume" and expected(journal, [], mode) == "old":
        # Nothing to resume (killed before the stop) or a rollback already under way:
        # it goes back, and a run asked to finish the upgrade says it did not.
        assert code == 1, f"recover --resume that can only go back: exit {code}: {err}"
    else:
        assert code == 0, f"recover --{mode}: exit {code}: {err}\n{events[-1:] if events else ''}"
    return code, events, err


def random_after(rng: random.Random, reference_events: int) -> tuple[int, float]:
    """A random point inside a step that emitted ``reference_events`` events last time."""
    return rng.randrange(max(1, reference_events)), rng.choice((0.0, rng.uniform(0, 0.05)))
