"""Compose and health-gate output is masked at its source, outside the engine too.

``backup restore --start`` and ``backup create --stop`` run compose and the
health gate without the upgrade engine's event masking; what protects them is
the redactor ``setup_logging`` arms from the command's deploy dir, plus the
compose adapter's own reading of the project's ``.env``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tui_upgrader.core.errors import ComposeError, HealthGateError
from tui_upgrader.core.events import Event, LogEvent, ServiceEvent
from tui_upgrader.core.redact import Redactor
from tui_upgrader.core.stack import ServiceSpec
from tui_upgrader.ops import logsetup
from tui_upgrader.ops.stack._internal import health
from tui_upgrader.ops.stack._internal.compose import Compose, ComposeCli


@pytest.fixture
def armed() -> Iterator[None]:
    """Leave the process-wide redactor and log handlers as they were."""
    root = logging.getLogger("tui_upgrader")
    before = (logsetup.active_redactor(), list(root.handlers), root.level, logsetup._configured)
    yield
    logsetup.install_redactor(before[0])
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in before[1]:
        root.addHandler(handler)
    root.setLevel(before[2])
    logsetup._configured = before[3]


@pytest.mark.usefixtures("armed")
def test_setup_logging_arms_redaction_with_the_deploy_dir_given_on_the_command_line(
    tmp_path: Path,
) -> None:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    (deploy / ".env").write_text("DB_PASSWORD=from-the-deploy-dir\n")
    config = tmp_path / "config.toml"
    config.write_text(f'log_dir = "{tmp_path / "logs"}"\ndeploy_dir = "{tmp_path / "other"}"\n')
    logsetup.setup_logging(argparse.Namespace(config=config, deploy_dir=deploy))
    assert logsetup.redact("pw from-the-deploy-dir") == "pw ***"


def test_a_compose_error_never_quotes_a_value_of_the_projects_env(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    (tmp_path / ".env").write_text('API_KEY="k3y-from-env-file"\n')
    # A stand-in for compose that fails quoting the value, as compose does for
    # a bad interpolation ('parsing "<value>": invalid syntax').
    script = 'echo "progress line" >&2; echo "parsing \\"k3y-from-env-file\\": invalid" >&2; exit 1'
    cli = ComposeCli(("sh", "-c", script, "compose"), "2.0.0", legacy=False)
    with pytest.raises(ComposeError) as caught:
        Compose(cli, tmp_path).run("config")
    assert caught.value.message.endswith('failed: parsing "***": invalid')
    # (the stand-in's own argv, logged at INFO, holds the value; compose's never does)
    (logged,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert "k3y-from-env-file" not in logged and 'parsing "***": invalid' in logged


class _Container:
    """What health.py reads of a docker-py container."""

    def __init__(self, output: bytes, attrs: dict[str, Any] | None = None) -> None:
        self.output = output
        self.attrs = attrs or {}
        self.labels = {"com.docker.compose.service": "web"}

    def logs(self, **_k: object) -> bytes:
        return self.output


class _Client:
    def __init__(self, found: list[_Container]) -> None:
        self.containers = self
        self.found = found

    def list(self, **_k: object) -> list[_Container]:
        return self.found


@pytest.mark.usefixtures("armed")
def test_health_failure_masks_container_logs_and_check_output() -> None:
    logsetup.install_redactor(Redactor(["s3cret-in-env"]))
    events: list[Event] = []
    bad = {"web": health.Verdict("unhealthy", "check failed: got s3cret-in-env", hopeless=True)}
    containers = {"web": [_Container(b"booting\nconnecting as admin:s3cret-in-env\n")]}
    error = health._fail(bad, containers, 3.0, 3.0, events.append)  # type: ignore[arg-type]
    assert "s3cret-in-env" not in error.message and "s3cret-in-env" not in repr(events)
    assert "check failed: got ***" in error.message
    assert LogEvent("error", "web | connecting as admin:***") in events


@pytest.mark.usefixtures("armed")
def test_service_events_mask_health_check_output() -> None:
    logsetup.install_redactor(Redactor(["s3cret-in-env"]))
    attrs = {
        "Id": "c1",
        "State": {
            "Status": "running",
            "Health": {"Status": "unhealthy", "Log": [{"Output": "curl: s3cret-in-env"}]},
        },
    }

    events: list[Event] = []
    with pytest.raises(HealthGateError):
        health.wait_healthy(
            _Client([_Container(b"", attrs)]),  # type: ignore[arg-type]
            "p",
            [ServiceSpec("web", "img", "unless-stopped", True)],
            timeout_s=5,
            settle_s=0,
            emit=events.append,
        )
    service = [e for e in events if isinstance(e, ServiceEvent)]
    assert service and all("s3cret-in-env" not in e.detail for e in service)
    assert service[0].detail == "check failed: curl: ***"
