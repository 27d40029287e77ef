"""kill -9 inside the two-pass backup's own steps (#21): pre-copy, final pass, the
rollback's swap of data/, the archive written after the commit.

Each ends, after ``recover``, exactly old or exactly new (``check_invariant``: no
snapshot left in ``.tui-upgrader/``), and never with neither the snapshot nor a
verified archive while one is needed.
"""

from __future__ import annotations

import signal

import pytest

from tests.faults.case import Case
from tests.faults.health_release import CRASH_LATER, compose_with, named_for, release_with
from tests.faults.invariant import check_invariant
from tests.faults.kills import expected, read_raw_journal, recover
from tui_upgrader.ops.fault_points import CRASH_HOOK_ENV

pytestmark = pytest.mark.engine


def _killed_at(case: Case, point: str) -> list[dict[str, object]]:
    code, events, err = case.run("upgrade", "--yes", "--json", env={CRASH_HOOK_ENV: point})
    assert code == -signal.SIGKILL, f"no kill at {point}: {code} {err}"
    return events


@pytest.mark.parametrize("mode", ["rollback", "resume"])
def test_kill_during_the_precopy_stops_nothing(case: Case, mode: str) -> None:
    events = _killed_at(case, "snapshot-precopy@3")
    journal = read_raw_journal(case)
    assert journal is not None and journal["extra"]["snapshot"] == "precopying"
    assert not journal["stack_stopped"]
    assert not any(e.get("step") == "StoppingServices" for e in events)
    recover(case, mode)
    assert check_invariant(case) == "old"


@pytest.mark.parametrize("mode", ["rollback", "resume"])
def test_kill_during_the_final_pass_then_recover(case: Case, mode: str) -> None:
    events = _killed_at(case, "snapshot-final")
    journal = read_raw_journal(case)
    assert journal is not None and journal["extra"]["snapshot"] == "precopied"
    want = expected(journal, events, mode)
    recover(case, mode)
    assert check_invariant(case) == want == ("old" if mode == "rollback" else "new")


@pytest.mark.parametrize("mode", ["rollback", "resume"])
def test_kill_while_the_rollback_swaps_data_back(case: Case, mode: str) -> None:
    release_with(case, named_for(case, compose_with(web_command=CRASH_LATER)))
    _killed_at(case, "snapshot-swap")
    journal = read_raw_journal(case)
    assert journal is not None and journal["extra"].get("rolling_back")
    assert journal["extra"]["snapshot"] == "final"
    recover(case, mode)
    assert check_invariant(case) == "old"


@pytest.mark.parametrize("mode", ["rollback", "resume"])
def test_kill_while_writing_the_archive_after_the_commit(case: Case, mode: str) -> None:
    """The snapshot stays until a verified archive is named in the journal: recover
    writes the archive again; the new version stands either way."""
    _killed_at(case, "create-writing")
    journal = read_raw_journal(case)
    assert journal is not None and journal["committed"] and journal["backup_id"] is None
    assert (case.deploy / ".tui-upgrader" / "snapshot" / "tree").is_dir(), "the snapshot is kept"
    recover(case, mode)
    assert check_invariant(case) == "new"  # also verifies every completed archive
    _code, listed, _err = case.run("backup", "list", "--json")
    statuses = sorted((r["kind"], r["status"]) for r in listed[0]["backups"])
    assert ("pre-upgrade", "completed") in statuses, statuses
