"""Fault class 2: kill -9 during the recovery itself, then recover again.

The upgrade is killed after the stop, ``recover`` is killed at a boundary of its
own steps (or at a random event), and a second ``recover`` must still leave exactly
one version. A rollback once under way is finished even by ``--resume``.
"""

from __future__ import annotations

import random
import signal

import pytest

from tests.faults.case import Case
from tests.faults.invariant import check_invariant
from tests.faults.kills import expected, kill_during, read_raw_journal, recover
from tui_upgrader.ops.fault_points import CRASH_HOOK_ENV

pytestmark = pytest.mark.engine

CASES = [
    # (upgrade killed at, first recovery, its kill point, second recovery)
    ("ApplyingUpdate:end", "rollback", "RollingBack", "rollback"),
    ("StartingServices", "rollback", "RestoringBackup", "resume"),
    ("StartingServices:end", "rollback", "restore-before-swap", "rollback"),
    ("VerifyingServices", "resume", "StartingServices:end", "resume"),
    ("ApplyingUpdate", "resume", "VerifyingServices", "rollback"),
    ("CleaningUp", "resume", "CleaningUp", "rollback"),
]
# Kill points inside the archive restore exist on the cold path only: the two-pass path
# swaps the pre-copy snapshot in instead (its kill points: test_kill_two_pass.py).
COLD_PATH_ONLY = {"restore-before-swap"}


def _killed_upgrade(case: Case, point: str) -> None:
    code, _, err = case.run("upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: point})
    assert code == -signal.SIGKILL, f"no kill at {point}: {code} {err}"


@pytest.mark.parametrize(("point", "first", "again_at", "second"), CASES)
def test_recovery_killed_at_a_boundary_then_recovered(
    case: Case, point: str, first: str, again_at: str, second: str
) -> None:
    if again_at in COLD_PATH_ONLY:
        case.configure(backup_precopy=False)
    _killed_upgrade(case, point)
    code, events, err = case.run("recover", f"--{first}", "--json", env={CRASH_HOOK_ENV: again_at})
    assert code == -signal.SIGKILL, f"recover --{first} did not reach {again_at}: {code} {err}"
    want = expected(read_raw_journal(case), events, second)
    recover(case, second)
    assert check_invariant(case) == want


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.faults_long)])
@pytest.mark.parametrize("first", ["rollback", "resume"])
def test_recovery_killed_at_a_random_event_then_recovered(
    case: Case, first: str, seed: int
) -> None:
    rng = random.Random(f"{first}-{seed}")
    _killed_upgrade(case, "ApplyingUpdate:end")
    step = "RollingBack" if first == "rollback" else "StartingServices"
    run = kill_during(case, "recover", f"--{first}", "--json", step=step, after=rng.randrange(3))
    want = expected(read_raw_journal(case), run.events, first)
    recover(case, first)
    assert check_invariant(case) == want, f"recovery killed at {run.last_step}"
