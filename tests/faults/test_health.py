"""Fault class 6: services whose health lies or changes after the first look.

- healthy at first, then crash-looping (exits after a few seconds, restarts, turns
  healthy again): the gate must see the restarts, not one good moment;
- answering on its port with the old version (the release ships the old page, its
  healthcheck asks for the new one): unhealthy, rolled back at once;
- no healthcheck at all: crash-looping is a failure, running steadily is a success.
"""

from __future__ import annotations

import pytest

from tests.faults.case import Case
from tests.faults.health_release import (
    CRASH_LATER,
    VERSION_CHECK,
    compose_with,
    named_for,
    release_with,
    without_web_healthcheck,
)
from tests.faults.invariant import check_invariant
from tests.faults.world import STATE_DIR
from tui_upgrader.demo import content

pytestmark = pytest.mark.engine


def _rolled_back(case: Case) -> str:
    code, events, err = case.run("upgrade", "--yes", "--json")
    result = events[-1]
    assert code == 1 and result["rolled_back"] is True, f"exit {code}: {err}\n{result}"
    assert "web" in (result["error"] or ""), result["error"]
    assert check_invariant(case) == "old"
    return str(result["error"])


def test_healthy_then_crash_looping_is_rolled_back(case: Case) -> None:
    release_with(case, named_for(case, compose_with(web_command=CRASH_LATER)))
    _rolled_back(case)


def test_answering_with_the_old_version_is_rolled_back(case: Case) -> None:
    compose = named_for(case, compose_with()).replace(
        '["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:${DEMO_PORT}/"]',
        VERSION_CHECK,
        1,
    )
    assert VERSION_CHECK in compose
    release_with(case, compose, index_html=content.index_html("1.1.0"))
    _rolled_back(case)


def test_no_healthcheck_and_crash_looping_is_rolled_back(case: Case) -> None:
    release_with(
        case, without_web_healthcheck(named_for(case, compose_with(web_command=CRASH_LATER)))
    )
    _rolled_back(case)


def test_no_healthcheck_and_running_steadily_is_committed(case: Case) -> None:
    want = release_with(case, without_web_healthcheck(named_for(case, compose_with())))
    code, events, err = case.run("upgrade", "--yes", "--json")
    assert code == 0, f"exit {code}: {err}\n{events[-1:]}"
    assert check_invariant(case, new_tree=want, new_version="1.2.0.0") == "new"
    assert not (case.deploy / STATE_DIR / "journal.json").exists()
