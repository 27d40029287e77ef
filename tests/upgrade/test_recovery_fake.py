"""A 'kill' at every step boundary, then recover: exactly old or exactly new.

The kill is simulated in-process by raising a BaseException from the crash
hook (nothing in the engine catches it, like SIGKILL); the real SIGKILL runs
in test_upgrade_engine.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.support.upgrade_env import (
    NEW_FILES,
    Env,
    Killed,
    kill_at,
    make_zip,
    tree,
    unhealthy_once,
)
from tui_upgrader.core.events import FORWARD_STEPS
from tui_upgrader.ops.state import read_state
from tui_upgrader.ops.upgrade._internal import steps as steps_module
from tui_upgrader.ops.upgrade.journal import read_journal
from tui_upgrader.ops.upgrade.plan import Ports
from tui_upgrader.ops.upgrade.recovery import recover

BOUNDARIES = [s.value for s in FORWARD_STEPS[:-1]] + [f"{s.value}:end" for s in FORWARD_STEPS[:-2]]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    return Env(tmp_path)


def _new_tree(tmp: Path) -> dict[str, str]:
    ref = Env(tmp / "ref")
    pkg = tmp / "ref.zip"
    assert ref.run(ref.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES))).success
    return tree(ref.deploy)


@pytest.mark.parametrize("point", BOUNDARIES)
@pytest.mark.parametrize("mode", ["rollback", "resume"])
def test_kill_then_recover_is_never_a_mix(
    env: Env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, point: str, mode: str
) -> None:
    old = tree(env.deploy)
    new = _new_tree(tmp_path)
    pkg = env.tmp / "p.zip"
    kill_at(monkeypatch, point)
    with pytest.raises(Killed):
        env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    monkeypatch.setattr(steps_module, "crash_point", lambda name: None)
    journal = read_journal(env.deploy)
    if journal is None:
        # killed before anything was recorded: nothing changed at all
        assert tree(env.deploy) == old
        return
    result = recover(
        env.settings,
        Ports(env.docker, env.backups),
        mode,  # type: ignore[arg-type]
        env.events.append,
        threading.Event(),
    )
    assert read_journal(env.deploy) is None
    final = tree(env.deploy)
    version = str(read_state(env.deploy).version)
    if final == new:
        assert version == "1.1.0.0" and result.success
    else:
        assert final == old, f"mix after kill at {point} + {mode}"
        assert version == "1.0.0.0" and not result.success
        if journal.stack_stopped:
            assert env.docker.running, "the old stack is started again"
    if mode == "rollback" and not journal.committed:
        assert final == old
    if mode == "resume" and journal.stack_stopped:
        assert final == new


@pytest.mark.parametrize("mode", ["rollback", "resume"])
def test_kill_during_rollback_then_recover_finishes_the_rollback(
    env: Env, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """A rollback interrupted after putting the old files back must never be 'resumed'
    into recording the new version over old files."""
    from tui_upgrader.ops.upgrade._internal import commit_or_rollback as after_stop

    old = tree(env.deploy)
    pkg = env.tmp / "p.zip"
    unhealthy_once(env.docker, monkeypatch)
    from tui_upgrader.ops.upgrade._internal.apply import undo_moves as real_undo

    def undo_then_die(*args: object, **kwargs: object) -> None:
        real_undo(*args, **kwargs)  # type: ignore[arg-type]
        raise Killed("during rollback")

    monkeypatch.setattr(after_stop, "undo_moves", undo_then_die)
    with pytest.raises(Killed):
        env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    monkeypatch.setattr(after_stop, "undo_moves", real_undo)
    result = recover(
        env.settings,
        Ports(env.docker, env.backups),
        mode,  # type: ignore[arg-type]
        env.events.append,
        threading.Event(),
    )
    assert result.rolled_back and not result.success
    assert tree(env.deploy) == old
    assert str(read_state(env.deploy).version) == "1.0.0.0"
    assert read_journal(env.deploy) is None


def test_kill_between_commit_and_state_write_finishes_forward(
    env: Env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tui_upgrader.ops.upgrade._internal import commit_or_rollback as after_stop

    new = _new_tree(tmp_path)

    def die(*_a: object, **_k: object) -> None:
        raise Killed("before the state write")

    monkeypatch.setattr(after_stop, "record_upgrade", die)
    pkg = env.tmp / "p.zip"
    with pytest.raises(Killed):
        env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    monkeypatch.undo()
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    result = recover(
        env.settings,
        Ports(env.docker, env.backups),
        "rollback",
        env.events.append,
        threading.Event(),
    )
    assert result.success, "a committed upgrade is finished, not undone"
    assert tree(env.deploy) == new
    assert str(read_state(env.deploy).version) == "1.1.0.0"
