"""Fault class 5: the Docker engine restarted, or its socket gone, mid-upgrade.

On a private dockerd (``private_engine``), never the shared one. The upgrade may
fail (it must say so in one line), or get through; once the engine is back, a
``recover --rollback`` (if a journal is left) must leave exactly one version.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import pytest

from tests.faults.case import Case, Events, parse_events
from tests.faults.invariant import check_invariant
from tests.faults.kills import expected, read_raw_journal, recover
from tests.faults.private_engine import PrivateEngine

pytestmark = pytest.mark.engine


def _trouble_during(
    case: Case, step: str, after: int, act: Callable[[], None]
) -> tuple[int, Events]:
    """Run the upgrade; ``after`` events into ``step``, do ``act`` (the upgrade goes on)."""
    proc = case.spawn("upgrade", "--yes", "--json")
    assert proc.stdout is not None and proc.stderr is not None
    err: list[str] = []
    drain = threading.Thread(target=lambda: err.extend(proc.stderr or []), daemon=True)
    drain.start()
    events: Events = []
    seen: int | None = None
    for line in proc.stdout:
        if not line.startswith("{"):
            continue
        events.append(json.loads(line))
        e = events[-1]
        if (
            seen is None
            and e.get("type") == "step"
            and e.get("step") == step
            and e.get("state") == "started"
        ):
            seen = 0
        elif seen is not None:
            seen += 1
        if seen == after:
            act()
            seen = -(10**9)  # once
    proc.wait(timeout=300)
    drain.join(timeout=10)
    assert seen is not None, f"the upgrade never reached {step}: {''.join(err)[-2000:]}"
    return proc.returncode, events + parse_events("")


CASES = [
    ("LoadingImages", 1, "restart"),
    ("LoadingImages", 1, "unplug"),
    ("StartingServices", 0, "restart"),
    ("StartingServices", 0, "unplug"),
]


# Also on Docker 26 (both stores): its dockerd restarted while the new services start.
COMPAT = ("StartingServices", 0, "restart")


@pytest.mark.parametrize(
    ("step", "after", "trouble"),
    [
        pytest.param(*c, id=f"{c[0]}-{c[2]}", marks=[pytest.mark.compat] * (c == COMPAT))
        for c in CASES
    ],
)
def test_engine_trouble_then_recover(
    private_case: Case, private_dockerd: PrivateEngine, step: str, after: int, trouble: str
) -> None:
    if trouble == "unplug":
        private_case.configure(
            health_timeout_s=10
        )  # bounds the wait for an engine that never returns
    act = private_dockerd.restart if trouble == "restart" else private_dockerd.unplug
    code, events = _trouble_during(private_case, step, after, act)
    result = events[-1]
    assert result["type"] == "result", events[-3:]
    error = result["error"] or ""
    print(f"{step}/{trouble}: exit {code}: {error}")
    assert "\n" not in error and "ConnectionError" not in error, error
    if trouble == "restart":
        # The engine is back within seconds: the upgrade went through, or failed and
        # was undone completely, with nothing left for the admin to do.
        assert code in (0, 1), f"exit {code}: {error}"
        assert read_raw_journal(private_case) is None, error
    else:
        assert code in (1, 3), f"exit {code}: {error}"
        assert "no Docker engine answers at" in error, error
        assert "tui-upgrader recover" in error, "the result says what to run"
        private_dockerd.restart()  # the admin brings the engine back
    journal = read_raw_journal(private_case)
    want = expected(journal, events, "rollback")
    if journal is not None:
        recover(private_case, "rollback")
    assert check_invariant(private_case) == want, result
