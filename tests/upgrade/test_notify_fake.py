"""The notification hooks of the runner and the recovery (FakeDocker, real files,
a real HTTP receiver): a recovery is announced, and a notifier that breaks
changes neither the result nor the order of the events."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from tests.support.receiver import NotifyReceiver
from tests.support.upgrade_env import NEW_FILES, Env, Killed, kill_at, make_zip
from tui_upgrader.core.events import LogEvent, ResultEvent
from tui_upgrader.ops.upgrade._internal import notifying
from tui_upgrader.ops.upgrade._internal import steps as steps_module
from tui_upgrader.ops.upgrade.plan import Ports
from tui_upgrader.ops.upgrade.recovery import recover


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    monkeypatch.setenv("TUI_UPGRADER_ARCH", "x86_64")
    return Env(tmp_path)


def test_a_recovery_by_rollback_is_announced(
    env: Env, monkeypatch: pytest.MonkeyPatch, notify_receiver: NotifyReceiver
) -> None:
    env.settings = dataclasses.replace(env.settings, notify=(notify_receiver.url("json"),))
    pkg = env.tmp / "p.zip"
    kill_at(monkeypatch, "StartingServices")
    with pytest.raises(Killed):
        env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))
    assert notify_receiver.received == [], "a killed run tells nobody anything"
    monkeypatch.setattr(steps_module, "crash_point", lambda name: None)

    result = recover(
        env.settings,
        Ports(env.docker, env.backups),
        "rollback",
        env.events.append,
        threading.Event(),
    )

    assert result.rolled_back and not result.success
    (message,) = notify_receiver.wait_for(1)
    doc = message.json()
    assert doc["title"].endswith(": recovery: rolled back; the old stack is healthy")
    assert f"backup: {result.backup_id}" in doc["message"].splitlines()
    assert "version: 1.0.0.0 -> 1.1.0.0" in doc["message"].splitlines()
    assert b"admin-value" not in message.body  # the deploy dir's .env SECRET


def test_a_notifier_that_breaks_changes_nothing(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env.settings = dataclasses.replace(env.settings, notify=("json://127.0.0.1:9/x",))

    def broken(*_args: object) -> list[str]:
        raise RuntimeError("the notifier broke")

    monkeypatch.setattr(notifying, "announce", broken)
    pkg = env.tmp / "p.zip"
    result = env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES)))

    assert result.success and result.exit_code == 0
    assert isinstance(env.events[-1], ResultEvent) and env.events[-1] == result
    warning = env.events[-2]
    assert warning == LogEvent("warning", "notification not sent: RuntimeError: the notifier broke")


def test_nothing_is_sent_without_notify(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_run(*_args: object) -> list[str]:
        raise AssertionError("announce called without notify")

    monkeypatch.setattr(notifying, "announce", must_not_run)
    pkg = env.tmp / "p.zip"
    assert env.run(env.manifest("1.1.0", pkg, make_zip(pkg, NEW_FILES))).success
