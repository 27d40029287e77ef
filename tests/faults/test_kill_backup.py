"""kill -9 of a stand-alone ``backup create --stop`` mid-write.

The stack it stopped must not stay down unseen: ``recover`` (or the next
``backup create``) starts it again. The dead run's catalogue record must not stay
``in_progress`` and no partial archive may pass for a backup.
"""

from __future__ import annotations

import signal

import pytest

from tests.faults.case import Case
from tests.faults.invariant import check_invariant
from tui_upgrader.ops.fault_points import CRASH_HOOK_ENV

pytestmark = pytest.mark.engine


@pytest.mark.parametrize("then", ["recover", "backup"])
def test_a_killed_backup_leaves_nothing_down_or_half_done(case: Case, then: str) -> None:
    case.configure(backup_precopy=False)  # the cold path: killed writing inside the stop
    create = ("backup", "create", "--stop", "--json")
    code, _, err = case.run(*create, env={CRASH_HOOK_ENV: "create-writing"})
    assert code == -signal.SIGKILL, f"no kill in create-writing: {code} {err}"
    if then == "recover":
        code, _, err = case.run("recover", "--json")
        assert code == 0 and "Started the stack a killed backup had left stopped" in err, err
        assert check_invariant(case) == "old"
    code, _, err = case.run(*create)
    assert code == 0, f"the next backup: exit {code}: {err}"
    code, listed, err = case.run("backup", "list", "--json")
    statuses = sorted((r["id"], r["status"]) for r in listed[0]["backups"])
    assert statuses == [(1, "failed"), (2, "completed")], statuses
    failed = [r for r in listed[0]["backups"] if r["id"] == 1]
    assert not failed[0]["file_present"], "no partial archive is kept"
    assert check_invariant(case) == "old"


@pytest.mark.parametrize("point", ["snapshot-precopy@2", "snapshot-final", "create-writing"])
def test_a_killed_two_pass_backup_leaves_nothing_down_or_half_done(case: Case, point: str) -> None:
    """Killed copying while the stack serves, in the final pass while it is down, or
    writing the archive once it is up again: ``recover`` starts what was left stopped
    and drops the snapshot; the next backup works."""
    create = ("backup", "create", "--stop", "--json")
    code, _, err = case.run(*create, env={CRASH_HOOK_ENV: point})
    assert code == -signal.SIGKILL, f"no kill at {point}: {code} {err}"
    code, _, err = case.run("recover", "--json")
    assert code == 0, err
    if point.startswith("snapshot-final"):
        assert "Started the stack a killed backup had left stopped" in err, err
    assert check_invariant(case) == "old"
    code, _, err = case.run(*create)
    assert code == 0, f"the next backup: exit {code}: {err}"
    code, listed, err = case.run("backup", "list", "--json")
    statuses = [r["status"] for r in listed[0]["backups"]]
    assert statuses[0] == "completed" and "in_progress" not in statuses, statuses
    assert check_invariant(case) == "old"
