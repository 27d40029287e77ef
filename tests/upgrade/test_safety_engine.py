"""Safety on the real engine, through the real CLI: secrets and a reader that goes away.

- A new release whose container prints ``.env`` values (the admin's secret, a
  quoted one, one only the staged ``.env`` has) and fails its health gate:
  none of them may reach stdout JSON, stderr, the log file or the result.
- A compose file that makes compose quote a secret in its error.
- ``upgrade --json`` whose reader closes the pipe right after the stop: the
  upgrade must still finish, with exit 0 and the new stack up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.support.engine_env import EngineEnv, release_with_compose
from tui_upgrader.core.versions import Version
from tui_upgrader.demo import content
from tui_upgrader.ops.release.build import build_release
from tui_upgrader.ops.release.server import serve_directory
from tui_upgrader.ops.state import read_state

pytestmark = pytest.mark.engine

QUOTED = "quoted pass phrase 42"
STAGED_TOKEN = "release-token-4711"
UPGRADE = (sys.executable, "-m", "tui_upgrader", "upgrade", "--yes", "--json")


@pytest.fixture
def env(tmp_path: Path, docker_client: docker.DockerClient) -> Iterator[EngineEnv]:
    with EngineEnv.installed(tmp_path, docker_client) as e:
        yield e


def _upgrade(env: EngineEnv, store: Path) -> tuple[int, list[dict[str, Any]], str, str]:
    """``upgrade --yes --json``; returns exit code, events, stderr and the log files' text."""
    log_dir = env.tmp / "logs"
    with serve_directory(store) as server:
        env.write_config(server.url_for("manifest.json"), log_dir=str(log_dir))
        code, events, err = env.cli("upgrade", "--yes", "--json")
    logs = "".join(p.read_text(errors="replace") for p in sorted(log_dir.glob("*.log*")))
    return code, events, err, logs


def test_env_secrets_printed_by_a_failing_container_are_masked_everywhere(
    env: EngineEnv,
) -> None:
    with (env.deploy / ".env").open("a") as fh:
        fh.write(f'QUOTED_SECRET="{QUOTED}"\n')

    def compose(ref: str) -> str:
        text = content.compose_text(
            env.layout.project,
            ref,
            web_command=(
                '["sh", "-c", "echo connecting to postgres://app:$${DEMO_SECRET}@db '
                'token=$${TOKEN} quoted=$${QUOTED} failed; exit 3"]'
            ),
        )
        extra = "      TOKEN: ${NEW_TOKEN}\n      QUOTED: ${QUOTED_SECRET}\n"
        anchor = "      DEMO_SECRET: ${DEMO_SECRET}\n"
        assert anchor in text
        return text.replace(anchor, anchor + extra, 1)

    store = release_with_compose(env, "1.2.0", compose, extra_env=f"NEW_TOKEN={STAGED_TOKEN}\n")
    code, events, err, logs = _upgrade(env, store)
    result = events[-1]
    assert code == 1, err
    assert result["type"] == "result" and result["rolled_back"] is True
    assert env.containers()["web"].attrs["State"]["Health"]["Status"] == "healthy"
    stdout = json.dumps(events)
    for secret in (env.layout.secret, QUOTED, STAGED_TOKEN):
        assert secret not in stdout, secret
        assert secret not in err, secret
        assert secret not in logs, secret
        assert secret not in (result["error"] or ""), secret
    # The container's line did get through, masked: the test saw real output.
    shown = [e["message"] for e in events if e["type"] == "log"]
    assert any("postgres://***@db token=*** quoted=*** failed" in m for m in shown), shown
    assert "postgres://***@db" in logs
    assert str(read_state(env.deploy).version) == "1.0.0.0"


def test_a_secret_quoted_by_compose_in_its_error_is_masked(env: EngineEnv) -> None:
    def compose(ref: str) -> str:
        text = content.compose_text(env.layout.project, ref)
        return text.replace("    init: true\n", "    init: true\n    cpus: ${DEMO_SECRET}\n", 1)

    store = release_with_compose(env, "1.2.0", compose)
    code, events, err, logs = _upgrade(env, store)
    result = events[-1]
    assert code == 1, err
    assert result["rolled_back"] is False, "refused before the stop"
    assert 'parsing "***"' in (result["error"] or ""), result["error"]
    secret = env.layout.secret
    assert secret not in json.dumps(events) and secret not in err and secret not in logs
    assert all(c.status == "running" for c in env.containers().values())


def test_a_reader_that_goes_away_after_the_stop_does_not_leave_the_stack_down(
    env: EngineEnv,
) -> None:
    store = env.tmp / "store110"
    build_release(env.layout.sources["1.1.0"], version=Version.parse("1.1.0"), out=store)
    log_dir = env.tmp / "logs"
    with serve_directory(store) as server:
        env.write_config(server.url_for("manifest.json"), log_dir=str(log_dir))
        proc = subprocess.Popen(
            [*UPGRADE, "--config", str(env.config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TUI_UPGRADER_ARCH": "x86_64"},
        )
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:
            event = json.loads(line)
            if event.get("step") == "StoppingServices" and event.get("state") == "finished":
                proc.stdout.close()  # `| head` exits, an SSH session drops, ...
                break
        err = proc.stderr.read()
        code = proc.wait(timeout=300)
    assert code == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert str(read_state(env.deploy).version) == "1.1.0.0"
    assert not (env.deploy / ".tui-upgrader/journal.json").exists()
    expected = env.client.images.get(env.layout.images["1.1.0"]).id
    assert env.running_images()["web"] == expected
    log = (log_dir / "tui-upgrader.log").read_text()
    assert log.count("the event output failed (BrokenPipeError") == 1
