"""Notifications over Apprise to a real HTTP receiver on 127.0.0.1 (json:// and form://).

The message must carry host, deploy dir, from -> to, outcome, downtime, backup
id and log file, and never a ``.env`` value; a receiver that is down is a
logged warning, never an exception.
"""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.engine import free_port
from tests.support.receiver import NotifyReceiver
from tests.support.results import result_event
from tui_upgrader.core.errors import EXIT_FAILED, EXIT_ROLLBACK_FAILED, ConfigError
from tui_upgrader.core.events import ResultEvent
from tui_upgrader.ops.notify.message import Notice, result_notice
from tui_upgrader.ops.notify.send import announce
from tui_upgrader.ops.settings import load_settings

SECRET = "correct-horse-battery-staple"


def _deploy(tmp_path: Path) -> Path:
    deploy = tmp_path / "deploy"
    (deploy / "data").mkdir(parents=True)
    (deploy / "data" / "db.txt").write_text("rows\n")
    (deploy / ".env").write_text(f"DB_PASSWORD={SECRET}\nPORT=8080\n")
    return deploy


def _notice(deploy: Path, tmp_path: Path) -> Notice:
    result = result_event(
        success=False,
        from_version="1.0.0.0",
        to_version="1.1.0.1",
        backup_id=7,
        rolled_back=True,
        error=f"service web is unhealthy: login failed for {SECRET}",
        downtime_s=None,
        rollback_healthy=True,
        exit_code=EXIT_FAILED,
    )
    notice = result_notice(result, deploy, tmp_path / "log" / "tui-upgrader.log")
    assert notice is not None
    return notice


def test_json_and_form_receivers_get_the_whole_message_without_secrets(
    tmp_path: Path, notify_receiver: NotifyReceiver
) -> None:
    deploy = _deploy(tmp_path)
    notice = _notice(deploy, tmp_path)
    urls = [notify_receiver.url("json", "hook"), notify_receiver.url("form", "form")]

    assert announce(urls, notice) == []

    by_path = {r.path: r for r in notify_receiver.wait_for(2)}
    as_json, as_form = by_path["/hook"].json(), by_path["/form"].form()
    assert "application/json" in by_path["/hook"].content_type
    for title, body in (
        (as_json["title"], as_json["message"]),
        (as_form["title"], as_form["message"]),
    ):
        host = socket.gethostname()
        assert title == f"tui-upgrader on {host}: failed, rolled back; the old stack is healthy"
        assert body.splitlines() == [
            f"host: {host}",
            f"deploy dir: {deploy}",
            "version: 1.0.0.0 -> 1.1.0.1",
            "outcome: failed, rolled back; the old stack is healthy",
            "downtime: not measured",
            "backup: 7",
            "error: service web is unhealthy: login failed for ***",
            f"log: {tmp_path / 'log' / 'tui-upgrader.log'}",
        ]
    assert as_json["type"] == "warning"
    for received in notify_receiver.received:
        assert SECRET.encode() not in received.body


def test_a_receiver_that_is_down_is_a_logged_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notice = _notice(_deploy(tmp_path), tmp_path)
    port = free_port()  # nothing listens there
    with caplog.at_level(logging.WARNING, logger="tui_upgrader"):
        failures = announce([f"json://127.0.0.1:{port}/hook", "nosuchscheme://x/y"], notice)

    assert len(failures) == 2
    assert failures[0] == (
        f"notification to json://127.0.0.1:{port}/hook failed: "
        "A Connection error occurred sending JSON notification to 127.0.0.1."
    )
    assert failures[1] == "notification to nosuchscheme://... not sent: not a valid Apprise URL"
    ours = [r for r in caplog.records if r.name.startswith("tui_upgrader")]
    warnings = [r.getMessage() for r in ours if r.levelno == logging.WARNING]
    assert warnings == failures
    assert all(SECRET not in text for text in failures)


def test_outcomes_of_results() -> None:
    def outcome(result: ResultEvent) -> str | None:
        notice = result_notice(result, Path("/d"), Path("/l"))
        return None if notice is None else f"{notice.severity}: {notice.outcome}"

    ok = result_event(from_version="1.0.0.0", to_version="1.1.0.0", backup_id=3, downtime_s=2.0)
    assert outcome(ok) == "success: upgraded"
    assert outcome(result_event(from_version="1.1.0.0", to_version="1.1.0.0")) is None
    before_stop = result_event(
        success=False, from_version="1.0.0.0", to_version="1.1.0.0", error="bad hash", exit_code=1
    )
    assert outcome(before_stop) == "failure: failed before the stop, nothing was changed"
    notice = result_notice(before_stop, Path("/d"), Path("/l"))
    assert notice is not None and "downtime: none, the stack kept running" in notice.body
    worst = result_event(
        success=False,
        from_version="1.0.0.0",
        to_version="1.1.0.0",
        backup_id=3,
        error="x",
        exit_code=EXIT_ROLLBACK_FAILED,
    )
    assert outcome(worst) == "failure: failed, ROLLBACK FAILED: the stack needs you"
    unhealthy = result_event(
        success=False,
        from_version="1.0.0.0",
        to_version="1.1.0.0",
        backup_id=3,
        rolled_back=True,
        error="x",
        rollback_healthy=False,
        exit_code=3,
    )
    assert outcome(unhealthy) == "failure: failed, ROLLBACK FAILED: the stack needs you"
    recovered = result_notice(ok, Path("/d"), Path("/l"), recovery=True)
    assert recovered is not None and recovered.outcome == "recovery: upgraded"


def test_notify_config_is_a_list_of_urls_and_never_echoed(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('notify = ["ntfy://ntfy.example.org/topic", "json://127.0.0.1:9/x"]\n')
    settings = load_settings(config)
    assert settings.notify == ("ntfy://ntfy.example.org/topic", "json://127.0.0.1:9/x")
    config.write_text('notify = "json://x/y"\n')
    with pytest.raises(ConfigError, match="notify: expected a list of Apprise URLs"):
        load_settings(config)
    config.write_text('notify = ["json://ok/x", "tok3n-without-scheme"]\n')
    with pytest.raises(ConfigError, match=r"notify\[1\]: expected an Apprise URL") as caught:
        load_settings(config)
    assert "tok3n" not in str(caught.value)


def test_a_restore_through_the_cli_is_announced(
    tmp_path: Path, notify_receiver: NotifyReceiver
) -> None:
    deploy = _deploy(tmp_path)
    log_dir = tmp_path / "log"
    config = tmp_path / "config.toml"
    config.write_text(
        f"deploy_dir = {json.dumps(str(deploy))}\n"
        f"data_dir = {json.dumps(str(tmp_path / 'state'))}\n"
        f"log_dir = {json.dumps(str(log_dir))}\n"
        f"notify = [{json.dumps(notify_receiver.url('json', 'restore'))}]\n"
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui_upgrader", "--config", str(config), "backup", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    made = cli("create", "--json")
    assert made.returncode == 0, made.stderr
    assert notify_receiver.received == [], "a backup alone is not announced"
    (deploy / "data" / "db.txt").write_text("changed\n")
    restored = cli("restore", "1", "--yes")
    assert restored.returncode == 0, restored.stderr

    (message,) = notify_receiver.wait_for(1)
    doc = message.json()
    assert doc["title"].endswith(": restored backup 1") and doc["type"] == "success"
    assert f"deploy dir: {deploy}" in doc["message"]
    assert "backup: 1" in doc["message"]
    assert f"log: {log_dir / 'tui-upgrader.log'}" in doc["message"]
    assert SECRET.encode() not in message.body
    assert (deploy / "data" / "db.txt").read_text() == "rows\n"


def test_restore_notices() -> None:
    from functools import partial

    from tui_upgrader.ops.notify.message import restore_notice

    notice = partial(
        restore_notice, backup_id=4, deploy_dir=Path("/d"), log_file=Path("/l"), downtime_s=None
    )
    stopped = notice(from_version="1.1.0.0", to_version="1.0.0.0", error=None, left_stopped=True)
    assert (stopped.severity, stopped.outcome) == (
        "success",
        "restored backup 4; the stack is stopped",
    )
    assert "version: 1.1.0.0 -> 1.0.0.0" in stopped.body
    failed = notice(from_version="1.1.0.0", to_version="1.1.0.0", error="disk full", restored=False)
    assert (failed.severity, failed.outcome) == ("failure", "restore of backup 4 FAILED")
    assert "error: disk full" in failed.body.splitlines()
    unhealthy = notice(from_version="1.1.0.0", to_version="1.0.0.0", error="web", restored=True)
    assert unhealthy.outcome == "restored backup 4, but the stack is NOT healthy"


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("tgram://123456789:AAHbotTokenSecret/12345", "AAHbotTokenSecret"),
        ("pover://userkeysecret@apptokensecret", "apptokensecret"),
        ("json://hook:notifypass@127.0.0.1:8080/fleet", "notifypass"),
    ],
)
def test_notify_urls_are_shown_in_apprise_privacy_form(url: str, secret: str) -> None:
    import apprise

    from tui_upgrader.ops.notify.send import hidden_parts, shown

    where = shown(url, apprise.Apprise.instantiate(url))
    assert secret not in where and where.split("://")[0] == url.split("://")[0]
    assert secret in hidden_parts(url, where)  # masked in anything a receiver says
    assert shown("nosuch://token-in-host/x", None) == "nosuch://..."
