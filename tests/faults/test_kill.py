"""Fault class 1: kill -9 of ``upgrade`` at every step boundary and inside the long steps.

Every boundary the JSON events of a clean upgrade show (``Step:started`` and
``Step:end``) is hit exactly with the engine's crash hook; then ``recover --rollback``
or ``--resume`` must leave exactly the old or exactly the new version. CI runs each
boundary with one mode (alternating); ``TUI_UPGRADER_FAULTS_ALL=1`` runs both.
"""

from __future__ import annotations

import random
import signal

import pytest

from tests.faults.case import Case
from tests.faults.invariant import check_invariant
from tests.faults.kills import expected, kill_during, random_after, read_raw_journal, recover
from tests.faults.world import World
from tui_upgrader.core.events import FORWARD_STEPS
from tui_upgrader.ops.fault_points import CRASH_HOOK_ENV

pytestmark = pytest.mark.engine

BOUNDARIES = [name for step in FORWARD_STEPS for name in (step.value, f"{step.value}:end")]
MODES = ("rollback", "resume")
INSIDE = (
    "DownloadingUpdate",
    "ExtractingUpdate",
    "LoadingImages",
    "CreatingBackup",
    "ApplyingUpdate",
    "StartingServices",
)


def _cases(names: list[str] | tuple[str, ...]) -> list[pytest.param]:  # type: ignore[valid-type]
    out = []
    for i, name in enumerate(names):
        for j, mode in enumerate(MODES):
            marks = [pytest.mark.faults_long] if (i + j) % 2 else []
            out.append(pytest.param(name, mode, marks=marks, id=f"{name}-{mode}"))
    return out


def test_the_boundaries_are_those_the_json_events_show(world: World) -> None:
    assert world.boundaries == BOUNDARIES


@pytest.mark.parametrize(("boundary", "mode"), _cases(BOUNDARIES))
def test_kill_at_a_step_boundary_then_recover(case: Case, boundary: str, mode: str) -> None:
    code, events, err = case.run("upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: boundary})
    assert code == -signal.SIGKILL, f"the crash hook did not fire at {boundary}: {code} {err}"
    step = boundary.partition(":")[0]
    last = [e for e in events if e.get("type") == "step"][-1] if ":" in boundary else None
    if last is not None:
        assert (last["step"], last["state"]) == (step, "finished"), last
    want = expected(read_raw_journal(case), events, mode)
    recover(case, mode)
    assert check_invariant(case) == want


@pytest.mark.parametrize(("step", "mode"), _cases(INSIDE))
def test_kill_at_a_random_point_inside_a_step(
    case: Case, world: World, step: str, mode: str, request: pytest.FixtureRequest
) -> None:
    rng = random.Random(request.node.nodeid)
    after, delay = random_after(rng, world.step_events.get(step, 0))
    run = kill_during(case, "upgrade", "--yes", "--json", step=step, after=after, delay_s=delay)
    assert run.killed and run.code == -signal.SIGKILL, (run.code, run.stderr)
    want = expected(read_raw_journal(case), run.events, mode)
    recover(case, mode)
    assert check_invariant(case) == want, f"killed at {run.last_step}"


@pytest.mark.parametrize(
    ("where", "aside", "mode"),
    [(0.0, False, "resume"), (0.5, True, "rollback"), (1.0, True, "resume"),
     pytest.param(0.5, True, "resume", marks=pytest.mark.faults_long)],
)  # fmt: skip
def test_kill_between_two_renames_of_the_apply_step(
    case: Case, world: World, where: float, aside: bool, mode: str
) -> None:
    """ApplyingUpdate is too quick to hit from its events: its own hooks, between renames."""
    assert world.moves > 3, "the apply plan has several moves"
    index = round(where * (world.moves - 1))
    point = f"apply-move-{index}" + (":aside" if aside else "")
    code, _events, err = case.run("upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: point})
    assert code == -signal.SIGKILL, f"no kill at {point}: {code} {err}"
    recover(case, mode)
    assert check_invariant(case) == ("old" if mode == "rollback" else "new")


@pytest.mark.parametrize("mode", MODES)
def test_kill_while_writing_the_pre_upgrade_backup(case: Case, mode: str) -> None:
    """The dead run's half-written backup must not stay ``in_progress`` after recovery.

    The cold path (the archive written inside the stop); the two-pass path's archive
    is written after the commit: tests/faults/test_kill_two_pass.py."""
    case.configure(backup_precopy=False)
    code, _events, err = case.run(
        "upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: "create-writing"}
    )
    assert code == -signal.SIGKILL, f"no kill while writing the backup: {code} {err}"
    recover(case, mode)
    assert check_invariant(case) == ("old" if mode == "rollback" else "new")


@pytest.mark.parametrize("then", ["recover", "upgrade"])
def test_a_temp_file_of_a_first_journal_write_is_cleared(case: Case, then: str) -> None:
    """What a kill in the middle of the journal's very first write leaves: its temp file
    only, no journal (found by the soak, --seed 11 iteration 172)."""
    (case.deploy / ".tui-upgrader" / ".journal.json.k1ll3d.tmp").write_text('{"step": "Extr')
    code, _, err = case.run(then, *(["--json"] if then == "recover" else ["--yes", "--json"]))
    assert code == 0, err
    assert check_invariant(case) == ("old" if then == "recover" else "new")
